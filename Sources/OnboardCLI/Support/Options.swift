import ArgumentParser
import Foundation
import Logging
import OnboardCore

/// Flags every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The checkpoint database (created mode 0600).")
    var db: String = "onboard.sqlite"

    @Flag(name: .long, help: "Print one JSON document for scripts instead of text.")
    var json = false

    @Flag(name: .shortAndLong, help: "More log detail on stderr (-v: info, -vv: debug). Never shows a secret.")
    var verbose: Int

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
    @Option(name: .long, help: "The API as scheme://host[:port]; the workflow's paths carry /v1.0. http:// only to loopback.")
    var baseURL: String = "https://api.telegent.com"

    @Option(name: .long, help: "Requests per minute for this process, token calls included: 50 or 50/min (the standard tier).")
    var rate: String = "50/min"

    @Option(
        name: .long,
        help: "Seconds the API may still take to apply a request whose answer was lost; a lookup finding nothing is trusted only after that.")
    var settleWindow: Double = 30

    func rateSpec() throws -> RateSpec {
        guard let spec = RateSpec(parsing: rate) else {
            throw CLIError.badInput("--rate \(rate): write requests per minute, like 50 or 50/min")
        }
        return spec
    }
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

/// Loads a workflow by name or path; throws `DiagnosticList` or a `CLIError` naming what was looked for.
func loadWorkflow(_ nameOrPath: String) throws -> WorkflowDefinition {
    guard let path = Locator.workflow(nameOrPath) else {
        throw CLIError.badInput(
            "workflow '\(nameOrPath)' not found (looked for workflows/\(nameOrPath).yaml here and beside the onboard "
                + "binary); pass --workflow PATH")
    }
    return try WorkflowLoader.load(path: path)
}
