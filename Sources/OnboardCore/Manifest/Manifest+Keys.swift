/// The keys of a manifest's items, read without validating inputs or resolving secrets: what a status page
/// needs to name the subscribers that never started because their account did not finish (they have no run).
extension Manifest {
    /// One account's key and the keys of its subscribers, in manifest order (the inline list, then the CSV rows).
    public struct AccountKeys: Sendable, Hashable {
        public var account: String
        public var subscribers: [String]
    }

    /// Every account's item keys, by the same rule as ``forEachItem(definition:environment:_:)``: a subscriber's
    /// key is its account's key, `/`, then its own `key` or else its email. Rows that could not make an item (not
    /// a mapping, a CSV row of the wrong width) are left out; an unreadable CSV file leaves that account's CSV
    /// subscribers out.
    public func itemKeys() -> [AccountKeys] {
        accounts.map { account in
            var keys: [String] = []
            for entry in account.subscribers {
                if let key = Self.subscriberKey(entry, account: account.key) { keys.append(key) }
            }
            if let csvPath = account.csvPath, let reader = try? CSVReader(path: csvPath), let header = reader.next() {
                // Only two columns make a key: read them by position, without building each row's object.
                let keyColumn = header.fields.firstIndex(of: "key")
                let emailColumn = header.fields.firstIndex(of: "email")
                for row in reader where row.fields.count == header.fields.count {
                    let explicit = keyColumn.map { row.fields[$0] } ?? ""
                    keys.append(account.key + "/" + (explicit.isEmpty ? emailColumn.map { row.fields[$0] } ?? "" : explicit))
                }
            }
            return AccountKeys(account: account.key, subscribers: keys)
        }
    }

    private static func subscriberKey(_ entry: JSONValue, account: String) -> String? {
        guard case .object(let object) = entry else { return nil }
        let explicit = object["key"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let email = object["email"]?.stringValue ?? object["subscriber"]?["email"]?.stringValue ?? ""
        return account + "/" + (explicit ?? email)
    }
}
