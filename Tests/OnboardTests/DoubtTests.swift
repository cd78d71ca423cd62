import Foundation
import Synchronization
import OnboardCore
import OnboardRuntime
import OnboardSQLite
import TelegentClient
import TelegentSimulator
import Testing

/// A request that took effect but got no answer (the simulator's `drop`) puts the step in doubt: the runner looks
/// the effect up and adopts it, so nothing is created twice.
@Suite struct DoubtTests {
    @Test(arguments: ["account", "message_route", "voice_route", "provision", "subscriber", "test_message"])
    func droppedAnswerIsReconciledNotRepeated(step: String) async throws {
        try await Harness.with { harness in
            let workflow = try Harness.workflow()
            let path = String(endpointOfStep[step]!.split(separator: " ")[1])
            harness.simulator.world.addFaults([FaultRule(method: "POST", path: path, action: .drop, count: 1)])
            let events = EventLog()
            try await harness.withEngine(workflow: workflow, events: events.append) { engine in
                let inputs = try Harness.inputs()
                let run = try await engine.runner.prepare(key: "acme", kind: .single, inputs: inputs, inputPath: nil)
                #expect(try await engine.runner.execute(run, inputs: inputs).status == .done)
            }
            harness.expectExactlyOneSetup()
            #expect(harness.ledger.droppedResponses == 1)
            #expect(harness.requests(endpointOfStep[step]!) == 1, "the create request was not sent again")
            #expect(events.adopted == [step])
        }
    }

    /// The answer is lost while the API is still working on the request (here: the client gives up after 1.5 s,
    /// the API applies the purchase after 3 s). A lookup made at once finds nothing; buying again then would be
    /// a duplicate. The runner waits out the settle window, looks again, and adopts.
    @Test func lookupWaitsForARequestStillInTheAPIsHands() async throws {
        try await Harness.with { harness in
            let workflow = try Harness.workflow()
            harness.simulator.world.addFaults([
                FaultRule(method: "POST", path: "/v1.0/numbers/provision", action: .latency, latencyMs: 3_000, count: 1)
            ])
            let events = EventLog()
            let configuration = harness.configuration(timeout: .milliseconds(1_500), settleWindow: .seconds(3))
            try await harness.withEngine(workflow: workflow, configuration, events: events.append) { engine in
                let inputs = try Harness.inputs()
                let run = try await engine.runner.prepare(key: "acme", kind: .single, inputs: inputs, inputPath: nil)
                #expect(try await engine.runner.execute(run, inputs: inputs).status == .done)
            }
            harness.expectExactlyOneSetup()
            #expect(harness.requests("POST /v1.0/numbers/provision") == 1, "not bought again")
            // (On a loaded machine an earlier step may time out too, and be adopted the same way.)
            #expect(events.adopted.contains("provision"))
        }
    }

    @Test(arguments: ["quickstart", "quickstart-guide"])
    func serverErrorOnAPurchaseLooksBeforeBuyingAgain(workflowName: String) async throws {
        try await Harness.with { harness in
            let workflow = try Harness.workflow(workflowName)
            // A 500 may mean it happened: the runner looks (finds nothing here) and only then buys.
            let path = workflowName == "quickstart" ? "/v1.0/numbers/provision" : "/numbers/provision"
            harness.simulator.world.addFaults([FaultRule(method: "POST", path: path, action: .status, status: 500, count: 2)])
            #expect(try await harness.run(try Harness.inputs(workflow: workflow), workflow: workflow) == .done)
            harness.expectExactlyOneSetup()
            let lookups = try await harness.store.attempts(runID: Runner.runID(forKey: "acme"), stepID: "provision")
                .filter { $0.purpose == .reconcile }
            #expect(lookups.count >= 2)
        }
    }

    @Test func inDoubtStepWithoutLookupStopsForAPerson() async throws {
        try await Harness.with { harness in
            var workflow = try Harness.workflow()
            let index = workflow.steps.firstIndex { $0.id == "subscriber" }!
            workflow.steps[index].reconcile = nil
            harness.simulator.world.addFaults([FaultRule(path: "/v1.0/subscribers/create", action: .drop, count: 1)])
            #expect(try await harness.run(try Harness.inputs(), workflow: workflow) == .inDoubt)
            let steps = try await harness.steps()
            #expect(steps["subscriber"]?.status == .inDoubt)
            #expect(steps["subscriber"]?.lastError?.contains("onboard resolve") == true)
            // Resuming does not resend it either.
            #expect(try await harness.run(try Harness.inputs(), workflow: workflow) == .inDoubt)
            #expect(harness.requests("POST /v1.0/subscribers/create") == 1)
        }
    }
}

/// Collects run events for assertions.
final class EventLog: Sendable {
    private let events = Locked<[RunEvent]>([])

    var append: RunEventSink { { event in self.events.withLock { $0.append(event) } } }

    var adopted: [String] {
        events.withLock { list in
            list.compactMap { if case .stepDone(_, let step, _, true) = $0 { return step } else { return nil } }
        }
    }

    var retries: [(step: String, reason: String)] {
        events.withLock { list in
            list.compactMap { if case .retrying(_, let step, _, _, let reason) = $0 { return (step, reason) } else { return nil } }
        }
    }
}

/// A value shared between tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T>(_ body: (inout sending Value) -> sending T) -> T { mutex.withLock(body) }
}
