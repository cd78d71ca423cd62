import Foundation
import OnboardCore
import OnboardRuntime
import Synchronization

/// What every page is built from: the store (and its ``CheckpointBrowsing`` reads when it has them), the
/// configuration, and small caches of the files runs point to (manifests, workflows), re-read when they change.
final class PageContext: Sendable {
    let store: any CheckpointStore
    let browsing: (any CheckpointBrowsing)?
    let configuration: WebConfiguration
    let manifests = ManifestCensusCache()
    let workflows = FileCache<WorkflowDefinition>()

    init(store: any CheckpointStore, configuration: WebConfiguration) {
        self.store = store
        self.browsing = store as? any CheckpointBrowsing
        self.configuration = configuration
    }

    var now: Date { configuration.now() }
    var pageSize: Int { configuration.pageSize }

    /// ` --db PATH` for printed commands when the database is not the default one (empty otherwise).
    var dbFlag: String {
        configuration.database.isDefault ? "" : " --db " + ShellWord.quote(configuration.database.description)
    }

    func live() async -> LiveBatchStatus? { await configuration.live?() }

    /// Runs of `batchID` (any, when nil) that an execution is working on now: `running` with a lease that has not
    /// expired (a process that died leaves `running` behind, with a lease that runs out). Read through the status
    /// (few runs are running at once, whatever the size of the database); at most `limit` are looked at.
    func activeRuns(batchID: String? = nil, limit: Int = 1_000) async throws -> Int {
        let now = self.now
        return try await store.runs(matching: RunFilter(status: .running, limit: limit))
            .filter { ($0.leaseExpiresAt ?? .distantPast) > now && (batchID == nil || $0.batchID == batchID) }.count
    }

    /// The census of a batch's manifest, waiting for it at most `budget` (see ``ManifestCensusCache``).
    func census(ofManifest path: String, within budget: Duration) async -> CensusState {
        guard !path.isEmpty else { return .unavailable }
        return await manifests.census(path, within: budget)
    }

    /// A batch's name: its manifest's `batch:` when the manifest has been read, else the manifest's file name
    /// (the default name). Never waits for a manifest to be read.
    func batchName(_ batch: BatchRecord) async -> String {
        if let census = await census(ofManifest: batch.manifestPath, within: .zero).census { return census.name }
        let file = URL(fileURLWithPath: batch.manifestPath).deletingPathExtension().lastPathComponent
        return file.isEmpty ? batch.id : file
    }

    /// The workflow `run` was started with: its recorded file, else the one found by its name, taken only when its
    /// digest is the run's pinned one (cached until the file changes); nil otherwise.
    func workflow(of run: RunRecord) -> WorkflowDefinition? {
        for path in [run.workflowPath, configuration.findWorkflow(run.workflow)].compactMap({ $0 }) {
            if let definition = workflows.value(path, load: { try WorkflowLoader.load(path: $0) }),
                definition.digest == run.definitionDigest
            {
                return definition
            }
        }
        return nil
    }
}

/// Values loaded from files, kept while the file's size and modification time stay the same.
final class FileCache<Value: Sendable>: Sendable {
    private struct Entry: Sendable {
        var stamp: [Double]
        var value: Value?
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// The cached value for `path`, or `load(path)` when the file changed; nil when the file is missing or
    /// `load` throws (remembered until the file changes).
    func value(_ path: String, load: (String) throws -> Value) -> Value? {
        guard let stamp = ManifestCensusCache.stamp(path) else { return nil }
        if let entry = entries.withLock({ $0[path] }), entry.stamp == stamp { return entry.value }
        let value = try? load(path)
        entries.withLock { $0[path] = Entry(stamp: stamp, value: value) }
        return value
    }
}

/// Quoting for a POSIX shell, so a printed command works when pasted.
enum ShellWord {
    static func quote(_ text: String) -> String {
        let safe = text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./:@%+=,".contains($0)) }
        return safe && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
