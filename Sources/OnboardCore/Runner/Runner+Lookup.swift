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
    /// Runs `body` holding the store's lock on `key` (none when `key` is nil): sends of a purchase hold it shared
    /// from before the request until its outputs and claims are committed; a lookup that may adopt what it finds
    /// holds it exclusive until the adoption is committed. So a lookup never sees a number another item (of this
    /// process or another) has bought but not recorded yet, and two lookups never adopt the same number.
    ///
    /// The wait is bounded by `Configuration.lockWait`: a holder that keeps the key longer is paused or hung, and
    /// waiting for it would hang this execution too. Giving up throws `RunnerError.lockWait` before `body` runs; once
    /// `body` has started it is never cancelled by the bound (the two race on one state, so exactly one wins).
    func lock<T: Sendable>(
        _ key: String?, exclusive: Bool, runID: String, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        guard let key else { return try await body() }
        let limit = configuration.lockWait
        do {
            return try await store.withLock(key, exclusive: exclusive, waitingAtMost: limit, body)
        } catch is LockWaitExceeded {
            throw RunnerError.lockWait(runID: runID, key: key, waited: limit)
        }
    }

    /// The `serialize` key of a step's lookup (`provision:MRID-…`), shared by its sends and its lookups.
    func serializeKey(_ step: StepDefinition, scope: RunScope) -> String? {
        guard let template = step.reconcile?.serializeKey,
            let value = (try? template.render(in: scope))??.stringValue
        else { return nil }
        return "\(step.id):\(value)"
    }

    /// Looks the step's effect up and, when found, adopts it (settles and commits) while holding the step's key
    /// exclusively. Returns nil when the lookup proves nothing exists.
    ///
    /// An in-doubt step is pinned to what was sent: the lookup uses the inputs each uncertain attempt was sent
    /// with (they differ from today's only after `--accept-changes`). "Nothing found" proves nothing while an
    /// unanswered request may still be in the API's hands: the lookup is repeated until the settle window has
    /// passed for every such request (`SettleWindow`). Once it has, the uncertain attempts are recorded as
    /// disproved, except a 2xx: the API said it happened, so a lookup that cannot find it stops the run in doubt
    /// rather than create it again.
    func lookUpAndAdopt(_ step: StepDefinition, execution: Execution, key: String?) async throws -> StepResult? {
        events(.lookingUp(runID: execution.run.id, step: step.id))
        while true {
            let uncertain = try await store.attempts(runID: execution.run.id, stepID: step.id)
                .filter { $0.isUncertainCreate }
            for scope in try await lookupScopes(for: uncertain, execution) {
                let result = try await lock(key, exclusive: true, runID: execution.run.id) { () async throws -> StepResult? in
                    switch try await self.lookUp(step, scope: scope, execution: execution) {
                    case .found(let outputs):
                        return try await self.settle(step, outputs: outputs, execution: execution, attempt: nil, adopted: true)
                    case .absent:
                        return nil
                    case .failed(let message):
                        return .stopped(.inDoubt, "the lookup that would tell whether '\(step.id)' already happened "
                            + "failed (\(message)); `onboard resume \(execution.run.id)` tries again")
                    }
                }
                if let result { return result }
            }
            let now = configuration.clock.now()
            let wait = uncertain.map {
                SettleWindow.remaining(
                    for: $0, settle: configuration.settleWindow.seconds,
                    defaultTimeout: configuration.requestTimeout.seconds, now: now)
            }.max() ?? 0
            if wait > 0 {
                events(.waitingForInFlight(runID: execution.run.id, step: step.id, seconds: wait))
                // Look again within at most `lookupInterval`: what lands meanwhile is adopted then, not only once
                // the whole window has passed (a few more list calls per in-doubt step, at most one per interval).
                let pause = Duration.seconds(clamping: min(wait, Self.lookupInterval), maximum: 86_400) + .milliseconds(1)
                if try await !sleep(for: pause, execution) { return .stopped(.interrupted, "") }
                continue
            }
            if uncertain.contains(where: { $0.outcome == .succeeded }) {
                return .stopped(.inDoubt, "the API answered an earlier request of '\(step.id)' with success, but the "
                    + "lookup does not find what it created; check in the Telegent portal, then `onboard resolve "
                    + "\(execution.run.id) \(step.id) --happened --set NAME=VALUE` or `--not-happened`")
            }
            try await store.disprove(attemptIDs: uncertain.compactMap(\.id), lease: execution.lease)
            return nil
        }
    }

    /// The longest wait between two lookups of a step whose settle window is still open, in seconds.
    static let lookupInterval: Double = 10

    /// The scopes to look up with: one per set of inputs the uncertain attempts were sent with (newest first), or
    /// the execution's own when there are none.
    private func lookupScopes(for uncertain: [AttemptRecord], _ execution: Execution) async throws -> [RunScope] {
        var digests: [String] = []
        for attempt in uncertain.reversed() {
            if let digest = attempt.inputsDigest, !digests.contains(digest) { digests.append(digest) }
        }
        var scopes: [RunScope] = []
        for digest in digests {
            if digest == execution.run.inputsDigest {
                scopes.append(execution.scope)
            } else if let inputs = try await store.inputs(runID: execution.run.id, digest: digest) {
                var scope = execution.scope
                scope.inputs = (try? RunInputs(raw: inputs).resolved(in: configuration.environment)) ?? inputs
                scopes.append(scope)
            }
        }
        // No pin recorded (an older release's attempt, or none uncertain): today's inputs.
        if scopes.isEmpty { scopes.append(execution.scope) }
        return scopes
    }

    /// Runs a step's `reconcile` lookup: pages through the list, and finds the first item matching every `match`
    /// field whose claimed outputs no other run holds. The caller holds the step's key exclusively.
    func lookUp(_ step: StepDefinition, scope: RunScope, execution: Execution) async throws -> LookupResult {
        let run = execution.run
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
            guard let response = try await sendLookup(request, step: step, execution: execution, number: &lookups) else {
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
        _ request: APIRequest, step: StepDefinition, execution: Execution, number: inout Int
    ) async throws -> APIResponse? {
        var reauthenticated = false
        for attempt in 1...5 {
            number += 1
            let call = try await self.call(request, purpose: .reconcile, step: step, label: "lookup-\(number)", execution)
            switch call.outcome {
            case .retryable, .unreachable:
                break
            case .reauthenticate where !reauthenticated:
                reauthenticated = true
                continue
            default:
                if case .answered(let response) = call.result { return response }
                return nil
            }
            let delay = configuration.retryPolicy.delay(
                afterAttempt: attempt, retryAfter: call.retryAfter, random: Double.random(in: 0...1))
            if try await !sleep(for: delay, execution) { throw CancellationError() }
        }
        return nil
    }
}
