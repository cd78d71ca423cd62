import Foundation

/// One item of a batch, ready to run.
public struct BatchItem: Sendable {
    public var kind: RunKind
    public var key: String
    /// The account item's key (itself for an account).
    public var accountKey: String
    public var inputs: RunInputs
}

extension Manifest {
    /// The input sections the account-level steps read (`account`, `message_route`, `voice_route`), from the
    /// definition's templates: an account run keeps only these, so a subscriber change never looks like account
    /// drift.
    public static func accountSections(of definition: WorkflowDefinition) -> Set<String> {
        var sections: Set<String> = []
        for step in definition.steps where step.level == .account {
            var expressions = step.request.body?.expressions ?? []
            expressions += step.request.query.flatMap(\.value.expressions)
            if let when = step.when { expressions.append(when) }
            if let reconcile = step.reconcile { expressions += reconcile.match.flatMap(\.value.expressions) }
            for path in expressions.flatMap(\.paths) where path.first == "inputs" && path.count > 1 {
                sections.insert(path[1])
            }
        }
        return sections
    }

    /// Calls `body` with every item, account first and then its subscribers, validating each; collects every
    /// problem (with file, line, item key and field) instead of stopping at the first. The manifest is read one
    /// account and one subscriber at a time, and CSV rows one at a time. Returns the problems; `body` is not
    /// called for an item that has any, nor for the subscribers of an account that has any. Two items with one
    /// key are reported with both places.
    @discardableResult
    public func forEachItem(
        definition: WorkflowDefinition, environment: [String: String], _ body: (BatchItem) async throws -> Void
    ) async throws -> [Diagnostic] {
        var problems: [Diagnostic] = []
        let accountSections = Self.accountSections(of: definition)
        let accountSchema = InputValidator.Schema(definition: definition, scope: .sections(accountSections))
        let subscriberSchema = InputValidator.Schema(definition: definition)
        var keys = ItemKeys.Registry()
        let sections = try ManifestCursor(path: file, limits: limits)
        let subscriberReader = try ManifestCursor(path: file, limits: limits)
        var index = -1
        while let first = try sections.nextEntry() {
            index += 1
            guard let subscribersFirst = try subscriberReader.nextEntry() else { break }
            let prefix = "accounts.\(index)"
            let entry = try sections.account(first, index: index)
            problems += sections.takeProblems()
            let buildProblems = problems.count
            /// Reads past this account's subscribers, for an account that cannot be checked further.
            func skipSubscribers() async throws {
                try await subscriberReader.subscribers(of: subscribersFirst, index: index) { _, _, _ in }
                _ = subscriberReader.takeProblems()
            }
            guard case .object(var object) = entry.value else {
                problems.append(entry.document.diagnostic(prefix, "an account is a mapping"))
                try await skipSubscribers()
                continue
            }
            let explicitKey = object.removeValue(forKey: "key")
            let listed = object.removeValue(forKey: "subscribers")
            let csvValue = object.removeValue(forKey: "subscribers_csv")
            let merged = deepMerge(defaults, .object(object))
            let account: String
            switch ItemKeys.account(explicit: explicitKey, name: merged["account"]?["name"]?.stringValue) {
            case .success(let key):
                account = key
            case .failure(let problem):
                problems.append(entry.document.diagnostic(join(prefix, problem.field), problem.message))
                try await skipSubscribers()
                continue
            }
            var accountOK = problems.count == buildProblems
            if let duplicate = keys.register(account, file: file, line: entry.line, field: nil) {
                problems.append(duplicate)
                accountOK = false
            }
            var accountInputs = JSONValue.object([:])
            for section in accountSections {
                if let value = merged[section] { accountInputs.set(value, atPath: section) }
            }
            do {
                let inputs = try InputValidator.prepare(
                    accountInputs, schema: accountSchema, environment: environment, document: entry.document,
                    pathPrefix: prefix, item: account, file: file)
                if accountOK {
                    try await body(BatchItem(kind: .account, key: account, accountKey: account, inputs: inputs))
                }
            } catch let error as DiagnosticList {
                problems += error.diagnostics
                accountOK = false
            }

            /// Checks one subscriber and hands it to `body`.
            func subscriber(_ entry: JSONValue, path: String, document: YAMLDocument?, csv: String?, line: Int?) async throws {
                let place = (file: csv ?? file, line: line ?? document?.line(of: path))
                func problem(_ field: String?, _ message: String, item: String? = account) {
                    problems.append(Diagnostic(file: place.file, line: place.line, field: field, item: item, message: message))
                }
                guard case .object(var object) = entry else {
                    problem(path, "a subscriber is a mapping")
                    return
                }
                var explicitKey: String?
                if let value = object.removeValue(forKey: "key"), value != .null, value != "" {
                    guard let text = value.stringValue else { return problem("key", "must be text") }
                    explicitKey = text
                }
                var sections = JSONValue.object([:])
                for (name, value) in object {
                    if let target = Self.shorthand[name] {
                        // An empty CSV cell keeps the default.
                        if case .string(let text) = value, text.isEmpty, csv != nil { continue }
                        sections.set(value, atPath: target)
                    } else if ["subscriber", "number", "test_message"].contains(name) {
                        sections = deepMerge(sections, .object([name: value]))
                    } else {
                        let known = (["key"] + Self.shorthand.keys.sorted()).joined(separator: ", ")
                        return problem(name, "unknown subscriber field (one of: \(known))")
                    }
                }
                let email = sections.value(atPath: "subscriber.email")?.stringValue ?? ""
                let key: String
                switch ItemKeys.subscriber(account: account, explicit: explicitKey, email: email) {
                case .success(let value): key = value
                case .failure(let failure): return problem(failure.field, failure.message)
                }
                if let duplicate = keys.register(key, file: place.file, line: place.line, field: "key") {
                    problems.append(duplicate)
                    return
                }
                do {
                    let inputs = try InputValidator.prepare(
                        deepMerge(merged, sections), schema: subscriberSchema, environment: environment,
                        document: csv == nil ? document : nil, pathPrefix: csv == nil ? path : "",
                        item: key, file: place.file, line: line)
                    if accountOK {
                        try await body(BatchItem(kind: .subscriber, key: key, accountKey: account, inputs: inputs))
                    }
                } catch let error as DiagnosticList {
                    problems += error.diagnostics
                }
            }

            try await subscriberReader.subscribers(of: subscribersFirst, index: index) { value, path, document in
                let built = subscriberReader.takeProblems()
                if !built.isEmpty { return problems += built }
                try await subscriber(value, path: path, document: document, csv: nil, line: nil)
            }
            problems += subscriberReader.takeProblems()
            if let listed {
                if case .array(let items) = listed {
                    for (position, item) in items.enumerated() {
                        let path = "\(prefix).subscribers.\(position)"
                        try await subscriber(item, path: path, document: entry.document, csv: nil, line: nil)
                    }
                } else {
                    problems.append(entry.document.diagnostic(join(prefix, "subscribers"), "must be a list", item: account))
                }
            }
            if let csvValue {
                let field = join(prefix, "subscribers_csv")
                switch CSVLocation.resolve(csvValue.stringValue, manifest: file, allowOutside: allowCSVOutside) {
                case .failure(let failure):
                    problems.append(entry.document.diagnostic(field, failure.message, item: account))
                case .success(let location):
                    do {
                        let reader = try CSVReader(path: location.path, shownAs: location.shown)
                        guard let header = try reader.nextRow() else { continue }
                        let columns = try CSVColumns.check(header, file: location.shown)
                        while let row = try reader.nextRow() {
                            guard row.fields.count == columns.count else {
                                problems.append(
                                    Diagnostic(
                                        file: location.shown, line: row.line, field: nil, item: account,
                                        message: "\(row.fields.count) fields where the header has \(columns.count)"))
                                continue
                            }
                            var object: [String: JSONValue] = [:]
                            for (column, value) in zip(columns, row.fields) { object[column] = .string(value) }
                            try await subscriber(.object(object), path: "", document: nil, csv: location.shown, line: row.line)
                        }
                    } catch let error as DiagnosticList {
                        problems += error.diagnostics.map { diagnostic in
                            var diagnostic = diagnostic
                            diagnostic.item = diagnostic.item ?? account
                            return diagnostic
                        }
                    }
                }
            }
        }
        return problems
    }
}

/// `overlay` over `base`: objects merge key by key, anything else is replaced.
public func deepMerge(_ base: JSONValue, _ overlay: JSONValue) -> JSONValue {
    guard case .object(var result) = base, case .object(let top) = overlay else { return overlay }
    for (key, value) in top {
        result[key] = result[key].map { deepMerge($0, value) } ?? value
    }
    return .object(result)
}
