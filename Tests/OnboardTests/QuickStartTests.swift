import Foundation
import OnboardCore
import OnboardSQLite
import TelegentClient
import TelegentSimulator
import Testing

/// The quick start end to end against the in-process simulator, in both dialects, voice on and off.
@Suite struct QuickStartTests {
    @Test(arguments: ["quickstart", "quickstart-guide"], [true, false])
    func completesAndPassesIDsAlong(workflowName: String, voice: Bool) async throws {
        try await Harness.with { harness in
            let workflow = try Harness.workflow(workflowName)
            let inputs = try Harness.inputs(["voice_route.enabled": .bool(voice)], workflow: workflow)
            #expect(try await harness.run(inputs, workflow: workflow) == .done)
            harness.expectExactlyOneSetup(voice: voice ? 1 : 0)

            let steps = try await harness.steps()
            #expect(steps["voice_route"]?.status == (voice ? .done : .skipped))
            let accountID = try #require(steps["account"]?.outputs["account_id"]?.stringValue)
            let number = try #require(steps["provision"]?.outputs["phone_number"]?.stringValue)
            #expect(accountID.hasPrefix("AID-"))
            #expect(steps["message_route"]?.outputs["message_route_id"]?.stringValue?.hasPrefix("MRID-") == true)
            #expect(steps["subscriber"]?.outputs["subscriber_id"]?.stringValue?.hasPrefix("TSUID-") == true)
            #expect(steps["test_message"]?.outputs["message_id"]?.stringValue?.hasPrefix("TMID-") == true)
            #expect(number.hasPrefix("+1"))
            // The IDs reached the next steps: the number was bought under the account, and the message went
            // out from that number.
            let ledger = harness.ledger
            if workflowName == "quickstart" {
                // The guide's provision names no account: only the reference dialect ties the number to it.
                #expect(ledger.purchasesByAccount[accountID] == 1)
            }
            #expect(ledger.messagesByRoute["\(number)->+13105559999"] == 1)
            #expect(ledger.subscriberEmails["jane.doe@acme-mobile.example"] == 1)
        }
    }

    @Test func rerunOfAFinishedRunMakesNoCall() async throws {
        try await Harness.with { harness in
            let workflow = try Harness.workflow()
            let inputs = try Harness.inputs()
            try await harness.run(inputs, workflow: workflow)
            let before = harness.ledger.requests
            #expect(try await harness.run(inputs, workflow: workflow) == .done)
            #expect(harness.ledger.requests == before)
            harness.expectExactlyOneSetup()
        }
    }

    @Test func pendingOrderIsPolledUntilComplete() async throws {
        try await Harness.with(SimulatorConfiguration(rateLimitPerMinute: nil, orderSettleDelay: .milliseconds(1200))) { harness in
            let workflow = try Harness.workflow()
            #expect(try await harness.run(try Harness.inputs(), workflow: workflow) == .done)
            #expect(try await harness.steps()["provision"]?.outputs["order_status"] == "Complete")
            let polls = try await harness.store.attempts(runID: Runner.runID(forKey: "acme"), stepID: "provision")
                .filter { $0.purpose == .poll }
            #expect(polls.count >= 1)
            #expect(harness.requests("GET /v1.0/numbers/order") == polls.count)
            harness.expectExactlyOneSetup()
        }
    }

    @Test func tokensAreFetchedOncePerEndpointPath() async throws {
        try await Harness.with { harness in
            let workflow = try Harness.workflow()
            try await harness.run(try Harness.inputs(), workflow: workflow)
            // Seven step endpoints, each with its own path-scoped token, fetched once.
            #expect(harness.ledger.tokensIssued == 7)
            #expect(harness.ledger.requests == 14)
        }
    }
}
