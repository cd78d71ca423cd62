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
///   - key: acme                   # optional; default account.name (with / and % encoded)
///     account: {name: Acme Mobile, admin_email: admin@acme.example}
///     message_route: {name: Acme route}
///     number: {area_code: "801"}  # for this account's subscribers
///     subscribers:
///       - {name: Jane Doe, email: jane@acme.example}
///       - {name: Joe Roe, email: joe@acme.example, area_code: "212", to: "+12125550100"}
///     subscribers_csv: acme.csv   # more subscribers, one per row (beside the manifest)
/// ```
///
/// A subscriber item takes `key`, `name`, `email`, `password`, `role`, `area_code`, `zip_code`, `number_type`,
/// `message_type`, `product_type`, `to`, `body` (the CSV columns), or full `subscriber:`/`number:`/`test_message:`
/// sections.
///
/// The file is never held whole: `load` reads it once for its head (`workflow`, `batch`, `defaults`) and its
/// syntax, and `forEachItem` reads it again one account and one subscriber at a time, so a manifest of 100,000
/// inline subscribers costs the memory of one (and the item keys).
public struct Manifest: Sendable {
    public let file: String
    public var name: String
    public var workflow: String?
    /// `max_purchases`: the most numbers the batch may ever buy, across reruns and processes (`--max-purchases`
    /// overrides it).
    public var maxPurchases: Int?
    public var defaults: JSONValue
    /// Whether `subscribers_csv` may name a file outside the manifest's folder (`--allow-csv-outside-manifest-dir`).
    public var allowCSVOutside: Bool
    /// How many entries `accounts:` lists.
    public var accountCount: Int
    let limits: YAMLLimits

    /// The subscriber shorthand and where each lands in the inputs.
    public static let shorthand: [String: String] = [
        "name": "subscriber.name", "email": "subscriber.email", "password": "subscriber.password",
        "role": "subscriber.role", "area_code": "number.area_code", "zip_code": "number.zip_code",
        "number_type": "number.number_type", "message_type": "number.message_type",
        "product_type": "number.product_type", "to": "test_message.to", "body": "test_message.body",
    ]

    static let topLevelKeys: Set<String> = ["workflow", "batch", "max_purchases", "defaults", "accounts"]

    /// Reads the manifest's head and checks the whole file's syntax and limits; the items are checked by
    /// `forEachItem`.
    ///
    /// - Parameter allowCSVOutside: let `subscribers_csv` name a file outside the manifest's folder. Without it,
    ///   such a path (`../../etc/shadow`, or a symbolic link leading out) is refused.
    public static func load(
        path: String, allowCSVOutside: Bool = false, limits: YAMLLimits = .standard
    ) throws(DiagnosticList) -> Manifest {
        let composer = YAMLComposer(reader: try YAMLEventReader(path: path), limits: limits)
        var lines = LineMap()
        var head: [String: JSONValue] = [:]
        var problems: [Diagnostic] = []
        var accountCount: Int?
        guard let root = try composer.openDocument(), case .mappingStart(_, let rootLine) = root else {
            throw DiagnosticList([
                Diagnostic(
                    file: path, line: composer.reader.line, field: nil,
                    message: "a manifest is a mapping with workflow, defaults and accounts")
            ])
        }
        lines.set(rootLine, at: "")
        var seen: Set<String> = []
        while true {
            let keyEvent = try composer.next()
            if case .mappingEnd = keyEvent { break }
            guard case .scalar(let key) = keyEvent, topLevelKeys.contains(key.text) else {
                let line = keyEvent.line ?? composer.reader.line
                if case .scalar(let key) = keyEvent {
                    problems.append(
                        Diagnostic(
                            file: path, line: line, field: key.text,
                            message: "unknown field '\(key.text)' (a manifest has workflow, batch, max_purchases, defaults, accounts)"))
                } else {
                    problems.append(Diagnostic(file: path, line: line, field: nil, message: "a manifest's keys are text"))
                    try composer.skip(keyEvent, depth: 2)
                }
                try composer.skip(try composer.next(), depth: 2)
                continue
            }
            if !seen.insert(key.text).inserted {
                problems.append(Diagnostic(file: path, line: key.line, field: key.text, message: "duplicate key '\(key.text)'"))
            }
            let valueEvent = try composer.next()
            if key.text == "accounts" {
                accountCount = try countAccounts(valueEvent, composer: composer, problems: &problems, line: key.line)
            } else {
                composer.startUnit()
                head[key.text] = try composer.build(valueEvent, path: key.text, depth: 2, into: &lines).value
            }
        }
        try composer.closeDocument()
        problems = composer.problems + problems
        let document = YAMLDocument(file: path, value: .object(head), lineMap: lines)
        let defaults = head["defaults"] ?? .object([:])
        if defaults.objectValue == nil { problems.append(document.diagnostic("defaults", "must be a mapping")) }
        var maxPurchases: Int?
        if let value = head["max_purchases"] {
            if case .int(let count) = value, count >= 0 {
                maxPurchases = count
            } else {
                problems.append(document.diagnostic("max_purchases", "must be a whole number, 0 or more"))
            }
        }
        if accountCount == nil && !problems.contains(where: { $0.field == "accounts" }) {
            problems.append(document.diagnostic("accounts", "is required: a list of accounts"))
        }
        if !problems.isEmpty { throw DiagnosticList(problems) }
        let batchName = head["batch"]?.stringValue
            ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return Manifest(
            file: path, name: batchName, workflow: head["workflow"]?.stringValue, maxPurchases: maxPurchases,
            defaults: defaults,
            allowCSVOutside: allowCSVOutside, accountCount: accountCount ?? 0, limits: limits)
    }

    /// Reads past the `accounts:` list, counting its entries; nil (with a problem) when it is not a list.
    private static func countAccounts(
        _ event: YAMLEvent, composer: YAMLComposer, problems: inout [Diagnostic], line: Int
    ) throws(DiagnosticList) -> Int? {
        guard case .sequenceStart = event else {
            try composer.skip(event, depth: 2)
            problems.append(
                Diagnostic(
                    file: composer.file, line: line, field: "accounts",
                    message: "must be written here as a list of accounts (not an alias or a single value)"))
            return nil
        }
        var count = 0
        while true {
            let entry = try composer.next()
            if case .sequenceEnd = entry { return count }
            try composer.skip(entry, depth: ManifestCursor.accountDepth)
            count += 1
        }
    }
}
