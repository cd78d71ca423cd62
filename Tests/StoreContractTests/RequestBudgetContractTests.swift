import Foundation
import OnboardCore
import Synchronization
import Testing

@Suite("Store contract: shared request budget")
struct RequestBudgetContractTests {
    /// A reserved moment as this test can see it: the store reads its clock somewhere between the call and its
    /// answer, so the moment lies in `[start + wait, end + wait]` of this process's clock.
    struct Moment: Sendable {
        var earliest: ContinuousClock.Instant
        var latest: ContinuousClock.Instant
        var middle: ContinuousClock.Instant { earliest + (latest - earliest) / 2 }
        var uncertainty: Duration { (latest - earliest) / 2 }
    }

    @Test("3 store instances × many tasks: no window holds more than the limit, and the budget is used densely", arguments: StoreFactory.available)
    func sharedLimitIsKeptAndDense(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, fixture in
            let stores = [store, try await fixture.open(), try await fixture.open()]
            let limit = 10, window = Duration.seconds(2)
            let clock = ContinuousClock()
            let stopReservingAt = clock.now + .milliseconds(6_500)
            let moments = Collected<Moment>()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<12 {
                    let target = stores[index % stores.count]
                    group.addTask {
                        // Each task behaves like a sender: reserve, wait for the moment, send, reserve again.
                        while clock.now < stopReservingAt {
                            let start = clock.now
                            let wait = try await target.reserveRequestSlot(credential: "key-digest", limit: limit, window: window)
                            let end = clock.now
                            moments.append(Moment(earliest: start + wait, latest: end + wait))
                            try await clock.sleep(until: end + wait)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let sorted = moments.all.sorted { $0.middle < $1.middle }
            try #require(sorted.count > 3 * limit)
            // Any `limit + 1` consecutive moments span at least a window (up to what this test can measure).
            for index in sorted.indices.dropLast(limit) {
                let first = sorted[index], last = sorted[index + limit]
                // These are the first and last of the span by what was measured; the two that are really first and
                // last lie among them, so the slack is twice the largest uncertainty of the span.
                let slack = sorted[index...(index + limit)].map(\.uncertainty).max()! * 2 + .milliseconds(1)
                #expect(
                    last.middle - first.middle >= window - slack,
                    "\(limit + 1) reservations within \(last.middle - first.middle) (window \(window))")
            }
            // Dense: the first three windows after the first moment hold at least 95 % of 3 × limit.
            let origin = sorted[0].middle
            let inThreeWindows = sorted.filter { $0.middle - origin < window * 3 - .milliseconds(50) }.count
            #expect(Double(inThreeWindows) >= 0.95 * Double(3 * limit), "only \(inThreeWindows) in three windows")
            for extra in stores.dropFirst() { try await extra.close() }
        }
    }

    @Test("A pause holds back every later reservation of its credential, in every instance, and only of it", arguments: StoreFactory.available)
    func pause(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, fixture in
            let other = try await fixture.open()
            #expect(try await store.reserveRequestSlot(credential: "a", limit: 50, window: .seconds(60)) < .milliseconds(500))
            try await store.pauseRequests(credential: "a", for: .seconds(3))
            // A shorter pause does not shorten the one in force.
            try await other.pauseRequests(credential: "a", for: .milliseconds(10))
            let wait = try await other.reserveRequestSlot(credential: "a", limit: 50, window: .seconds(60))
            #expect(wait > .milliseconds(2_000) && wait <= .seconds(3))
            #expect(try await other.reserveRequestSlot(credential: "b", limit: 50, window: .seconds(60)) < .milliseconds(500))
            try await other.close()
        }
    }

    @Test("Moments go out in call order and a cold budget allows `limit` at once, then one per window/limit", arguments: StoreFactory.available)
    func coldStart(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            var waits: [Duration] = []
            for _ in 0..<6 { waits.append(try await store.reserveRequestSlot(credential: "c", limit: 3, window: .seconds(30))) }
            #expect(waits.prefix(3).allSatisfy { $0 < .seconds(1) })
            // The 4th waits for the 1st to leave the window, and so on.
            #expect(waits[3...].allSatisfy { $0 > .seconds(28) && $0 <= .seconds(30) })
        }
    }
}

/// Values appended from many tasks.
final class Collected<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}
