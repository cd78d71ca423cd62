import Foundation
import Testing

@testable import OnboardCore

/// Expressions in a workflow are bounded before they are parsed: these used to overflow the stack.
@Suite struct WorkflowBoundsTests {
    static let text = try! String(
        contentsOf: DefinitionTests.root.appendingPathComponent("workflows/quickstart.yaml"), encoding: .utf8)

    /// The shipped workflow with `line` added to its first step, after `effect: create`.
    func load(adding line: String) -> [String] {
        let anchor = Self.text.range(of: "    effect: create\n")!
        let changed = Self.text.replacingCharacters(in: anchor, with: "    effect: create\n\(line)\n")
        return diagnostics { _ = try WorkflowLoader.load(file: "w.yaml", text: changed) }
    }

    @Test func aLongExpressionIsRefused() {
        let deep = String(repeating: "(", count: 20_000) + "true" + String(repeating: ")", count: 20_000)
        #expect(load(adding: "    when: \"\(deep)\"") == [
            "w.yaml:68: steps.0.when: bad expression: an expression is at most 1000 characters; this one has 40004"
        ])
        let chain = Array(repeating: "true", count: 100_000).joined(separator: " || ")
        #expect(
            load(adding: "    when: \"\(chain)\"").first?.hasPrefix(
                "w.yaml:68: steps.0.when: bad expression: an expression is at most 1000") == true)
    }

    @Test func deepNestingIsRefused() {
        let parentheses = String(repeating: "(", count: 40) + "true" + String(repeating: ")", count: 40)
        #expect(load(adding: "    when: \"\(parentheses)\"") == [
            "w.yaml:68: steps.0.when: bad expression: an expression nests at most 32 levels of parentheses and '!'"
        ])
        let negations = String(repeating: "!", count: 40) + "true"
        #expect(load(adding: "    when: \"\(negations)\"") == [
            "w.yaml:68: steps.0.when: bad expression: an expression nests at most 32 levels of parentheses and '!'"
        ])
        // A template's placeholders too.
        let template = Self.text.replacingOccurrences(
            of: "AccountName: ${inputs.account.name}", with: "AccountName: \"id ${\(negations)}\"")
        #expect(template != Self.text)
        #expect(diagnostics { _ = try WorkflowLoader.load(file: "w.yaml", text: template) }.contains {
            $0.contains(": steps.0.request.body: bad template: an expression nests at most 32 levels")
        })
    }

    @Test func ordinaryExpressionsStillLoad() {
        #expect(load(adding: "    when: \"!(inputs.voice_route.enabled && !(inputs.number.number_type == 'iot'))\"").isEmpty)
    }
}
