import ArgumentParser
import Foundation
import Hummingbird
import TelegentSimulator

/// `telegent-sim`: the Telegent API simulator as a standalone server, in the foreground until SIGINT or SIGTERM.
struct TelegentSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "telegent-sim",
        abstract: "Serve a simulated Telegent mPaaS API (both dialects) with an in-memory state, on loopback.",
        discussion: """
            Every call of the quick start is served, with the documented field names, IDs, validation rules and \
            error bodies; tokens are scoped to one endpoint path and expire; each credential is rate-limited; \
            faults can be injected. State lives in memory until the process stops or POST /_sim/reset.

            Examples:
              telegent-sim --port 8080
              telegent-sim --port 8080 --rate-limit off --order-delay 2000 --faults faults.yaml
              TELEGENT_ACCOUNT_KEY=DID-mine TELEGENT_ACCOUNT_SECRET=s3cret telegent-sim --port 9000

            Admin endpoints (no auth): GET /_sim/health, GET /_sim/ledger, POST /_sim/reset, \
            GET|POST|DELETE /_sim/faults. See docs/SIMULATOR.md.
            """
    )

    @Option(help: ArgumentHelp("Port to listen on; 0 picks a free one. Example: --port 8080", valueName: "port"))
    var port = 8080

    @Option(help: ArgumentHelp("Address to bind. Example: --host 127.0.0.1", valueName: "address"))
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("Requests per minute per credential, token calls included, or 'off'. Example: --rate-limit 50/min"))
    var rateLimit = RateLimit(perMinute: 50)

    @Option(help: ArgumentHelp("Milliseconds added to every API request. Example: --latency 150", valueName: "ms"))
    var latency = 0

    @Option(help: ArgumentHelp("Seconds a token stays valid. Example: --token-ttl 60", valueName: "seconds"))
    var tokenTTL = 3600

    @Option(help: ArgumentHelp("Milliseconds an order stays Pending before it is Complete; omit for Complete at once. Example: --order-delay 2000", valueName: "ms"))
    var orderDelay: Int?

    @Option(help: ArgumentHelp("Seed for the number inventory and random choices. Example: --seed 42", valueName: "n"))
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Numbers for sale in each seeded area code. Example: --numbers-per-area 5000", valueName: "n"))
    var numbersPerArea = 1000

    @Option(help: ArgumentHelp("YAML or JSON file of fault rules, {\"rules\": [...]}. Example: --faults faults.yaml", valueName: "file"))
    var faults: String?

    @Option(help: ArgumentHelp("AccountKey to accept (default: $TELEGENT_ACCOUNT_KEY, else DID-onboard-demo). Example: --account-key DID-mine", valueName: "key"))
    var accountKey: String?

    @Option(help: ArgumentHelp("AccountSecret to accept (default: $TELEGENT_ACCOUNT_SECRET, else the demo secret). Example: --account-secret s3cret", valueName: "secret"))
    var accountSecret: String?

    mutating func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be from 0 to 65535 (got \(port)).") }
        guard (0...3_600_000).contains(latency) else { throw ValidationError("--latency must be from 0 to 3600000 ms (got \(latency)).") }
        guard (1...315_360_000).contains(tokenTTL) else { throw ValidationError("--token-ttl must be from 1 second to 10 years (got \(tokenTTL)).") }
        if let orderDelay, !(0...86_400_000).contains(orderDelay) {
            throw ValidationError("--order-delay must be from 0 to 86400000 ms (got \(orderDelay)).")
        }
        guard (0...1_000_000).contains(numbersPerArea) else {
            throw ValidationError("--numbers-per-area must be from 0 to 1000000 (got \(numbersPerArea)).")
        }
        _ = try credential()
    }

    /// Flags first, then the environment, then the demo credential; a key without its secret is refused.
    func credential() throws -> (credential: SimulatorCredential, isDemo: Bool) {
        let environment = ProcessInfo.processInfo.environment
        let key = accountKey ?? environment["TELEGENT_ACCOUNT_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        let secret = accountSecret ?? environment["TELEGENT_ACCOUNT_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
        switch (key, secret) {
        case (nil, nil):
            return (.demo, true)
        case (let key?, let secret?):
            return (SimulatorCredential(accountKey: key, accountSecret: secret), false)
        default:
            throw ValidationError("give both an account key and an account secret (--account-key/--account-secret or TELEGENT_ACCOUNT_KEY/TELEGENT_ACCOUNT_SECRET), or neither for the demo credential.")
        }
    }

    func run() async throws {
        let rules = try faults.map { try FaultRuleSet.load(fromFile: $0) } ?? []
        let (credential, isDemo) = try credential()
        let configuration = SimulatorConfiguration(
            host: host,
            port: port,
            rateLimitPerMinute: rateLimit.perMinute,
            latency: .milliseconds(latency),
            tokenTTL: .seconds(tokenTTL),
            orderSettleDelay: orderDelay.map { .milliseconds($0) },
            seed: seed,
            numbersPerArea: numbersPerArea,
            credentials: [credential],
            faults: rules
        )
        let rateLimit = self.rateLimit
        let tokenTTL = self.tokenTTL
        let application = TelegentSimulator.makeApplication(configuration) { running in
            // Written unbuffered: a script waiting for this line must see it while the server runs.
            FileHandle.standardOutput.write(Data(
                """
                Telegent simulator listening on \(running.baseURL)
                  AccountKey:    \(credential.accountKey)
                  AccountSecret: \(isDemo ? credential.accountSecret : "(as given by --account-secret or TELEGENT_ACCOUNT_SECRET)")
                  rate limit \(rateLimit) per credential, token TTL \(tokenTTL) s, \(rules.count) fault rule(s)
                  ledger: \(running.baseURL)/_sim/ledger  (Ctrl-C to stop)

                """.utf8))
        }
        try await application.runService()
        print("telegent-sim stopped")
    }
}

/// `--rate-limit 50/min`, `50` or `off`.
struct RateLimit: ExpressibleByArgument, CustomStringConvertible, Sendable {
    var perMinute: Int?

    init(perMinute: Int?) {
        self.perMinute = perMinute
    }

    init?(argument: String) {
        let text = argument.lowercased()
        if text == "off" || text == "none" {
            perMinute = nil
            return
        }
        let number = text.hasSuffix("/min") ? String(text.dropLast(4)) : text
        guard let value = Int(number), value >= 1 else { return nil }
        perMinute = value
    }

    var description: String { perMinute.map { "\($0)/min" } ?? "off" }
    var defaultValueDescription: String { description }
}

// Exit codes: 0 after a graceful stop, 2 for bad flags or a bad fault file, 1 when the server fails.
var parsed: any ParsableCommand
do {
    parsed = try TelegentSim.parseAsRoot()
} catch {
    if TelegentSim.exitCode(for: error) == .success { TelegentSim.exit(withError: error) }  // --help
    FileHandle.standardError.write(Data((TelegentSim.fullMessage(for: error) + "\n").utf8))
    exit(2)
}
guard let command = parsed as? TelegentSim else {
    // A built-in command such as `help`.
    do { try parsed.run() } catch { TelegentSim.exit(withError: error) }
    TelegentSim.exit()
}
do {
    try await command.run()
} catch let error as FaultFileError {
    FileHandle.standardError.write(Data("telegent-sim: error: \(error)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("telegent-sim: error: \(error)\n".utf8))
    exit(1)
}
