import Foundation
import TelegentSimulator

/// The batch manifest the torture runs: `accounts` accounts, `items` subscribers spread evenly across them (the
/// first `items % accounts` accounts take one more), each with a unique e-mail and an area code from a short
/// rotation, so purchases come from several areas of the simulator's inventory.
struct BatchManifest {
    static let areaCodes = ["801", "201", "310", "212", "415"]

    let items: Int
    let accounts: Int

    init(items: Int) {
        self.items = items
        accounts = max(1, items / 5)
    }

    /// How many subscribers account `index` (0-based) gets.
    func subscribers(ofAccount index: Int) -> Int {
        items / accounts + (index < items % accounts ? 1 : 0)
    }

    /// The share of the batch's effects (an account and a route per account; a purchase, a subscriber and a
    /// message per subscriber) the simulator's ledger shows, 0...1.
    func progress(_ ledger: Ledger) -> Double {
        let done = min(ledger.accounts, accounts) + min(ledger.messageRoutes, accounts)
            + min(ledger.purchases, items) + min(ledger.subscribers, items) + min(ledger.messages, items)
        return Double(done) / Double(2 * accounts + 3 * items)
    }

    struct Subscriber {
        /// The batch item's key: `<account key>/<email>`.
        var key: String
        var name: String
        var email: String
        var areaCode: String
        var account: Int
    }

    /// The account keys, `acct-001` …
    var accountKeys: [String] { (0..<accounts).map { String(format: "acct-%03d", $0 + 1) } }

    /// Every subscriber, in manifest order.
    var subscriberList: [Subscriber] {
        var list: [Subscriber] = []
        for account in 0..<accounts {
            let accountKey = accountKeys[account]
            for _ in 0..<subscribers(ofAccount: account) {
                let id = String(format: "%04d", list.count + 1)
                let email = "sub-\(id)@\(accountKey).torture.example"
                list.append(Subscriber(
                    key: "\(accountKey)/\(email)", name: "Subscriber \(id)", email: email,
                    areaCode: Self.areaCodes[list.count % Self.areaCodes.count], account: account))
            }
        }
        return list
    }

    var yaml: String {
        var lines = [
            "# Written by onboard-torture: \(accounts) account(s), \(items) subscriber(s).",
            "workflow: quickstart",
            "batch: torture",
            "defaults:",
            "  message_route: {url: \"https://hooks.torture.example/telegent/messages\", method: POST}",
            "  number: {number_type: mvno, message_type: p2p, product_type: Sms+Data}",
            "  subscriber: {password: \"${env.ONBOARD_SUBSCRIBER_PASSWORD}\", role: Subscriber}",
            "  test_message: {to: \"+13105559999\", body: Welcome to your new number!}",
            "accounts:",
        ]
        let subscribers = subscriberList
        for (account, key) in accountKeys.enumerated() {
            let number = key.dropFirst(5)
            lines += [
                "  - key: \(key)",
                "    account: {name: Torture Account \(number), admin_email: admin@\(key).torture.example}",
                "    message_route: {name: Torture route \(number)}",
                "    subscribers:",
            ]
            for subscriber in subscribers where subscriber.account == account {
                lines.append(
                    "      - {name: \(subscriber.name), email: \(subscriber.email), area_code: \"\(subscriber.areaCode)\"}")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
