import ArgumentParser
import Foundation
import OnboardCore
import OnboardRuntime
import TelegentClient

struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Onboard many accounts and subscribers from a manifest; rerun to continue.",
        discussion: """
            Account steps run once per account, subscriber steps once per subscriber with that account's IDs. All \
            items share one rate limiter and one token cache. The whole manifest is checked first: any error stops \
            the batch before a single call. Rerunning continues: finished items make no call, failed ones are \
            retried, in-doubt ones reconciled, new ones started; an item whose finished steps' inputs changed is \
            reported as drift and left alone (unless --accept-changes).

            Example:
              onboard plan examples/batch.yaml
              onboard batch examples/batch.yaml --concurrency 8 --report report.csv
              onboard batch examples/batch.yaml --serve 127.0.0.1:8081
                # and watch it at http://127.0.0.1:8081
            """)

    @Argument(help: "The manifest (YAML).")
    var manifest: String

    @Option(help: "Items run at once.")
    var concurrency: Int = 8

    @Option(help: "Stop starting new items after this many failures.")
    var maxFailures: Int?

    @Option(help: "Write every item's IDs, status and last error to this file (.json or .csv).")
    var report: String?

    @Flag(help: "Apply changed inputs to items whose finished steps saw other inputs (otherwise: reported as drift).")
    var acceptChanges = false

    @Flag(help: "Validate and store the items in the database for `onboard worker`s, and return at once (again: new items are added, failed ones queued again).")
    var enqueue = false

    @Flag(help: "Let subscribers_csv name a file outside the manifest's folder (refused otherwise).")
    var allowCsvOutsideManifestDir = false

    @OptionGroup var global: GlobalOptions
    @OptionGroup var api: APIOptions
    @OptionGroup var workflowOption: WorkflowOption
    @OptionGroup var spend: SpendOptions
    @OptionGroup var serving: BatchServeOptions

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        if let report, !(report.hasSuffix(".json") || report.hasSuffix(".csv")) {
            throw ValidationError("--report must end in .json or .csv")
        }
    }

    func run() async throws {
        global.bootstrapLogging()
        try await withExitStatus(json: global.json) {
            let environment = ProcessInfo.processInfo.environment
            let manifest = try Manifest.load(path: self.manifest, allowCSVOutside: allowCsvOutsideManifestDir)
            let workflow = try locateWorkflow(workflowOption.workflow ?? manifest.workflow ?? "quickstart")
            if enqueue {
                return try await Enqueue(
                    manifest: manifest, workflow: workflow, database: global.database,
                    baseURL: try TelegentHTTPTransport.validate(baseURL: api.baseURL(environment: environment)),
                    acceptChanges: acceptChanges, maxPurchases: spend.maxPurchases ?? manifest.maxPurchases, spend: spend,
                    json: global.json
                ).run(environment: environment)
            }
            let credentials = try credentialsFromEnvironment(environment)
            let configuration = try api.engineConfiguration(
                database: global.database, baseURL: api.baseURL(environment: environment), credentials: credentials,
                environment: environment)
            return try await Session.with(configuration, definition: workflow.definition, json: true) { session in
                try await serving.around(session: session, manifestPath: manifest.file, json: global.json) {
                    try await runBatch(
                        manifest: manifest, session: session, environment: environment,
                        options: .init(
                            concurrency: concurrency, maxFailures: maxFailures, acceptChanges: acceptChanges,
                            maxPurchases: spend.maxPurchases),
                        report: report, json: global.json, spend: spend)
                }
            }
        }
    }
}

/// Runs a batch with progress, summary and report; shared by `batch` and the benchmarks.
func runBatch(
    manifest: Manifest, session: Session, environment: [String: String], options: BatchRunner.Options,
    report: String?, json: Bool, spend: SpendOptions = SpendOptions()
) async throws -> ExitStatus {
    let printer = BatchPrinter(json: json, limiter: session.transport.limiter, transport: session.transport)
    if !json {
        print("batch \(TerminalText.escape(manifest.name)): target \(session.transport.baseURL), database \(session.database)")
    }
    let batch = BatchRunner(runner: session.runner, options: options, events: printer.event)
    let trap = SignalTrap(shutdown: session.shutdown, reporter: Reporter(json: json))
    defer { trap.cancel() }
    let started = ContinuousClock.now
    let result = try await withThrowingTaskGroup(of: Void.self) { group in
        let box = ProgressBox()
        group.addTask { try await printer.loop(box) }
        defer { group.cancelAll() }
        return try await batch.run(
            manifest, environment: environment,
            confirm: { try SpendGuard.confirm($0, options: spend, json: json) }, progressReady: { box.set($0) })
    }
    let elapsed = ContinuousClock.now - started
    let snapshot = result.progress.snapshot
    let rows = try await BatchReport.rows(
        manifest: manifest, definition: session.definition, environment: environment, store: session.store)
    if let report { try BatchReport.write(rows, to: report, definition: session.definition) }
    printer.summary(snapshot, batchID: result.batchID, elapsed: elapsed, rows: rows, report: report)
    let usage = try await session.store.purchaseUsage(scope: result.batchID)
    if !json, let ceiling = usage.ceiling { print("purchases: \(usage.used) of the ceiling of \(ceiling) used") }
    if !json && snapshot.done < snapshot.total {
        let hint = HintContext(database: session.database)
        let command = "onboard batch \(shellQuoted(manifest.file))\(hint.dbFlag)" + HintContext.baseURLFlag(session.transport.baseURL)
        if let ceiling = usage.ceiling, usage.used >= ceiling {
            // Rerunning as is would only meet the same ceiling: the ceiling holds across reruns until raised.
            print("continue with: \(command) --max-purchases N    (N above \(ceiling) to buy more; rerunning skips what is done)")
        } else {
            print("continue with: \(command)    (rerunning skips what is done)")
        }
    }
    if session.shutdown.isRequested { return .interrupted }
    if (snapshot.outcomes[.busy] ?? 0) > 0 && snapshot.failures == 0 { return .busy }
    if (snapshot.outcomes[.drift] ?? 0) > 0 && snapshot.failures == 0 { return .failed }
    if (snapshot.outcomes[.inDoubt] ?? 0) > 0 { return .inDoubt }
    if snapshot.failures > 0 || snapshot.count(.blocked) > 0 || snapshot.count(.notStarted) > 0 { return .failed }
    if (snapshot.outcomes[.interrupted] ?? 0) > 0 { return .interrupted }
    return .done
}

final class ProgressBox: Sendable {
    private let value = Locked<BatchProgress?>(nil)
    func set(_ progress: BatchProgress) { value.withLock { $0 = progress } }
    var progress: BatchProgress? { value.withLock { $0 } }
}
