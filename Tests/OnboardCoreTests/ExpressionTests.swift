import Testing

@testable import OnboardCore

@Suite struct ExpressionTests {
    let scope = JSONScope([
        "inputs": [
            "number": ["number_type": "iot", "message_type": "a2p", "area_code": "801"],
            "voice_route": ["enabled": false],
        ],
        "response": ["ResultsTotal": 12, "OrderStatus": "Pending"],
    ])

    @Test func pathsLiteralsAndOperators() throws {
        #expect(try Expression.parse("inputs.number.area_code").evaluate(in: scope) == "801")
        #expect(try Expression.parse("response.ResultsTotal > 0").evaluate(in: scope) == true)
        #expect(try Expression.parse("response.ResultsTotal >= 13").evaluate(in: scope) == false)
        #expect(
            try Expression.parse("!(inputs.number.number_type == 'iot' && inputs.number.message_type == 'a2p')")
                .evaluate(in: scope) == false)
        #expect(try Expression.parse("inputs.voice_route.enabled || response.OrderStatus != 'Complete'").evaluate(in: scope) == true)
        #expect(try Expression.parse("inputs.missing ?? 'fallback'").evaluate(in: scope) == "fallback")
        #expect(try Expression.parse("inputs.number.area_code == 801").evaluate(in: scope) == true)
    }

    @Test func syntaxErrorsSayWhere() {
        #expect(throws: ExpressionSyntaxError.self) { try Expression.parse("inputs.a ==") }
        #expect(throws: ExpressionSyntaxError.self) { try Expression.parse("(inputs.a") }
        #expect(throws: ExpressionSyntaxError.self) { try Expression.parse("'unterminated") }
        do {
            _ = try Expression.parse("inputs.a @ 1")
            Issue.record("expected an error")
        } catch let error as ExpressionSyntaxError {
            #expect(error.column == 10)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func templatesKeepTypesAndOmitOptionalValues() throws {
        let template = try Template.compile([
            "VoiceEnabled": "${inputs.voice_route.enabled}",
            "Area": "area ${inputs.number.area_code}!",
            "VoiceRouteId": "${steps.voice_route.call_route_id?}",
            "List": ["${inputs.number.area_code}", "${steps.none.x?}"],
        ])
        let rendered = try template.render(in: scope)
        #expect(rendered == ["VoiceEnabled": false, "Area": "area 801!", "List": ["801"]])
    }

    @Test func requiredPlaceholderWithoutValueIsAnError() throws {
        let template = try Template.compile(["AccountId": "${steps.account.account_id}"])
        #expect(throws: TemplateError.unresolved("steps.account.account_id")) { try template.render(in: scope) }
    }
}

@Suite struct CanonicalJSONTests {
    @Test func canonicalFormIsSortedCompactAndRoundTrips() throws {
        let value: JSONValue = [
            "b": [1, 2.5, true, nil], "a": "quote \" backslash \\ newline \n tab \t bell \u{7} slash / é",
            "c": ["z": 1, "y": ["x": "+13105559999"]],
        ]
        let text = value.canonicalString()
        #expect(text.hasPrefix(#"{"a":"quote \" backslash \\ newline \n tab \t bell \u0007 slash / é","b":[1,2.5,true,null]"#))
        #expect(text.hasSuffix(#""c":{"y":{"x":"+13105559999"},"z":1}}"#))
        #expect(try JSONValue(jsonData: value.canonicalData()) == value)
    }
}
