/// The keys of a manifest's items, read without validating inputs or resolving secrets: what a status page
/// needs to name the subscribers that never started because their account did not finish (they have no run).
extension Manifest {
    /// One account's key and the keys of its subscribers, in manifest order (the inline list, then the CSV rows).
    public struct AccountKeys: Sendable, Hashable {
        public var account: String
        public var subscribers: [String]
    }

    /// Every account's item keys, by the same rules as ``forEachItem(definition:environment:_:)`` (streamed the
    /// same way, one account at a time). Entries that could not make an item (not a mapping, a key that breaks the
    /// rules, a CSV row of the wrong width) are left out; an unreadable CSV file leaves that account's CSV
    /// subscribers out.
    public func itemKeys() async throws -> [AccountKeys] {
        var result: [AccountKeys] = []
        let sections = try ManifestCursor(path: file, limits: limits)
        let subscriberReader = try ManifestCursor(path: file, limits: limits)
        var index = -1
        while let first = try sections.nextEntry() {
            index += 1
            guard let subscribersFirst = try subscriberReader.nextEntry() else { break }
            let entry = try sections.account(first, index: index)
            _ = sections.takeProblems()
            guard case .object(var object) = entry.value,
                case .success(let account) = ItemKeys.account(
                    explicit: object.removeValue(forKey: "key"),
                    name: deepMerge(defaults, .object(object))["account"]?["name"]?.stringValue)
            else {
                try await subscriberReader.subscribers(of: subscribersFirst, index: index) { _, _, _ in }
                _ = subscriberReader.takeProblems()
                continue
            }
            var keys: [String] = []
            func add(_ subscriber: JSONValue) {
                guard case .object(let fields) = subscriber else { return }
                let explicit = fields["key"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
                let email = fields["email"]?.stringValue ?? fields["subscriber"]?["email"]?.stringValue ?? ""
                if case .success(let key) = ItemKeys.subscriber(account: account, explicit: explicit, email: email) {
                    keys.append(key)
                }
            }
            try await subscriberReader.subscribers(of: subscribersFirst, index: index) { value, _, _ in add(value) }
            _ = subscriberReader.takeProblems()
            if case .array(let listed)? = object["subscribers"] { listed.forEach(add) }
            if case .success(let location) = CSVLocation.resolve(
                object["subscribers_csv"]?.stringValue, manifest: file, allowOutside: allowCSVOutside),
                let reader = try? CSVReader(path: location.path, shownAs: location.shown),
                let header = try? reader.nextRow(), let columns = try? CSVColumns.check(header, file: location.shown)
            {
                while let row = try? reader.nextRow() {
                    guard row.fields.count == columns.count else { continue }
                    var fields: [String: JSONValue] = [:]
                    for (column, value) in zip(columns, row.fields) { fields[column] = .string(value) }
                    add(.object(fields))
                }
            }
            result.append(AccountKeys(account: account, subscribers: keys))
        }
        return result
    }
}
