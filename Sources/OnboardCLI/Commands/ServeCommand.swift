import ArgumentParser
import Foundation
import OnboardCore
import OnboardRuntime
import OnboardWeb
import TelegentClient

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve read-only pages, JSON and Prometheus metrics over a checkpoint database.",
        discussion: """
            Pages: / (runs and batches, with filters), /batches/ID, /runs/ID. JSON, in the shapes of --json: \
            /api/runs, /api/runs/ID, /api/batches/ID. Metrics: /metrics (Prometheus text, names prefixed onboard_). \
            Pages refresh themselves while work runs. Nothing is ever written.

            The pages have no login and show every key and ID, so only this machine can connect unless \
            --allow-remote is given (a warning is printed). Ctrl-C or SIGTERM stops the server: exit 0.

            Examples:
              onboard serve
              onboard serve --db launch.sqlite --listen 127.0.0.1:9090
              onboard batch examples/batch.yaml --serve 127.0.0.1:8081
                # the same pages while a batch runs
            """)

    @Option(help: ArgumentHelp("Address to listen on, HOST:PORT (port 0: any free port).", valueName: "host:port"))
    var listen: String = ListenAddress.default.description

    @Flag(help: "Allow a --listen address other than loopback: anyone who can reach it reads every run.")
    var allowRemote = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        global.bootstrapLogging()
        try await withExitStatus(json: global.json) {
            let address = try listenAddress(listen, allowRemote: allowRemote, flag: "--listen")
            try await withExistingStore(global.database) { store in
                let configuration = WebConfiguration(listen: address, database: global.database, findWorkflow: Locator.workflow)
                try await WebServer.run(store: store, configuration: configuration) { server in
                    announce(server, database: global.database, json: global.json)
                }
            }
            return .done
        }
    }
}

/// `onboard batch --serve ADDR [--allow-remote]`: the pages and live metrics while the batch runs.
struct BatchServeOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "While the batch runs, serve the pages and metrics of `onboard serve` at this address (HOST:PORT).",
            valueName: "host:port"))
    var serve: String?

    @Flag(help: "Allow a --serve address other than loopback: anyone who can reach it reads every run.")
    var allowRemote = false

    /// Runs `body`, with the server around it when `--serve` was given (it stops when `body` returns).
    func around(
        session: Session, manifestPath: String, json: Bool, _ body: () async throws -> ExitStatus
    ) async throws -> ExitStatus {
        guard let serve else { return try await body() }
        let address = try listenAddress(serve, allowRemote: allowRemote, flag: "--serve")
        let started = Date()
        let transport = session.transport
        let workflow = session.definition.name
        let live: @Sendable () async -> LiveBatchStatus? = {
            let seconds = max(1, Date().timeIntervalSince(started))
            let requests = transport.statistics.requests
            return LiveBatchStatus(
                manifestPath: manifestPath, workflow: workflow, requests: requests,
                requestsPerMinute: Double(requests) / seconds * 60, waitingForRateLimit: await transport.limiter.waiting,
                startedAt: started)
        }
        let configuration = WebConfiguration(
            listen: address, database: session.database, findWorkflow: Locator.workflow, live: live)
        return try await WebServer.withRunning(store: session.store, configuration: configuration) { server in
            announce(server, database: session.database, json: json)
            return try await body()
        }
    }
}

/// `text` as an address to listen on; a non-loopback one only with `--allow-remote`, and then with a warning.
func listenAddress(_ text: String, allowRemote: Bool, flag: String) throws -> ListenAddress {
    let address: ListenAddress
    do {
        address = try ListenAddress(parsing: text)
    } catch {
        throw CLIError.badInput(error.description)
    }
    guard !address.isLoopback else { return address }
    guard allowRemote else {
        throw CLIError.badInput(
            "\(flag) \(text) is not a loopback address: the pages have no login and show every run's key and IDs. "
                + "Use 127.0.0.1, or add --allow-remote if everyone who can reach \(address.host) may read them")
    }
    let warning = "warning: serving on \(address), which is not loopback: anyone who can reach it reads every run, key "
        + "and ID in the database (no login, no TLS)\n"
    FileHandle.standardError.write(Data(warning.utf8))
    return address
}

/// Prints where the pages are: a line for people, or (with --json, on stderr so stdout stays one document) JSON.
private func announce(_ server: RunningWebServer, database: StoreLocation, json: Bool) {
    if json {
        let value: JSONValue = ["url": .string(server.url), "database": .string(database.description)]
        FileHandle.standardError.write(Data((value.prettyString() + "\n").utf8))
    } else {
        print("serving \(database) at \(server.url)  (pages, /api/…, /metrics; Ctrl-C stops)")
        fflush(nil)
    }
}
