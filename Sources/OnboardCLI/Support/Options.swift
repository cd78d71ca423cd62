import ArgumentParser
import Foundation
import Logging
import OnboardCore
import OnboardRuntime
import TelegentClient

/// Flags every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The checkpoint database: a file (SQLite, created mode 0600) or a postgres:// URL. Default: $ONBOARD_DB, else onboard.sqlite.",
            valueName: "path|url"))
    var db: String?

    @Flag(name: .long, help: "Print one JSON document for scripts instead of text.")
    var json = false

    @Flag(name: .shortAndLong, help: "More log detail on stderr (-v: info, -vv: debug). Never shows a secret.")
    var verbose: Int

    @Flag(name: .long, help: "No colour (also: the NO_COLOR environment variable; colour is only ever used on a terminal).")
    var noColor = false

    /// `--db`, else `ONBOARD_DB`, else the default file.
    var database: StoreLocation { StoreLocation(db) }

    func bootstrapLogging() {
        let level: Logger.Level = verbose >= 2 ? .debug : verbose == 1 ? .info : .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// Flags of commands that call the API.
struct APIOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The API as scheme://host[:port] (http:// only to loopback). Default: the run's own target when resuming, else $ONBOARD_BASE_URL, else https://api.telegent.com.",
            valueName: "url"))
    var baseURL: String?

    @Option(name: .long, help: "Requests per minute, token calls included: 50 or 50/min (the standard tier); another window: 10/5s. On a shared database (PostgreSQL, workers) every process using the credential keeps it together.")
    var rate: String = "50/min"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Seconds to wait for an answer (connecting included) before a request counts as unanswered.",
            valueName: "seconds"))
    var requestTimeout: Double = 30

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Seconds the API may still take to apply a request after onboard stopped waiting for it; a lookup finding nothing is trusted only that long after the request could last have been in flight (its end, or its start plus --request-timeout).",
            valueName: "seconds"))
    var settleWindow: Double = 30

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Seconds a step may keep retrying (besides its workflow's max_attempts, 8 by default); then it fails and a resume starts again.",
            valueName: "seconds"))
    var retryBudget: Double = 600

    /// For the tests of lease takeover: how long a lease lasts without renewal.
    @Option(name: .long, help: .hidden)
    var leaseSeconds: Double = 30

    /// The base URL to use: `--base-url`, else `stored` (the run's own), else `ONBOARD_BASE_URL`, else the real API.
    func baseURL(stored: String? = nil, environment: [String: String]) -> String {
        baseURL ?? stored ?? environment["ONBOARD_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://api.telegent.com"
    }

    func rateSpec() throws -> RateSpec {
        guard let spec = RateSpec(parsing: rate) else {
            throw CLIError.badInput("--rate \(rate): write requests per minute, like 50 or 50/min (or per window: 10/5s)")
        }
        return spec
    }

    /// The engine's settings from these flags; every number is checked to be finite and in range first.
    func engineConfiguration(
        database: StoreLocation, baseURL: String, credentials: (key: String, secret: String),
        environment: [String: String]
    ) throws -> Engine.Configuration {
        let requestTimeout = try seconds(requestTimeout, "--request-timeout", minimum: 0.1, maximum: 3_600)
        let settleWindow = try seconds(settleWindow, "--settle-window", minimum: 0, maximum: 86_400)
        let lease = try seconds(leaseSeconds, "--lease-seconds", minimum: 1, maximum: 3_600)
        let budget = try seconds(retryBudget, "--retry-budget", minimum: 0, maximum: 86_400)
        return Engine.Configuration(
            database: database, baseURL: baseURL,
            credentials: .init(accountKey: credentials.key, accountSecret: credentials.secret), rate: try rateSpec(),
            requestTimeout: requestTimeout, settleWindow: settleWindow, leaseDuration: lease,
            retryPolicy: RetryPolicy(stepBudget: budget), environment: environment)
    }
}

/// `value` seconds as a duration, or bad input naming the flag when it is not a finite number in range.
func seconds(_ value: Double, _ flag: String, minimum: Double, maximum: Double) throws -> Duration {
    guard value.isFinite, value >= minimum, value <= maximum else {
        throw CLIError.badInput("\(flag) \(value): give a number of seconds from \(minimum.formatted()) to \(maximum.formatted())")
    }
    return .seconds(clamping: value, maximum: maximum)
}

/// Which workflow to use.
struct WorkflowOption: ParsableArguments {
    @Option(name: .long, help: "Workflow name in workflows/ (quickstart, quickstart-guide) or a YAML path.")
    var workflow: String?
}

/// The credentials, from the environment only (never a flag: flags show in `ps`).
func credentialsFromEnvironment(_ environment: [String: String]) throws -> (key: String, secret: String) {
    let key = environment["TELEGENT_ACCOUNT_KEY"] ?? ""
    let secret = environment["TELEGENT_ACCOUNT_SECRET"] ?? ""
    var missing: [String] = []
    if key.isEmpty { missing.append("TELEGENT_ACCOUNT_KEY") }
    if secret.isEmpty { missing.append("TELEGENT_ACCOUNT_SECRET") }
    guard missing.isEmpty else {
        throw CLIError.badInput(
            "set \(missing.joined(separator: " and ")) in the environment (your AccountKey and AccountSecret); "
                + "no request was made. To try onboard without credentials: onboard demo")
    }
    return (key, secret)
}

/// A workflow and the file it came from.
struct LoadedWorkflow {
    var definition: WorkflowDefinition
    var path: String
}

/// Loads a workflow by name or path; throws `DiagnosticList` or a `CLIError` naming what was looked for.
func loadWorkflow(_ nameOrPath: String) throws -> WorkflowDefinition {
    try locateWorkflow(nameOrPath).definition
}

func locateWorkflow(_ nameOrPath: String) throws -> LoadedWorkflow {
    guard let path = Locator.workflow(nameOrPath) else {
        throw CLIError.badInput(
            "workflow '\(nameOrPath)' not found (looked for workflows/\(nameOrPath).yaml here and beside the onboard "
                + "binary); pass --workflow PATH")
    }
    return LoadedWorkflow(definition: try WorkflowLoader.load(path: path), path: absolute(path))
}
