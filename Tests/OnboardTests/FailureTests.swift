import Foundation
import OnboardCore
import OnboardSQLite
import TelegentClient
import TelegentSimulator
import Testing

/// A 4xx at each step stops the run; after the cause is gone, resume sends exactly the remaining calls.
@Suite struct FailureTests {
    static let order = ["account", "message_route", "voice_route", "availability", "provision", "subscriber", "test_message"]

    @Test(arguments: order)
    func failureStopsAndResumeSendsOnlyTheRest(step: String) async throws {
        try await Harness.with { harness in
            let workflow = try Harness.workflow()
            let inputs = try Harness.inputs()
            let endpoint = endpointOfStep[step]!
            let path = String(endpoint.split(separator: " ")[1])
            harness.simulator.world.addFaults([FaultRule(method: "POST", path: path, action: .status, status: 400, count: 1)])
            #expect(try await harness.run(inputs, workflow: workflow) == .failed)
            let steps = try await harness.steps()
            #expect(steps[step]?.status == .failed)
            #expect(steps[step]?.lastError?.contains("HTTP 400") == true)
            let index = Self.order.firstIndex(of: step)!
            for later in Self.order[(index + 1)...] { #expect(harness.requests(endpointOfStep[later]!) == 0) }

            #expect(try await harness.run(inputs, workflow: workflow) == .done)
            for (position, name) in Self.order.enumerated() {
                // Finished steps were not sent again; the failed one twice; later ones once.
                #expect(harness.requests(endpointOfStep[name]!) == (position == index ? 2 : 1), "\(name)")
            }
            harness.expectExactlyOneSetup()
        }
    }

    @Test func emailAlreadyUsedStopsWithTheGuidesHint() async throws {
        try await Harness.with { harness in
            let workflow = try Harness.workflow()
            try await harness.run(try Harness.inputs(), workflow: workflow)
            // Another setup with a different account but the same subscriber email.
            let other = try Harness.inputs(["account.name": "Other Co", "message_route.name": "Other route"])
            #expect(try await harness.run(other, workflow: workflow, key: "other") == .failed)
            let steps = try await harness.steps("other")
            let error = try #require(steps["subscriber"]?.lastError)
            #expect(error.contains("409"))
            #expect(error.contains("unique across the whole Telegent platform"))
            #expect(harness.ledger.subscribers == 1)
        }
    }

    @Test func noNumbersInTheAreaFailsBeforeBuying() async throws {
        try await Harness.with { harness in
            let workflow = try Harness.workflow()
            let inputs = try Harness.inputs(["number.area_code": "907"])
            #expect(try await harness.run(inputs, workflow: workflow) == .failed)
            let steps = try await harness.steps()
            #expect(steps["availability"]?.lastError?.contains("no numbers are available") == true)
            #expect(harness.ledger.purchases == 0)
        }
    }

    @Test func changedInputsOfFinishedStepsAreRefusedWithADiff() async throws {
        try await Harness.with { harness in
            let workflow = try Harness.workflow()
            harness.simulator.world.addFaults([FaultRule(path: "/v1.0/numbers/provision", action: .status, status: 400, count: 1)])
            #expect(try await harness.run(try Harness.inputs(), workflow: workflow) == .failed)
            let changed = try Harness.inputs(["account.name": "Acme Renamed"])
            await #expect {
                try await harness.run(changed, workflow: workflow)
            } throws: { error in
                let text = "\(error)"
                return error is ChangedPinsError && text.contains("account.name: \"Acme Mobile\" → \"Acme Renamed\"")
                    && text.contains("account") && text.contains("--accept-changes")
            }
            // With the flag, the remaining steps run; the finished account is not re-created.
            #expect(try await harness.run(changed, workflow: workflow, acceptChanges: true) == .done)
            #expect(harness.ledger.accounts == 1)
        }
    }

    @Test func changedDefinitionIsRefused() async throws {
        try await Harness.with { harness in
            var workflow = try Harness.workflow()
            harness.simulator.world.addFaults([FaultRule(path: "/v1.0/numbers/provision", action: .status, status: 400, count: 1)])
            #expect(try await harness.run(try Harness.inputs(), workflow: workflow) == .failed)
            workflow.digest = String(repeating: "0", count: 64)
            await #expect(throws: ChangedPinsError.self) {
                try await harness.run(try Harness.inputs(), workflow: workflow)
            }
        }
    }
}
