import Foundation

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
        var subscriber = 0
        for account in 0..<accounts {
            let number = String(format: "%03d", account + 1)
            lines += [
                "  - key: acct-\(number)",
                "    account: {name: Torture Account \(number), admin_email: admin@acct-\(number).torture.example}",
                "    message_route: {name: Torture route \(number)}",
                "    subscribers:",
            ]
            for _ in 0..<subscribers(ofAccount: account) {
                let id = String(format: "%04d", subscriber + 1)
                let area = Self.areaCodes[subscriber % Self.areaCodes.count]
                lines.append(
                    "      - {name: Subscriber \(id), email: sub-\(id)@acct-\(number).torture.example, area_code: \"\(area)\"}")
                subscriber += 1
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
