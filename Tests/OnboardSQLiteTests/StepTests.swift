import Foundation
import OnboardCore
import OnboardSQLite
import Testing

@Suite("Steps, attempts and claims")
struct StepTests {
    @Test("An attempt is recorded before sending, marks the step running and counts sends only")
    func attemptLifecycle() async throws {
        try await withStore { store, _ in
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: quickstartSteps)

            let send = try await store.beginAttempt(sampleAttempt(run, "buy_number", at: time(10)))
            let sendID = try #require(send.id)
            var expected = sampleAttempt(run, "buy_number", at: time(10))
            expected.id = sendID
            #expect(send == expected)
            var step = try #require(try await store.steps(runID: run.id).first { $0.stepID == "buy_number" })
            #expect(step.status == .running)
            #expect(step.attempts == 1)
            #expect(step.updatedAt == time(10))

            let lookup = try await store.beginAttempt(
                sampleAttempt(run, "buy_number", purpose: .reconcile, n: 2, at: time(11)))
            let poll = try await store.beginAttempt(
                sampleAttempt(run, "buy_number", purpose: .poll, n: 3, at: time(12)))
            step = try #require(try await store.steps(runID: run.id).first { $0.stepID == "buy_number" })
            #expect(step.attempts == 1)
            #expect(try await store.unfinishedAttempts(runID: run.id).map(\.id) == [sendID, lookup.id, poll.id])

            try await store.finishAttempt(
                id: sendID, outcome: .httpError, statusCode: 503, error: "Service Unavailable", at: time(13))
            let finished = try #require(try await store.attempts(runID: run.id, stepID: "buy_number").first)
            #expect(finished.outcome == .httpError)
            #expect(finished.statusCode == 503)
            #expect(finished.error == "Service Unavailable")
            #expect(finished.finishedAt == time(13))
            #expect(finished.isInDoubt == false)
            #expect(try await store.unfinishedAttempts(runID: run.id).map(\.id) == [lookup.id, poll.id])

            try await store.finishAttempt(
                id: lookup.id!, outcome: .noAnswer, statusCode: nil, error: "connection reset", at: time(14))
            try await store.completeStep(
                runID: run.id, stepID: "buy_number", outputs: ["number": "8015550100"], inputDigest: "req-digest",
                claims: [], attemptID: poll.id, at: time(15))
            #expect(try await store.unfinishedAttempts(runID: run.id).isEmpty)
            let all = try await store.attempts(runID: run.id, stepID: nil)
            #expect(all.map(\.outcome) == [.httpError, .noAnswer, .succeeded])
            #expect(all.map(\.purpose) == [.send, .reconcile, .poll])
            #expect(all[2].finishedAt == time(15))
            #expect(try await store.attempts(runID: run.id, stepID: "create_account").isEmpty)
        }
    }

    @Test("An attempt begun but never finished is in doubt after the process is gone")
    func inDoubtAfterReopen() async throws {
        try await withTemporaryDirectory { folder in
            let path = folder.appendingPathComponent("onboard.sqlite").path
            let run = sampleRun("acme")
            do {
                let store = try SQLiteCheckpointStore(path: path)
                _ = try await store.createRun(run, stepIDs: quickstartSteps)
                let done = try await store.beginAttempt(sampleAttempt(run, "create_account"))
                try await store.completeStep(
                    runID: run.id, stepID: "create_account", outputs: ["account_id": "AID-1"], inputDigest: "d",
                    claims: [], attemptID: done.id, at: time(11))
                _ = try await store.beginAttempt(sampleAttempt(run, "create_route", at: time(12)))
                // No finishAttempt: the process "dies" here.
            }
            let reopened = try SQLiteCheckpointStore(path: path)
            defer { try? reopened.close() }
            let unfinished = try await reopened.unfinishedAttempts(runID: run.id)
            #expect(unfinished.map(\.stepID) == ["create_route"])
            #expect(unfinished.allSatisfy { $0.isInDoubt })
            #expect(try await reopened.steps(runID: run.id).map(\.status) == [.done, .running, .pending, .pending])
        }
    }

    @Test("beginAttempt for a step that does not exist is notFound and records nothing")
    func attemptOfMissingStep() async throws {
        try await withStore { store, _ in
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: ["a"])
            await #expect(throws: StoreError.self) { try await store.beginAttempt(sampleAttempt(run, "nope")) }
            await #expect(throws: StoreError.self) {
                try await store.finishAttempt(id: 42, outcome: .succeeded, statusCode: 200, error: nil, at: time())
            }
            #expect(try await store.attempts(runID: run.id, stepID: nil).isEmpty)
        }
    }

    @Test("completeStep stores outputs and digest, clears error and retry time, and records claims")
    func completeStep() async throws {
        try await withStore { store, _ in
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: quickstartSteps)
            try await store.setStepState(
                runID: run.id, stepID: "buy_number", status: .failed, lastError: "503", nextRetryAt: time(20),
                at: time(5))
            var step = try #require(try await store.steps(runID: run.id).first { $0.stepID == "buy_number" })
            #expect(step.status == .failed)
            #expect(step.lastError == "503")
            #expect(step.nextRetryAt == time(20))
            #expect(step.updatedAt == time(5))

            let outputs: [String: JSONValue] = [
                "number": "8015550100", "area": 801, "price": .double(1.25), "voice": false, "meta": ["a": [1, nil]],
            ]
            let number = Claim(scope: "phone_number", value: "8015550100")
            try await store.completeStep(
                runID: run.id, stepID: "buy_number", outputs: outputs, inputDigest: "req", claims: [number],
                attemptID: nil, at: time(21))
            step = try #require(try await store.steps(runID: run.id).first { $0.stepID == "buy_number" })
            let done = StepRecord(
                runID: run.id, stepID: "buy_number", position: 2, status: .done, outputs: outputs, attempts: 0,
                inputDigest: "req", updatedAt: time(21))
            #expect(step == done)
            #expect(try await store.claimHolder(number) == run.id)
            #expect(try await store.claimHolder(Claim(scope: "phone_number", value: "other")) == nil)

            // Idempotent: the same run completing with the claim it holds.
            try await store.completeStep(
                runID: run.id, stepID: "buy_number", outputs: outputs, inputDigest: "req", claims: [number],
                attemptID: nil, at: time(22))
            #expect(try await store.claimHolder(number) == run.id)
        }
    }

    @Test("A claim held by another run fails completeStep and rolls everything back")
    func claimConflictRollsBack() async throws {
        try await withStore { store, _ in
            let jane = sampleRun("acme/jane")
            let bob = sampleRun("acme/bob")
            _ = try await store.createRun(jane, stepIDs: quickstartSteps)
            _ = try await store.createRun(bob, stepIDs: quickstartSteps)
            let taken = Claim(scope: "phone_number", value: "8015550100")
            let fresh = Claim(scope: "phone_number", value: "8015550199")
            try await store.completeStep(
                runID: jane.id, stepID: "buy_number", outputs: ["number": "8015550100"], inputDigest: "j",
                claims: [taken], attemptID: nil, at: time(5))

            let attempt = try await store.beginAttempt(sampleAttempt(bob, "buy_number", purpose: .reconcile))
            let before = try await store.steps(runID: bob.id)
            await #expect(throws: StoreError.claimConflict(taken, heldBy: jane.id)) {
                try await store.completeStep(
                    runID: bob.id, stepID: "buy_number", outputs: ["number": "8015550100"], inputDigest: "b",
                    claims: [fresh, taken], attemptID: attempt.id, at: time(6))
            }
            #expect(try await store.steps(runID: bob.id) == before)
            #expect(try await store.unfinishedAttempts(runID: bob.id).map(\.id) == [attempt.id])
            #expect(try await store.claimHolder(fresh) == nil)
            #expect(try await store.claimHolder(taken) == jane.id)
        }
    }

    @Test("completeStep with an attempt of another step, or of a missing step, changes nothing")
    func completeStepChecksItsArguments() async throws {
        try await withStore { store, _ in
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: quickstartSteps)
            let attempt = try await store.beginAttempt(sampleAttempt(run, "create_account"))
            let claim = Claim(scope: "phone_number", value: "1")
            await #expect(throws: StoreError.self) {
                try await store.completeStep(
                    runID: run.id, stepID: "create_route", outputs: ["x": 1], inputDigest: nil, claims: [claim],
                    attemptID: attempt.id, at: time(20))
            }
            await #expect(throws: StoreError.self) {
                try await store.completeStep(
                    runID: run.id, stepID: "nope", outputs: [:], inputDigest: nil, claims: [claim], attemptID: nil,
                    at: time(20))
            }
            #expect(try await store.steps(runID: run.id).map(\.status) == [.running, .pending, .pending, .pending])
            #expect(try await store.unfinishedAttempts(runID: run.id).count == 1)
            #expect(try await store.claimHolder(claim) == nil)
        }
    }

    @Test("resetSteps puts steps back to pending, releases their claims and keeps attempts")
    func resetSteps() async throws {
        try await withStore { store, _ in
            let jane = sampleRun("acme/jane")
            let bob = sampleRun("acme/bob")
            _ = try await store.createRun(jane, stepIDs: quickstartSteps)
            _ = try await store.createRun(bob, stepIDs: quickstartSteps)
            let number = Claim(scope: "phone_number", value: "8015550100")
            let email = Claim(scope: "email", value: "jane@example.com")
            for (stepID, claims) in [
                ("create_account", [Claim]()), ("buy_number", [number]), ("create_subscriber", [email]),
            ] {
                let attempt = try await store.beginAttempt(sampleAttempt(jane, stepID))
                try await store.completeStep(
                    runID: jane.id, stepID: stepID, outputs: ["id": .string("\(stepID)-1")], inputDigest: "d",
                    claims: claims,
                    attemptID: attempt.id, at: time(20))
            }

            // A missing step fails the whole call.
            await #expect(throws: StoreError.self) {
                try await store.resetSteps(runID: jane.id, stepIDs: ["buy_number", "nope"], at: time(30))
            }
            #expect(try await store.claimHolder(number) == jane.id)

            try await store.resetSteps(runID: jane.id, stepIDs: ["buy_number", "create_subscriber"], at: time(30))
            let steps = try await store.steps(runID: jane.id)
            #expect(steps.map(\.status) == [.done, .pending, .pending, .pending])
            #expect(steps[0].outputs == ["id": "create_account-1"])
            for step in steps[2...] {
                #expect(step.outputs.isEmpty)
                #expect(step.inputDigest == nil)
                #expect(step.lastError == nil)
                #expect(step.nextRetryAt == nil)
                #expect(step.attempts == 1)
                #expect(step.updatedAt == time(30))
            }
            #expect(try await store.claimHolder(number) == nil)
            #expect(try await store.claimHolder(email) == nil)
            #expect(try await store.attempts(runID: jane.id, stepID: nil).count == 3)

            // Released: another run may now hold the number.
            try await store.completeStep(
                runID: bob.id, stepID: "buy_number", outputs: ["number": "8015550100"], inputDigest: "b",
                claims: [number], attemptID: nil, at: time(31))
            #expect(try await store.claimHolder(number) == bob.id)
        }
    }

    @Test("A write asked for by a cancelled task still commits (a stopping runner can record what happened)")
    func writesIgnoreCancellation() async throws {
        try await withStore { store, _ in
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: ["a"])
            let attempt = try await store.beginAttempt(sampleAttempt(run, "a"))
            let task = Task {
                try await store.finishAttempt(
                    id: attempt.id!, outcome: .abandoned, statusCode: nil, error: "shutdown", at: time(20))
            }
            task.cancel()
            try await task.value
            #expect(try await store.attempts(runID: run.id, stepID: "a").map(\.outcome) == [.abandoned])
        }
    }

    @Test("setStepState on a missing step is notFound")
    func setStateOfMissingStep() async throws {
        try await withStore { store, _ in
            await #expect(throws: StoreError.self) {
                try await store.setStepState(
                    runID: "r", stepID: "s", status: .done, lastError: nil, nextRetryAt: nil, at: time())
            }
        }
    }
}
