import Foundation
import OnboardCore
import Synchronization
import Testing

@Suite("Store contract: named locks across processes", .serialized)
struct LockContractTests {
    @Test("An exclusive holder is alone, across two store instances", arguments: StoreFactory.available)
    func exclusiveIsAlone(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, fixture in
            let other = try await fixture.open()
            let gauge = Gauge()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<16 {
                    let target = index.isMultiple(of: 2) ? store : other
                    group.addTask {
                        try await target.withLock("route-1", exclusive: true) {
                            gauge.enter()
                            try await Task.sleep(for: .milliseconds(5))
                            gauge.leave()
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(gauge.peak == 1 && gauge.entries == 16)
            try await other.close()
        }
    }

    @Test("Shared holders are together, across two store instances; other keys are independent", arguments: StoreFactory.available)
    func sharedAreTogether(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, fixture in
            let other = try await fixture.open()
            let gauge = Gauge()
            let holders = 6
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<holders {
                    let target = index.isMultiple(of: 2) ? store : other
                    group.addTask {
                        try await target.withLock("route-1", exclusive: false) {
                            gauge.enter()
                            // Every holder waits until all are inside: only possible if they hold it together.
                            try await gauge.waitUntilInside(holders, within: .seconds(20))
                            gauge.leave()
                        }
                    }
                }
                // An exclusive holder of another key is not held up by them.
                group.addTask {
                    try await store.withLock("route-2", exclusive: true) {}
                }
                try await group.waitForAll()
            }
            #expect(gauge.peak == holders)
            try await other.close()
        }
    }

    @Test("A waiting exclusive holder is not starved by a stream of shared ones", arguments: StoreFactory.available)
    func writerIsNotStarved(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, fixture in
            let other = try await fixture.open()
            let stop = Flag()
            let readers = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // Overlapping shared holders on both instances: someone always holds it shared.
                    for index in 0..<6 {
                        let target = index.isMultiple(of: 2) ? store : other
                        group.addTask {
                            try await Task.sleep(for: .milliseconds(20 * index))
                            while !stop.isSet {
                                try await target.withLock("route-1", exclusive: false) {
                                    try await Task.sleep(for: .milliseconds(120))
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await Task.sleep(for: .milliseconds(400))
            let start = ContinuousClock.now
            try await other.withLock("route-1", exclusive: true) {}
            let waited = ContinuousClock.now - start
            stop.set()
            try await readers.value
            // Without writer preference the stream would hold it for ever; with it, about one reader's hold.
            #expect(waited < .seconds(15), "the exclusive holder waited \(waited)")
            try await other.close()
        }
    }

    @Test("The lock is released when the body throws or is cancelled, and a cancelled waiter never enters", arguments: StoreFactory.available)
    func releasedOnEveryPath(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, fixture in
            let other = try await fixture.open()
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await store.withLock("k", exclusive: true) { throw Boom() }
            }
            try await other.withLock("k", exclusive: true) {}

            // A holder cancelled in its body.
            let holding = Flag()
            let holder = Task {
                try await store.withLock("k", exclusive: true) {
                    holding.set()
                    try await Task.sleep(for: .seconds(60))
                }
            }
            try await holding.wait(within: .seconds(20))
            // A waiter on the other instance, cancelled while it waits: it must never run its body.
            let entered = Flag()
            let waiter = Task {
                try await other.withLock("k", exclusive: false) { entered.set() }
            }
            try await Task.sleep(for: .milliseconds(300))
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            holder.cancel()
            await #expect(throws: CancellationError.self) { try await holder.value }
            #expect(!entered.isSet)
            // Both paths left the lock free.
            try await withTimeout(.seconds(20)) { try await other.withLock("k", exclusive: true) {} }
            try await withTimeout(.seconds(20)) { try await store.withLock("k", exclusive: true) {} }
            try await other.close()
        }
    }

    @Test("A bounded wait takes a free lock at once, enters when the holder lets go in time, and otherwise gives up without entering", arguments: StoreFactory.available)
    func boundedWait(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, fixture in
            let other = try await fixture.open()
            #expect(try await store.withLock("k", exclusive: true, waitingAtMost: .seconds(20)) { 7 } == 7)
            // The holder on this instance: a waiter on the other one waits between processes, a waiter on this one
            // in the process's own queue.
            for waiter in [other, store] {
                let holding = Flag(), release = Flag()
                let holder = Task {
                    try await store.withLock("k", exclusive: true) {
                        holding.set()
                        try await release.wait(within: .seconds(60))
                    }
                }
                try await holding.wait(within: .seconds(20))
                let entered = Flag()
                let started = ContinuousClock.now
                await #expect(throws: LockWaitExceeded.self) {
                    try await waiter.withLock("k", exclusive: false, waitingAtMost: .milliseconds(300)) { entered.set() }
                }
                let waited = ContinuousClock.now - started
                #expect(!entered.isSet, "the body ran although the lock was held")
                #expect(waited >= .milliseconds(300) && waited < .seconds(15), "gave up after \(waited)")
                // A holder that lets go within the limit: the waiter enters.
                let late = Task {
                    try await waiter.withLock("k", exclusive: false, waitingAtMost: .seconds(30)) { entered.set() }
                }
                try await Task.sleep(for: .milliseconds(200))
                #expect(!entered.isSet)
                release.set()
                try await holder.value
                try await late.value
                #expect(entered.isSet)
            }
            try await other.close()
        }
    }
}

/// Counts holders inside a critical section and the most there were at once.
final class Gauge: Sendable {
    private let state = Mutex((inside: 0, peak: 0, entries: 0))

    func enter() {
        state.withLock {
            $0.inside += 1
            $0.entries += 1
            $0.peak = max($0.peak, $0.inside)
        }
    }

    func leave() { state.withLock { $0.inside -= 1 } }

    var peak: Int { state.withLock { $0.peak } }
    var entries: Int { state.withLock { $0.entries } }

    /// Waits until `count` holders have been inside at once (the first to see it leave at once, so the others
    /// look at the peak, not at who is still inside).
    func waitUntilInside(_ count: Int, within limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        while state.withLock({ $0.peak }) < count {
            guard ContinuousClock.now < deadline else {
                Issue.record("only \(state.withLock { $0.inside }) of \(count) holders got in together")
                return
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// A one-way flag between tasks.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }

    func wait(within limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        while !isSet {
            guard ContinuousClock.now < deadline else { throw StoreError(.io, "timed out waiting for a flag") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// Runs `body`, failing the test if it takes longer than `limit` (a lock that was never released).
func withTimeout(_ limit: Duration, _ body: @escaping @Sendable () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask {
            try await body()
            return true
        }
        group.addTask {
            try await Task.sleep(for: limit)
            return false
        }
        let finished = try await group.next() ?? false
        group.cancelAll()
        if !finished { Issue.record("did not finish within \(limit)") }
    }
}
