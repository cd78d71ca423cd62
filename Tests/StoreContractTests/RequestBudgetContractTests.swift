import Foundation
import OnboardCore
import Synchronization
import Testing

@Suite("Store contract: shared request budget", .serialized)
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
            let moments = Collected<Moment>()
            // Reserving goes on until 7 s after the first answer (a loaded machine may take a while to give it).
            let giveUpAt = clock.now + .seconds(60)
            @Sendable func keepReserving() -> Bool {
                guard let first = moments.first else { return clock.now < giveUpAt }
                return clock.now < first.latest + .seconds(7)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<24 {
                    let target = stores[index % stores.count]
                    group.addTask {
                        // Each task behaves like a sender: reserve, wait for the moment, send, reserve again.
                        while keepReserving() {
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
            // Dense: the first three windows after the first moment hold at least 95 % of 3 × limit. A moment counts
            // when it may lie inside by what was measured (a loaded machine widens every moment's uncertainty, and
            // middles near the edge then fall either side of it).
            let origin = sorted[0].latest
            let inThreeWindows = sorted.filter { $0.earliest - origin < window * 3 - .milliseconds(50) }.count
            #expect(Double(inThreeWindows) >= 0.95 * Double(3 * limit), "only \(inThreeWindows) in three windows")
            for extra in stores.dropFirst() { try await extra.close() }
        }
    }

    @Test("A pause holds back every later reservation of its credential, in every instance, and only of it", arguments: StoreFactory.available)
    func pause(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, fixture in
            let other = try await fixture.open()
            let clock = ContinuousClock()
            #expect(try await store.reserveRequestSlot(credential: "a", limit: 50, window: .seconds(60)) == .zero)
            let pauseStart = clock.now
            try await store.pauseRequests(credential: "a", for: .seconds(3))
            let pauseEnd = clock.now
            // A shorter pause does not shorten the one in force.
            try await other.pauseRequests(credential: "a", for: .milliseconds(10))
            let start = clock.now
            let wait = try await other.reserveRequestSlot(credential: "a", limit: 50, window: .seconds(60))
            let end = clock.now
            // The moment is the pause's end: 3 s after a reading of the clock taken during the pause call.
            #expect(end + wait >= pauseStart + .seconds(3), "reserved before the pause's end")
            #expect(start + wait <= pauseEnd + .seconds(3), "reserved after the pause's end")
            #expect(try await other.reserveRequestSlot(credential: "b", limit: 50, window: .seconds(60)) == .zero)
            try await other.close()
        }
    }

    @Test("A cold budget allows `limit` at once; the next waits until the first has left the window", arguments: StoreFactory.available)
    func coldStart(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let clock = ContinuousClock()
            var moments: [Moment] = []
            var waits: [Duration] = []
            for _ in 0..<6 {
                let start = clock.now
                let wait = try await store.reserveRequestSlot(credential: "c", limit: 3, window: .seconds(30))
                let end = clock.now
                waits.append(wait)
                moments.append(Moment(earliest: start + wait, latest: end + wait))
            }
            // The first three may leave at once, whatever time passed between the calls.
            #expect(waits.prefix(3).allSatisfy { $0 == .zero })
            // The 4th, 5th and 6th each wait for the one `limit` places before it to leave the window, and no more.
            for index in 3..<6 {
                let earlier = moments[index - 3], later = moments[index]
                #expect(later.latest - earlier.earliest >= .seconds(30))
                #expect(later.earliest - earlier.latest <= .seconds(30))
            }
        }
    }
}

/// Values appended from many tasks.
final class Collected<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
    var first: Value? { values.withLock { $0.first } }
}
