import Foundation
import OnboardCore
import Testing

@Suite("Store contract: steps, attempts and claims")
struct StepContractTests {
    @Test("An attempt keeps every field; sends count on the step, lookups and polls do not", arguments: StoreFactory.available)
    func attemptLifecycle(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: quickstartSteps)
            let held = try await lease(store, run.id)
            let send = try await store.beginAttempt(sampleAttempt(run, "buy_number", effect: .purchase), lease: held)
            var expected = sampleAttempt(run, "buy_number", effect: .purchase)
            expected.id = try #require(send.id)
            #expect(send == expected)
            #expect(try await store.attempts(runID: run.id, stepID: "buy_number") == [expected])
            var step = try #require(try await store.steps(runID: run.id).first { $0.stepID == "buy_number" })
            #expect(step.status == .running && step.attempts == 1)

            let lookup = try await store.beginAttempt(sampleAttempt(run, "buy_number", purpose: .reconcile, n: 2), lease: held)
            let poll = try await store.beginAttempt(sampleAttempt(run, "buy_number", purpose: .poll, n: 3), lease: held)
            step = try #require(try await store.steps(runID: run.id).first { $0.stepID == "buy_number" })
            #expect(step.attempts == 1)

            let end = ClockReading(wall: time(13), uptime: 1013.5, bootID: "boot-1")
            try await store.finishAttempt(id: send.id!, outcome: .httpError, statusCode: 503, error: "Service Unavailable", at: end, lease: held)
            let finished = try #require(try await store.attempts(runID: run.id, stepID: "buy_number").first)
            #expect(finished.outcome == .httpError && finished.statusCode == 503 && finished.error == "Service Unavailable")
            #expect(finished.finishedAt == time(13) && finished.finishedUptime == 1013.5)
            #expect(!finished.mayHaveTakenEffect && !finished.mayStillBeInFlight)

            try await store.finishAttempt(id: lookup.id!, outcome: .noAnswer, statusCode: nil, error: "reset", at: end, lease: held)
            try await store.completeStep(held, stepID: "buy_number", outputs: ["number": "8015550100"], inputDigest: "req", claims: [], attempt: poll.id.map { FinishedAttempt(id: $0, statusCode: 200, at: .init(wall: time(20))) })
            let all = try await store.attempts(runID: run.id, stepID: nil)
            #expect(all.map(\.outcome) == [.httpError, .noAnswer, .succeeded])
            #expect(all.map(\.purpose) == [.send, .reconcile, .poll])
            #expect(all.map(\.effect) == [.purchase, .read, .read])
            #expect(try await store.attempts(runID: run.id, stepID: "create_account").isEmpty)
        }
    }

    /// A read's attempt is written only after its answer, with the step's outputs (`FinishedAttempt(unrecorded:)`).
    @Test("A read written whole with its step's outputs: one attempt, succeeded, counted on the step", arguments: StoreFactory.available)
    func readRecordedWithItsOutputs(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: quickstartSteps)
            let held = try await lease(store, run.id)
            var read = sampleAttempt(run, "create_route", effect: .read)
            read.method = "GET"
            let end = ClockReading(wall: time(12), uptime: 1012.25, bootID: "boot-1")
            try await store.completeStep(
                held, stepID: "create_route", outputs: ["total": 3], inputDigest: "d", claims: [],
                attempt: FinishedAttempt(unrecorded: read, statusCode: 200, at: end))
            let attempts = try await store.attempts(runID: run.id, stepID: "create_route")
            #expect(attempts.count == 1)
            let stored = try #require(attempts.first)
            #expect(stored.outcome == .succeeded && stored.statusCode == 200 && stored.method == "GET")
            #expect(stored.finishedAt == time(12) && stored.finishedUptime == 1012.25)
            let step = try #require(try await store.steps(runID: run.id).first { $0.stepID == "create_route" })
            #expect(step.status == .done && step.attempts == 1 && step.outputs == ["total": 3])
        }
    }

    @Test("An attempt begun and never finished is in doubt for the next store that opens the database", arguments: StoreFactory.available)
    func inDoubtAcrossStores(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, fixture in
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: quickstartSteps)
            let held = try await lease(store, run.id)
            let done = try await store.beginAttempt(sampleAttempt(run, "create_account"), lease: held)
            try await store.completeStep(held, stepID: "create_account", outputs: ["account_id": "AID-1"], inputDigest: "d", claims: [], attempt: done.id.map { FinishedAttempt(id: $0, statusCode: 200, at: .init(wall: time(20))) })
            _ = try await store.beginAttempt(sampleAttempt(run, "create_route", n: 2), lease: held)
            let reopened = try await fixture.open()
            let unfinished = try await reopened.attempts(runID: run.id, stepID: nil).filter { $0.outcome == nil }
            #expect(unfinished.map(\.stepID) == ["create_route"])
            #expect(unfinished.allSatisfy { $0.isInDoubt && $0.isUncertainCreate && $0.mayStillBeInFlight })
            #expect(try await reopened.steps(runID: run.id).map(\.status) == [.done, .running, .pending, .pending])
            try await reopened.close()
        }
    }

    @Test("completeFinalStep keeps the outputs and finishes the run done; on a claim conflict it changes nothing", arguments: StoreFactory.available)
    func completeFinalStep(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let other = sampleRun("other")
            _ = try await store.createRun(other, stepIDs: ["b"])
            let otherLease = try await lease(store, other.id)
            try await store.completeStep(
                otherLease, stepID: "b", outputs: [:], inputDigest: nil, claims: [Claim(scope: "n", value: "1")], attempt: nil)

            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: ["a"])
            let held = try await lease(store, run.id)
            let sent = try await store.beginAttempt(sampleAttempt(run, "a"), lease: held)
            let finished = FinishedAttempt(id: sent.id!, statusCode: 200, at: .init(wall: time(20)))
            await #expect(throws: StoreError.self) {
                try await store.completeFinalStep(
                    held, stepID: "a", outputs: ["n": "1"], inputDigest: "d", claims: [Claim(scope: "n", value: "1")],
                    attempt: finished)
            }
            var stored = try #require(try await store.run(id: run.id))
            #expect(stored.status == .running && stored.leaseOwner == held.owner)
            #expect(try await store.steps(runID: run.id).first?.status == .running)
            #expect(try await store.attempts(runID: run.id, stepID: "a").first?.outcome == nil)

            try await store.completeFinalStep(
                held, stepID: "a", outputs: ["n": "2"], inputDigest: "d", claims: [Claim(scope: "n", value: "2")],
                attempt: finished)
            stored = try #require(try await store.run(id: run.id))
            #expect(stored.status == .done && stored.lastError == nil && stored.leaseOwner == nil)
            let step = try #require(try await store.steps(runID: run.id).first)
            #expect(step.status == .done && step.outputs == ["n": "2"])
            #expect(try await store.attempts(runID: run.id, stepID: "a").first?.outcome == .succeeded)
            #expect(try await store.claimHolder(Claim(scope: "n", value: "2")) == run.id)
        }
    }

    @Test("disprove marks attempts as proved without effect", arguments: StoreFactory.available)
    func disprove(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: ["a"])
            let held = try await lease(store, run.id)
            let attempt = try await store.beginAttempt(sampleAttempt(run, "a"), lease: held)
            #expect(try await store.attempts(runID: run.id, stepID: "a").first?.isUncertainCreate == true)
            try await store.disprove(attemptIDs: [attempt.id!], lease: held)
            let stored = try #require(try await store.attempts(runID: run.id, stepID: "a").first)
            #expect(stored.disprovedAt != nil && !stored.mayHaveTakenEffect && !stored.isUncertainCreate)
        }
    }

    @Test("beginAttempt for a missing step is notFound and records nothing", arguments: StoreFactory.available)
    func attemptOfMissingStep(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: ["a"])
            let held = try await lease(store, run.id)
            await #expect(throws: StoreError.self) { try await store.beginAttempt(sampleAttempt(run, "nope"), lease: held) }
            await #expect(throws: StoreError.self) {
                try await store.finishAttempt(id: 42, outcome: .succeeded, statusCode: 200, error: nil, at: .init(wall: time()), lease: held)
            }
            #expect(try await store.attempts(runID: run.id, stepID: nil).isEmpty)
        }
    }

    @Test("completeStep stores outputs and digest, clears error and retry time, and records claims", arguments: StoreFactory.available)
    func completeStep(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: quickstartSteps)
            let held = try await lease(store, run.id)
            try await store.setStepState(held, stepID: "buy_number", status: .failed, lastError: "503", nextRetryAt: time(20))
            var step = try #require(try await store.steps(runID: run.id).first { $0.stepID == "buy_number" })
            #expect(step.status == .failed && step.lastError == "503" && step.nextRetryAt == time(20))
            let outputs: [String: JSONValue] = ["number": "8015550100", "area": 801, "price": .double(1.25), "voice": false, "meta": ["a": [1, nil]]]
            let number = Claim(scope: "phone_number", value: "8015550100")
            try await store.completeStep(held, stepID: "buy_number", outputs: outputs, inputDigest: "req", claims: [number], attempt: nil)
            step = try #require(try await store.steps(runID: run.id).first { $0.stepID == "buy_number" })
            #expect(step.status == .done && step.outputs == outputs && step.inputDigest == "req")
            #expect(step.lastError == nil && step.nextRetryAt == nil)
            #expect(try await store.claimHolder(number) == run.id)
            #expect(try await store.claimHolder(Claim(scope: "phone_number", value: "other")) == nil)
            // Idempotent: the same run completing with the claim it holds.
            try await store.completeStep(held, stepID: "buy_number", outputs: outputs, inputDigest: "req", claims: [number], attempt: nil)
            #expect(try await store.claimHolder(number) == run.id)
        }
    }

    @Test("A claim held by another run fails completeStep and rolls everything back", arguments: StoreFactory.available)
    func claimConflictRollsBack(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let jane = sampleRun("acme/jane"), bob = sampleRun("acme/bob")
            _ = try await store.createRun(jane, stepIDs: quickstartSteps)
            _ = try await store.createRun(bob, stepIDs: quickstartSteps)
            let janeLease = try await lease(store, jane.id), bobLease = try await lease(store, bob.id)
            let taken = Claim(scope: "phone_number", value: "8015550100")
            let fresh = Claim(scope: "phone_number", value: "8015550199")
            try await store.completeStep(janeLease, stepID: "buy_number", outputs: ["number": "8015550100"], inputDigest: "j", claims: [taken], attempt: nil)
            let attempt = try await store.beginAttempt(sampleAttempt(bob, "buy_number", purpose: .reconcile), lease: bobLease)
            let before = try await store.steps(runID: bob.id)
            await #expect(throws: StoreError.claimConflict(taken, heldBy: jane.id)) {
                try await store.completeStep(bobLease, stepID: "buy_number", outputs: ["number": "8015550100"], inputDigest: "b", claims: [fresh, taken], attempt: attempt.id.map { FinishedAttempt(id: $0, statusCode: 200, at: .init(wall: time(20))) })
            }
            #expect(try await store.steps(runID: bob.id) == before)
            #expect(try await store.attempts(runID: bob.id, stepID: nil).map(\.outcome) == [nil])
            #expect(try await store.claimHolder(fresh) == nil)
            #expect(try await store.claimHolder(taken) == jane.id)
        }
    }

    @Test("Claims stay unique when many runs on two store instances race for the same value", arguments: StoreFactory.available)
    func claimsUnderConcurrentWriters(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, fixture in
            let other = try await fixture.open()
            var leases: [Lease] = []
            for index in 0..<12 {
                let run = sampleRun("acme/\(index)")
                _ = try await store.createRun(run, stepIDs: ["buy_number"])
                leases.append(try await lease(store, run.id))
            }
            let claim = Claim(scope: "phone_number", value: "8015550100")
            let winners = try await withThrowingTaskGroup(of: String?.self) { group in
                for (index, held) in leases.enumerated() {
                    let target = index.isMultiple(of: 2) ? store : other
                    group.addTask {
                        do {
                            try await target.completeStep(held, stepID: "buy_number", outputs: ["n": "1"], inputDigest: nil, claims: [claim], attempt: nil)
                            return held.runID
                        } catch let error as StoreError where error.code == .claimConflict {
                            return nil
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { if let id = $1 { $0.append(id) } }
            }
            #expect(winners.count == 1)
            #expect(try await store.claimHolder(claim) == winners.first)
            let done = try await store.runs(matching: RunFilter()).asyncCount { try await store.steps(runID: $0.id).first?.status == .done }
            #expect(done == 1)
            try await other.close()
        }
    }

    @Test("resetSteps puts steps back to pending, releases their claims and keeps attempts", arguments: StoreFactory.available)
    func resetSteps(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let jane = sampleRun("acme/jane"), bob = sampleRun("acme/bob")
            _ = try await store.createRun(jane, stepIDs: quickstartSteps)
            _ = try await store.createRun(bob, stepIDs: quickstartSteps)
            let janeLease = try await lease(store, jane.id), bobLease = try await lease(store, bob.id)
            let number = Claim(scope: "phone_number", value: "8015550100")
            let email = Claim(scope: "email", value: "jane@example.com")
            for (stepID, claims) in [("create_account", [Claim]()), ("buy_number", [number]), ("create_subscriber", [email])] {
                let attempt = try await store.beginAttempt(sampleAttempt(jane, stepID), lease: janeLease)
                try await store.completeStep(janeLease, stepID: stepID, outputs: ["id": .string("\(stepID)-1")], inputDigest: "d", claims: claims, attempt: attempt.id.map { FinishedAttempt(id: $0, statusCode: 200, at: .init(wall: time(20))) })
            }
            await #expect(throws: StoreError.self) { try await store.resetSteps(janeLease, stepIDs: ["buy_number", "nope"]) }
            #expect(try await store.claimHolder(number) == jane.id)
            try await store.resetSteps(janeLease, stepIDs: ["buy_number", "create_subscriber"])
            let steps = try await store.steps(runID: jane.id)
            #expect(steps.map(\.status) == [.done, .pending, .pending, .pending])
            #expect(steps[0].outputs == ["id": "create_account-1"])
            #expect(steps[2...].allSatisfy { $0.outputs.isEmpty && $0.inputDigest == nil && $0.lastError == nil && $0.attempts == 1 })
            #expect(try await store.claimHolder(number) == nil)
            #expect(try await store.claimHolder(email) == nil)
            #expect(try await store.attempts(runID: jane.id, stepID: nil).count == 3)
            try await store.completeStep(bobLease, stepID: "buy_number", outputs: ["number": "8015550100"], inputDigest: "b", claims: [number], attempt: nil)
            #expect(try await store.claimHolder(number) == bob.id)
        }
    }

    @Test("A write asked for by a cancelled task still commits", arguments: StoreFactory.available)
    func writesIgnoreCancellation(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: ["a"])
            let held = try await lease(store, run.id)
            let attempt = try await store.beginAttempt(sampleAttempt(run, "a"), lease: held)
            let task = Task {
                try await store.finishAttempt(id: attempt.id!, outcome: .abandoned, statusCode: nil, error: "shutdown", at: .init(wall: time(20)), lease: held)
            }
            task.cancel()
            try await task.value
            #expect(try await store.attempts(runID: run.id, stepID: "a").map(\.outcome) == [.abandoned])
        }
    }
}

extension Sequence where Element: Sendable {
    func asyncCount(_ predicate: (Element) async throws -> Bool) async rethrows -> Int {
        var count = 0
        for element in self where try await predicate(element) { count += 1 }
        return count
    }
}
