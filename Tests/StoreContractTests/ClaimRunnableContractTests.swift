import Foundation
import OnboardCore
import Testing

@Suite("Store contract: claiming runnable runs")
struct ClaimRunnableContractTests {
    @Test("Only runnable runs are claimed, oldest first, each leased to the owner of its rank", arguments: StoreFactory.available)
    func whatIsRunnable(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let pending = sampleRun("pending", batchID: "b1", createdAt: time(1))
            let interrupted = sampleRun("interrupted", batchID: "b1", status: .interrupted, createdAt: time(2))
            let expired = sampleRun("expired", batchID: "b1", createdAt: time(3))
            let live = sampleRun("live", batchID: "b1", createdAt: time(4))
            let account = sampleRun("acme", kind: .account, batchID: "b1", createdAt: time(5))
            let subscriber = sampleRun("acme/jane", kind: .subscriber, parentID: account.id, batchID: "b1", createdAt: time(0))
            let other = sampleRun("other-batch", batchID: "b2", createdAt: time(6))
            var finished: [RunRecord] = []
            for (index, status) in [RunStatus.done, .failed, .inDoubt].enumerated() {
                finished.append(sampleRun("finished-\(index)", batchID: "b1", status: status, createdAt: time(0.5)))
            }
            for run in [pending, interrupted, expired, live, account, subscriber, other] + finished {
                _ = try await store.createRun(run, stepIDs: ["a"])
            }
            _ = try await lease(store, expired.id, duration: .milliseconds(100))
            let liveLease = try await lease(store, live.id, duration: .seconds(60))
            try await Task.sleep(for: .milliseconds(400))

            let owners = (0..<10).map { _ in newOwner() }
            let claimed = try await store.claimRunnable(batchID: "b1", owners: owners, duration: .seconds(60))
            #expect(claimed.map(\.runID) == [pending.id, interrupted.id, expired.id, account.id])
            #expect(claimed.map(\.owner) == Array(owners.prefix(4)))
            #expect(claimed.map(\.epoch) == [1, 1, 2, 1])
            for held in claimed {
                let stored = try #require(try await store.run(id: held.runID))
                #expect(stored.status == .running && stored.leaseOwner == held.owner && stored.leaseEpoch == held.epoch)
                #expect(try await store.renewLease(held, duration: .seconds(60)))
            }
            #expect(try await store.renewLease(liveLease, duration: .seconds(60)))
            // Nothing left in b1 until the account is done; then its subscriber is.
            #expect(try await store.claimRunnable(batchID: "b1", owners: owners, duration: .seconds(60)).isEmpty)
            let accountLease = try #require(claimed.first { $0.runID == account.id })
            try await store.finishRun(accountLease, status: .done, lastError: nil)
            let next = try await store.claimRunnable(batchID: "b1", owners: owners, duration: .seconds(60))
            #expect(next.map(\.runID) == [subscriber.id])
            // No batch given: any batch.
            #expect(try await store.claimRunnable(batchID: nil, owners: owners, duration: .seconds(60)).map(\.runID) == [other.id])
            #expect(try await store.claimRunnable(batchID: nil, owners: [], duration: .seconds(60)).isEmpty)
        }
    }

    @Test("A subscriber is never claimable before its account is done, whatever the account's state", arguments: StoreFactory.available)
    func accountGate(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let account = sampleRun("acme", kind: .account, batchID: "b1", createdAt: time(1))
            let subscriber = sampleRun("acme/jane", kind: .subscriber, parentID: account.id, batchID: "b1", createdAt: time(0))
            _ = try await store.createRun(account, stepIDs: ["a"])
            _ = try await store.createRun(subscriber, stepIDs: ["a"])
            let owner = [newOwner()]
            let first = try await store.claimRunnable(batchID: nil, owners: owner, duration: .seconds(60))
            #expect(first.map(\.runID) == [account.id])
            var held = try #require(first.first)
            for status in [RunStatus.failed, .inDoubt, .interrupted, .running] {
                // A running account (its execution holds the lease) gates its subscribers too.
                if status != .running { try await store.finishRun(held, status: status, lastError: nil) }
                let claimed = try await store.claimRunnable(batchID: nil, owners: [newOwner(), newOwner()], duration: .seconds(60))
                #expect(!claimed.contains { $0.runID == subscriber.id }, "claimed a subscriber of a \(status) account")
                // An interrupted account is runnable again; a failed or in-doubt one waits for a person.
                #expect(claimed.map(\.runID) == (status == .interrupted ? [account.id] : []))
                if let again = claimed.first {
                    held = again
                } else if status != .running {
                    held = try await lease(store, account.id, duration: .seconds(60))
                }
            }
            try await store.finishRun(held, status: .done, lastError: nil)
            #expect(try await store.claimRunnable(batchID: nil, owners: owner, duration: .seconds(60)).map(\.runID) == [subscriber.id])
        }
    }

    @Test("Concurrent claimers on two store instances never get the same run, and together get them all", arguments: StoreFactory.available)
    func concurrentClaimers(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, fixture in
            let other = try await fixture.open()
            let count = 60
            for index in 0..<count {
                _ = try await store.createRun(sampleRun("item-\(index)", batchID: "b1", createdAt: time(Double(index))), stepIDs: ["a"])
            }
            let claims = try await withThrowingTaskGroup(of: [Lease].self) { group in
                for claimer in 0..<8 {
                    let target = claimer.isMultiple(of: 2) ? store : other
                    group.addTask {
                        var mine: [Lease] = []
                        while true {
                            let got = try await target.claimRunnable(
                                batchID: "b1", owners: [newOwner(), newOwner(), newOwner()], duration: .seconds(60))
                            if got.isEmpty { return mine }
                            mine += got
                        }
                    }
                }
                return try await group.reduce(into: [Lease]()) { $0 += $1 }
            }
            #expect(claims.count == count)
            #expect(Set(claims.map(\.runID)).count == count)
            #expect(claims.allSatisfy { $0.epoch == 1 })
            for held in claims.prefix(5) { #expect(try await other.renewLease(held, duration: .seconds(60))) }
            try await other.close()
        }
    }
}
