import Foundation

/// A batch manifest (`onboard batch MANIFEST.yaml`): a workflow, defaults, and accounts with their subscribers.
///
/// ```yaml
/// workflow: quickstart
/// batch: spring-launch            # optional; names the batch (default: the file's name)
/// defaults:                       # shaped like an input file; under every account and subscriber
///   message_route: {url: https://hooks.example.com/sms}
///   subscriber: {password: "${env.SUBSCRIBER_PASSWORD}"}
///   test_message: {to: "+13105559999"}
/// accounts:
///   - key: acme                   # optional; default account.name
///     account: {name: Acme Mobile, admin_email: admin@acme.example}
///     message_route: {name: Acme route}
///     number: {area_code: "801"}  # for this account's subscribers
///     subscribers:
///       - {name: Jane Doe, email: jane@acme.example}
///       - {name: Joe Roe, email: joe@acme.example, area_code: "212", to: "+12125550100"}
///     subscribers_csv: acme.csv   # more subscribers, one per row (relative to the manifest)
/// ```
///
/// A subscriber item takes `key`, `name`, `email`, `password`, `role`, `area_code`, `zip_code`, `number_type`,
/// `message_type`, `product_type`, `to`, `body` (the CSV columns), or full `subscriber:`/`number:`/`test_message:`
/// sections.
public struct Manifest: Sendable {
    public struct Account: Sendable {
        public var key: String
        /// Index in `accounts`, for diagnostics (`accounts.2.account.name`).
        public var index: Int
        /// The account's own sections (account, routes, number defaults), without its subscribers.
        public var sections: JSONValue
        public var subscribers: [JSONValue]
        public var csvPath: String?
    }

    public var document: YAMLDocument
    public var name: String
    public var workflow: String?
    public var defaults: JSONValue
    public var accounts: [Account]

    public var file: String { document.file }

    /// The subscriber shorthand and where each lands in the inputs.
    public static let shorthand: [String: String] = [
        "name": "subscriber.name", "email": "subscriber.email", "password": "subscriber.password",
        "role": "subscriber.role", "area_code": "number.area_code", "zip_code": "number.zip_code",
        "number_type": "number.number_type", "message_type": "number.message_type",
        "product_type": "number.product_type", "to": "test_message.to", "body": "test_message.body",
    ]

    /// Reads the manifest's structure; the items themselves are checked by `items(...)`.
    public static func load(path: String) throws(DiagnosticList) -> Manifest {
        let document = try YAMLDocument(contentsOf: path)
        var problems: [Diagnostic] = []
        guard case .object(let top) = document.value else {
            throw DiagnosticList([document.diagnostic("", "a manifest is a mapping with workflow, defaults and accounts")])
        }
        for key in top.keys.sorted() where !["workflow", "batch", "defaults", "accounts"].contains(key) {
            problems.append(document.diagnostic(key, "unknown field '\(key)' (a manifest has workflow, batch, defaults, accounts)"))
        }
        let defaults = top["defaults"] ?? .object([:])
        if defaults.objectValue == nil { problems.append(document.diagnostic("defaults", "must be a mapping")) }
        var accounts: [Account] = []
        var keys: [String: Int] = [:]
        if case .array(let entries)? = top["accounts"] {
            for (index, entry) in entries.enumerated() {
                let path = "accounts.\(index)"
                guard case .object(var object) = entry else {
                    problems.append(document.diagnostic(path, "an account is a mapping"))
                    continue
                }
                let explicitKey = object.removeValue(forKey: "key")?.stringValue
                var subscribers: [JSONValue] = []
                if let list = object.removeValue(forKey: "subscribers") {
                    if case .array(let items) = list {
                        subscribers = items
                    } else {
                        problems.append(document.diagnostic(join(path, "subscribers"), "must be a list"))
                    }
                }
                var csvPath: String?
                if let csv = object.removeValue(forKey: "subscribers_csv")?.stringValue {
                    let base = URL(fileURLWithPath: path.isEmpty ? "." : document.file).deletingLastPathComponent()
                    csvPath = csv.hasPrefix("/") ? csv : base.appendingPathComponent(csv).path
                }
                let name = object["account"]?["name"]?.stringValue
                    ?? defaults["account"]?["name"]?.stringValue
                guard let key = explicitKey ?? name, !key.isEmpty else {
                    problems.append(document.diagnostic(join(path, "account.name"), "an account needs account.name (or a key)"))
                    continue
                }
                if let previous = keys[key] {
                    problems.append(document.diagnostic(path, "account key '\(key)' is also used by accounts.\(previous)", item: key))
                }
                keys[key] = index
                accounts.append(
                    Account(key: key, index: index, sections: .object(object), subscribers: subscribers, csvPath: csvPath))
            }
        } else {
            problems.append(document.diagnostic("accounts", "is required: a list of accounts"))
        }
        if !problems.isEmpty { throw DiagnosticList(problems) }
        let batchName = top["batch"]?.stringValue
            ?? URL(fileURLWithPath: document.file).deletingPathExtension().lastPathComponent
        return Manifest(
            document: document, name: batchName, workflow: top["workflow"]?.stringValue, defaults: defaults,
            accounts: accounts)
    }
}

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
    /// problem (with file, line, item key and field) instead of stopping at the first. CSV rows are read one at a
    /// time. Returns the problems; `body` is not called for an item that has any.
    @discardableResult
    public func forEachItem(
        definition: WorkflowDefinition, environment: [String: String], _ body: (BatchItem) async throws -> Void
    ) async throws -> [Diagnostic] {
        var problems: [Diagnostic] = []
        let accountSections = Self.accountSections(of: definition)
        let accountSchema = InputValidator.Schema(definition: definition, scope: .sections(accountSections))
        let subscriberSchema = InputValidator.Schema(definition: definition)
        var seenSubscribers: Set<String> = []
        for account in accounts {
            let prefix = "accounts.\(account.index)"
            let merged = deepMerge(defaults, account.sections)
            var accountInputs = JSONValue.object([:])
            for section in accountSections {
                if let value = merged[section] { accountInputs.set(value, atPath: section) }
            }
            var accountOK = true
            do {
                let inputs = try InputValidator.prepare(
                    accountInputs, schema: accountSchema, environment: environment, document: document,
                    pathPrefix: prefix, item: account.key, file: file)
                try await body(BatchItem(kind: .account, key: account.key, accountKey: account.key, inputs: inputs))
            } catch let error as DiagnosticList {
                problems += error.diagnostics
                accountOK = false
            }
            func subscriber(_ entry: JSONValue, path: String, line: Int?, csvFile: String?) async throws {
                guard case .object(var object) = entry else {
                    problems.append(Diagnostic(file: csvFile ?? file, line: line ?? document.line(of: path), field: path, item: account.key, message: "a subscriber is a mapping"))
                    return
                }
                let explicitKey = object.removeValue(forKey: "key")?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
                var sections = JSONValue.object([:])
                for (name, value) in object {
                    if let target = Self.shorthand[name] {
                        if case .string(let text) = value, text.isEmpty, csvFile != nil { continue }
                        sections.set(value, atPath: target)
                    } else if ["subscriber", "number", "test_message"].contains(name) {
                        sections = deepMerge(sections, .object([name: value]))
                    } else {
                        problems.append(Diagnostic(file: csvFile ?? file, line: line ?? document.line(of: join(path, name)), field: name, item: account.key, message: "unknown subscriber field (one of: key, \(Self.shorthand.keys.sorted().joined(separator: ", ")))"))
                        return
                    }
                }
                let email = sections.value(atPath: "subscriber.email")?.stringValue ?? ""
                let key = account.key + "/" + (explicitKey ?? email)
                if !seenSubscribers.insert(key).inserted {
                    problems.append(Diagnostic(file: csvFile ?? file, line: line ?? document.line(of: path), field: "key", item: key, message: "subscriber key used twice in this manifest"))
                    return
                }
                do {
                    let inputs = try InputValidator.prepare(
                        deepMerge(merged, sections), schema: subscriberSchema, environment: environment,
                        document: csvFile == nil ? document : nil, pathPrefix: csvFile == nil ? path : "",
                        item: key, file: csvFile ?? file, line: line)
                    if accountOK {
                        try await body(BatchItem(kind: .subscriber, key: key, accountKey: account.key, inputs: inputs))
                    }
                } catch let error as DiagnosticList {
                    problems += error.diagnostics
                }
            }
            for (index, entry) in account.subscribers.enumerated() {
                try await subscriber(entry, path: "\(prefix).subscribers.\(index)", line: nil, csvFile: nil)
            }
            if let csvPath = account.csvPath {
                do {
                    let reader = try CSVReader(path: csvPath)
                    guard let header = reader.next() else { continue }
                    for row in reader {
                        var object: [String: JSONValue] = [:]
                        for (column, value) in zip(header.fields, row.fields) { object[column] = .string(value) }
                        if row.fields.count != header.fields.count {
                            problems.append(Diagnostic(file: csvPath, line: row.line, field: nil, item: account.key, message: "\(row.fields.count) fields where the header has \(header.fields.count)"))
                            continue
                        }
                        try await subscriber(.object(object), path: "", line: row.line, csvFile: csvPath)
                    }
                } catch let error as DiagnosticList {
                    problems += error.diagnostics
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
