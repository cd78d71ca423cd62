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
    let manifests = FileCache<ManifestCensus>()
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

    /// Runs matching `filter` that an execution is working on now: `running` with a lease that has not expired (a
    /// process that died leaves `running` behind, with a lease that runs out). At most `limit` are looked at.
    func activeRuns(matching filter: RunFilter, limit: Int = 500) async throws -> Int {
        var running = filter
        running.status = .running
        running.limit = limit
        running.offset = nil
        let now = self.now
        return try await store.runs(matching: running).filter { ($0.leaseExpiresAt ?? .distantPast) > now }.count
    }

    /// The manifest's item keys (cached until the file changes); nil when it cannot be read or parsed.
    func census(ofManifest path: String) -> ManifestCensus? {
        manifests.value(path) { path in
            let manifest = try Manifest.load(path: path)
            return ManifestCensus(name: manifest.name, accounts: manifest.itemKeys())
        }
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

/// A manifest's name and item keys: what a batch page needs to count the items that have no run yet.
struct ManifestCensus: Sendable {
    var name: String
    var accounts: [Manifest.AccountKeys]
    var total: Int { accounts.reduce(0) { $0 + 1 + $1.subscribers.count } }
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
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        let stamp = [
            (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0,
            Double((attributes[.size] as? NSNumber)?.int64Value ?? -1),
        ]
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
