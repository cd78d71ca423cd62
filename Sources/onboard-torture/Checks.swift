import Foundation
import TelegentSimulator
import GRDB

/// What the simulator's ledger says compared with what the manifest asked for.
struct LedgerCheck: Sendable {
    /// Effects beyond the expected count, per kind (`purchases`: 2 means two numbers bought twice).
    var duplicates: [String: Int] = [:]
    /// Effects missing, per kind.
    var missing: [String: Int] = [:]
    /// Name-map entries above 1 (`account_names{Torture Account 003}=2`).
    var duplicateNames: [String] = []

    var duplicateCount: Int { duplicates.values.reduce(0, +) }
    var missingCount: Int { missing.values.reduce(0, +) }

    init(_ ledger: Ledger, manifest: BatchManifest) {
        let expected: [(kind: String, actual: Int, want: Int)] = [
            ("accounts", ledger.accounts, manifest.accounts),
            ("message_routes", ledger.messageRoutes, manifest.accounts),
            ("voice_routes", ledger.voiceRoutes, 0),
            ("purchases", ledger.purchases, manifest.items),
            ("subscribers", ledger.subscribers, manifest.items),
            ("messages", ledger.messages, manifest.items),
        ]
        for (kind, actual, want) in expected {
            if actual > want { duplicates[kind] = actual - want }
            if actual < want { missing[kind] = want - actual }
        }
        let maps: [(name: String, map: [String: Int], want: Int)] = [
            ("account_names", ledger.accountNames, manifest.accounts),
            ("message_route_names", ledger.messageRouteNames, manifest.accounts),
            ("subscriber_emails", ledger.subscriberEmails, manifest.items),
            ("messages_by_route", ledger.messagesByRoute, manifest.items),
        ]
        for (name, map, want) in maps {
            for (key, count) in map.sorted(by: { $0.key < $1.key }) where count != 1 {
                duplicateNames.append("\(name){\(key)}=\(count)")
            }
            if map.count != want { duplicateNames.append("\(name) has \(map.count) entries, expected \(want)") }
        }
    }

    var problems: [String] {
        var problems: [String] = []
        for (kind, count) in duplicates.sorted(by: { $0.key < $1.key }) { problems.append("duplicate \(kind)+\(count)") }
        for (kind, count) in missing.sorted(by: { $0.key < $1.key }) { problems.append("missing \(kind)-\(count)") }
        problems += duplicateNames
        return problems
    }

}

/// What the checkpoint database says after the final run.
struct DatabaseCheck: Sendable {
    var integrity = "unknown"
    var subscriberRuns = 0
    var accountRuns = 0
    /// Runs whose status is not `done`: (key, kind, status, last error).
    var notDone: [(key: String, kind: String, status: String, lastError: String?)] = []
    /// Attempts with no recorded outcome (requests in doubt) left after the final run.
    var unfinishedAttempts = 0
    /// Account run key → the account_id its `account` step kept.
    var accountIDs: [String: String] = [:]
    /// Subscriber run key → the phone_number its `provision` step kept.
    var phoneNumbers: [String: String] = [:]
    /// Create steps sent again after a send whose effect was unknown (killed in flight, no answer, 409/5xx): the
    /// candidates for a duplicate.
    var resends: [Resend] = []

    struct Resend: Sendable {
        var key: String
        var step: String
        /// How the uncertain send ended: `killed in flight`, `no answer`, `HTTP 500`, …
        var how: String
        /// Milliseconds from the uncertain send to the first lookup after it (nil: no lookup) and to the resend.
        var lookupAfterMs: Int?
        var resendAfterMs: Int

        var description: String {
            let lookup = lookupAfterMs.map { "lookup +\($0) ms found nothing, " } ?? "no lookup, "
            return "\(key) \(step): send \(how), \(lookup)sent again +\(resendAfterMs) ms"
        }
    }

    /// The ledger kind each create step adds to.
    static let stepOfKind = [
        "accounts": "account", "message_routes": "message_route", "purchases": "provision",
        "subscribers": "subscriber", "messages": "test_message",
    ]

    /// Opens the database read-only (no process has it open any more) and reads the figures.
    init(path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.read { db in
            integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ")
            subscriberRuns = try Int.fetchOne(db, sql: "SELECT count(*) FROM runs WHERE kind = 'subscriber'") ?? 0
            accountRuns = try Int.fetchOne(db, sql: "SELECT count(*) FROM runs WHERE kind = 'account'") ?? 0
            let rows = try Row.fetchAll(
                db, sql: "SELECT key, kind, status, last_error FROM runs WHERE status <> 'done' ORDER BY key")
            notDone = rows.map { (key: $0["key"], kind: $0["kind"], status: $0["status"], lastError: $0["last_error"]) }
            unfinishedAttempts = try Int.fetchOne(db, sql: "SELECT count(*) FROM attempts WHERE outcome IS NULL") ?? 0
            let outputs = try Row.fetchAll(db, sql: """
                SELECT runs.key AS key, steps.step_id AS step, steps.outputs AS outputs
                FROM runs JOIN steps ON steps.run_id = runs.id
                WHERE steps.status = 'done' AND steps.step_id IN ('account', 'provision')
                """)
            let uncertain = try Row.fetchAll(db, sql: """
                SELECT runs.key AS key, a.step_id AS step, a.outcome AS outcome, a.status_code AS status,
                    ((SELECT min(b.started_at) FROM attempts b WHERE b.run_id = a.run_id AND b.step_id = a.step_id
                        AND b.purpose = 'reconcile' AND b.id > a.id) - a.started_at) * 1000 AS lookup_after,
                    ((SELECT min(c.started_at) FROM attempts c WHERE c.run_id = a.run_id AND c.step_id = a.step_id
                        AND c.purpose = 'send' AND c.id > a.id) - a.started_at) * 1000 AS resend_after
                FROM attempts a JOIN runs ON runs.id = a.run_id
                WHERE a.purpose = 'send' AND a.step_id IN ('account', 'message_route', 'provision', 'subscriber', 'test_message')
                    AND (a.outcome IS NULL OR a.outcome = 'no_answer' OR a.status_code IN (409, 500, 502, 504))
                ORDER BY a.id
                """)
            for row in uncertain {
                guard let resendAfter: Double = row["resend_after"] else { continue }
                let outcome: String? = row["outcome"], status: Int? = row["status"]
                let how = outcome == nil ? "killed in flight" : status.map { "HTTP \($0)" } ?? "no answer"
                let lookupAfter: Double? = row["lookup_after"]
                resends.append(Resend(
                    key: row["key"], step: row["step"], how: how,
                    lookupAfterMs: lookupAfter.flatMap { $0 <= resendAfter ? Int($0.rounded()) : nil },
                    resendAfterMs: Int(resendAfter.rounded())))
            }
            for row in outputs {
                let key: String = row["key"], step: String = row["step"], text: String = row["outputs"]
                let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
                if step == "account", let id = object["account_id"] as? String { accountIDs[key] = id }
                if step == "provision", let number = object["phone_number"] as? String { phoneNumbers[key] = number }
            }
        }
        try queue.close()
    }

    func problems(manifest: BatchManifest) -> [String] {
        var problems: [String] = []
        if integrity != "ok" && integrity != Self.serverIntegrity { problems.append("integrity_check=\(integrity)") }
        if subscriberRuns != manifest.items { problems.append("subscriber runs=\(subscriberRuns), expected \(manifest.items)") }
        if accountRuns != manifest.accounts { problems.append("account runs=\(accountRuns), expected \(manifest.accounts)") }
        if !notDone.isEmpty {
            let listed = notDone.prefix(5).map { "\($0.key)(\($0.status))" }.joined(separator: ",")
            problems.append("not done: \(notDone.count) [\(listed)\(notDone.count > 5 ? ",…" : "")]")
        }
        return problems
    }

    /// Subscribers whose number is not of the area code they asked for (a lookup adopted a sibling's purchase).
    func wrongAreas(manifest: BatchManifest) -> [String] {
        manifest.subscriberList.compactMap { subscriber in
            guard let number = phoneNumbers[subscriber.key], !number.hasPrefix("+1" + subscriber.areaCode) else { return nil }
            return "\(subscriber.key) asked \(subscriber.areaCode), holds \(number)"
        }
    }

    /// The ledger's purchases per account against the subscribers of each account (by the AIDs kept here).
    func purchaseProblems(_ ledger: Ledger, manifest: BatchManifest) -> [String] {
        var problems: [String] = []
        var byAccount = ledger.purchasesByAccount
        for (index, key) in manifest.accountKeys.enumerated() {
            guard let id = accountIDs[key] else { continue }  // reported as not done
            let bought = byAccount.removeValue(forKey: id) ?? 0
            let want = manifest.subscribers(ofAccount: index)
            if bought != want { problems.append("purchases_by_account{\(key)}=\(bought), expected \(want)") }
        }
        for (id, count) in byAccount.sorted(by: { $0.key < $1.key }) where count > 0 {
            problems.append("purchases_by_account{\(id)}=\(count) under an account no run holds")
        }
        return problems
    }
}
