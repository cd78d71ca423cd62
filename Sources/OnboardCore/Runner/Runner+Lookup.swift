import Foundation

/// What a reconcile lookup found.
enum LookupResult: Sendable {
    /// The effect exists: adopt these outputs.
    case found([String: JSONValue])
    /// The lookup proves nothing was created: sending is safe.
    case absent
    /// The lookup itself could not be made.
    case failed(String)
}

extension Runner {
    /// The `serialize` key of a step's lookup (`provision:MRID-…`), shared by its sends and its lookups.
    func serializeKey(_ step: StepDefinition, scope: RunScope) -> String? {
        guard let template = step.reconcile?.serializeKey,
            let value = (try? template.render(in: scope))??.stringValue
        else { return nil }
        return "\(step.id):\(value)"
    }

    /// Runs a step's `reconcile` lookup: pages through the list, and finds the first item matching every `match`
    /// field whose claimed outputs no other run holds. The caller holds the step's key exclusively.
    func lookUp(_ step: StepDefinition, run: RunRecord, scope: RunScope) async throws -> LookupResult {
        guard let spec = step.reconcile else { return .absent }
        var wanted: [(field: String, value: JSONValue)] = []
        for (field, template) in spec.match {
            guard let value = try template.render(in: scope) else { continue }
            wanted.append((field, value))
        }
        var preferred: [(field: String, prefix: String)] = []
        for (field, template) in spec.preferPrefix {
            if let value = try template.render(in: scope)?.stringValue { preferred.append((field, value)) }
        }
        // With a preference, every page is read and the best candidate adopted; without, the first one.
        var fallback: [String: JSONValue]?
        var page = 1
        var lookups = 0
        while true {
            var extra: [APIRequest.QueryItem] = []
            if let pages = spec.pages {
                extra.append(.init(name: pages.param, value: String(page)))
                if let sizeParam = pages.sizeParam { extra.append(.init(name: sizeParam, value: String(pages.size))) }
            }
            let request = try spec.request.render(in: scope, extraQuery: extra)
            guard let response = try await sendLookup(request, step: step, run: run, number: &lookups) else {
                return .failed("no answer after several tries")
            }
            // A lookup by id that finds nothing says so with a 404: nothing was created.
            if response.status == 404 { return .absent }
            guard response.isSuccess else {
                return .failed("HTTP \(response.status)" + (response.apiMessage.map { ": \($0)" } ?? ""))
            }
            let body = response.body ?? .null
            let items = Self.items(in: body, at: spec.items)
            for item in items where wanted.allSatisfy({ Expression.looselyEqual(item.value(atPath: $0.field) ?? .null, $0.value) }) {
                let outputs: [String: JSONValue]
                do {
                    outputs = try extractOutputs(spec.outputs, from: item, scope: scope.with("response", body))
                } catch {
                    continue
                }
                if try await isClaimedElsewhere(step, outputs: outputs, run: run) { continue }
                if preferred.allSatisfy({ item.value(atPath: $0.field)?.stringValue?.hasPrefix($0.prefix) == true }) {
                    return .found(outputs)
                }
                if fallback == nil { fallback = outputs }
            }
            let absent: LookupResult = fallback.map { .found($0) } ?? .absent
            guard let pages = spec.pages, items.count >= pages.size else { return absent }
            if let totalField = pages.total, let total = body.value(atPath: totalField).flatMap(Expression.number),
                Double(page * pages.size) >= total
            {
                return absent
            }
            page += 1
        }
    }

    /// The list in a lookup's answer: at `path`, or the answer itself when it is a list, or, when the answer is a
    /// single object where a list was expected (the API documents some lists that way), that object.
    static func items(in body: JSONValue, at path: String) -> [JSONValue] {
        let value = path.isEmpty ? body : (body.value(atPath: path) ?? .null)
        switch value {
        case .array(let items): return items
        case .object: return [value]
        default:
            if case .array(let items) = body { return items }
            return []
        }
    }

    private func isClaimedElsewhere(_ step: StepDefinition, outputs: [String: JSONValue], run: RunRecord) async throws -> Bool {
        for name in step.claims {
            guard let value = outputs[name]?.stringValue else { continue }
            if let holder = try await store.claimHolder(Claim(scope: name, value: value)), holder != run.id {
                return true
            }
        }
        return false
    }

    /// Sends one lookup request, retrying what is retryable a few times (a lookup reads only).
    private func sendLookup(
        _ request: APIRequest, step: StepDefinition, run: RunRecord, number: inout Int
    ) async throws -> APIResponse? {
        for attempt in 1...5 {
            number += 1
            let row = try await store.beginAttempt(
                AttemptRecord(
                    runID: run.id, stepID: step.id, purpose: .reconcile,
                    idempotencyKey: "\(run.id)/\(step.id)/lookup-\(number)", method: request.method,
                    path: request.path, startedAt: Date()))
            var retryAfter: Double?
            do {
                let response = try await transport.send(request)
                try await store.finishAttempt(
                    id: row.id!, outcome: response.isSuccess ? .succeeded : .httpError, statusCode: response.status,
                    error: response.isSuccess ? nil : response.apiMessage, at: Date())
                guard case .retryable = OutcomeClass.classify(status: response.status) else { return response }
                retryAfter = response.retryAfter
            } catch let error as TransportError {
                try await store.finishAttempt(id: row.id!, outcome: .noAnswer, statusCode: nil, error: error.message, at: Date())
            } catch let error as AuthenticationError {
                try await store.finishAttempt(
                    id: row.id!, outcome: .httpError, statusCode: error.status, error: error.message, at: Date())
                retryAfter = error.retryAfter
            }
            let delay = configuration.retryPolicy.delay(
                afterAttempt: attempt, retryAfter: retryAfter, random: Double.random(in: 0...1))
            if !(await shutdown.sleep(for: delay)) { throw CancellationError() }
        }
        return nil
    }
}
