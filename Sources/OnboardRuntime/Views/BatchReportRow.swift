import OnboardCore

/// One item of a batch with its IDs: a row of `onboard batch --report` and of the `items_detail` of
/// `onboard batch --json`, and an item of `onboard serve`'s `/api/batches/{id}`.
///
/// A subscriber's row carries its account's outputs too (its `account_id`, its route IDs), so one row says
/// everything about the item. As JSON the outputs sit beside the fixed keys:
///
/// ```json
/// {"kind": "subscriber", "key": "acme/jane@acme.example", "run": "r…", "status": "done",
///  "last_error": null, "account_id": "AID-…", "subscriber_id": "TSUID-…"}
/// ```
public struct BatchReportRow: Sendable {
    public var kind: String
    public var key: String
    public var run: String
    public var status: String
    public var lastError: String?
    /// Outputs of the item's steps and, for a subscriber, of its account's.
    public var outputs: [String: JSONValue]

    public init(kind: String, key: String, run: String, status: String, lastError: String?, outputs: [String: JSONValue]) {
        self.kind = kind
        self.key = key
        self.run = run
        self.status = status
        self.lastError = lastError
        self.outputs = outputs
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "kind": .string(kind), "key": .string(key), "run": .string(run), "status": .string(status),
            "last_error": lastError.map(JSONValue.string) ?? .null,
        ]
        for (name, value) in outputs { object[name] = value }
        return .object(object)
    }
}
