import Foundation
import Testing

@testable import OnboardCore

/// The workflows shipped in workflows/ and the diagnostics of broken ones.
@Suite struct DefinitionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test(arguments: ["quickstart", "quickstart-guide"])
    func shippedWorkflowsLoad(name: String) throws {
        let definition = try WorkflowLoader.load(path: Self.root.appendingPathComponent("workflows/\(name).yaml").path)
        #expect(definition.name == name)
        #expect(
            definition.steps.map(\.id) == [
                "account", "message_route", "voice_route", "availability", "provision", "subscriber", "test_message",
            ])
        #expect(definition.step("provision")?.effect == .purchase)
        #expect(definition.step("availability")?.effect == .read)
        for step in definition.steps where step.effect.createsSomething {
            #expect(step.reconcile != nil, "create step \(step.id) needs a lookup")
        }
        #expect(definition.digest.count == 64)
    }

    @Test func brokenDefinitionNamesFileLineAndField() throws {
        let text = """
            workflow: broken
            auth:
              request: {method: POST, path: /v1.0/oauth2/tokens}
              token: token
            inputs:
              account.name: {required: true}
            steps:
              - id: account
                effect: creat
                request:
                  method: POST
                  path: /v1.0/account/create
                  body:
                    AccountName: ${inputs.account.nam}
              - id: route
                reqest: {}
                request:
                  method: POST
                  path: /v1.0/message/routes
                  body:
                    AccountId: ${steps.acount.account_id}
            """
        #expect {
            try WorkflowLoader.load(file: "broken.yaml", text: text)
        } throws: { error in
            let diagnostics = (error as! DiagnosticList).diagnostics
            let text = diagnostics.map(\.description).joined(separator: "\n")
            return text.contains("broken.yaml:9: steps.0.effect: 'creat' is not one of: read, create, purchase")
                && text.contains("'inputs.account.nam' is not a declared input")
                && text.contains("broken.yaml:16: steps.1.reqest: unknown field 'reqest' (did you mean 'request'?)")
                && text.contains("'steps.acount' is not a step of this workflow")
        }
    }

    @Test func yamlSyntaxErrorHasALine() {
        #expect {
            try WorkflowLoader.load(file: "bad.yaml", text: "workflow: x\nsteps: [\n  - id: a\n")
        } throws: { error in
            let diagnostic = (error as! DiagnosticList).diagnostics[0]
            return diagnostic.file == "bad.yaml" && diagnostic.line != nil && diagnostic.message.contains("YAML syntax")
        }
    }
}
