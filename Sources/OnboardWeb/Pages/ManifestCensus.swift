import Foundation
import OnboardCore
import Synchronization

/// A manifest's name and item keys: what a batch page needs to name the items that have no run yet (the
/// subscribers of an account that failed).
struct ManifestCensus: Sendable {
    var name: String
    var accounts: [Manifest.AccountKeys]
    var total: Int { accounts.reduce(0) { $0 + 1 + $1.subscribers.count } }
}

/// Where a manifest's census stands for a page.
enum CensusState: Sendable {
    case ready(ManifestCensus)
    /// Still being read: the page shows what the database knows and refreshes itself.
    case reading
    /// Not there any more, or not a manifest.
    case unavailable

    var census: ManifestCensus? {
        if case .ready(let census) = self { return census }
        return nil
    }
}

/// Censuses of manifests, read in the background and kept until the file changes (size or modification time).
///
/// A manifest of 100,000 subscribers takes a second or more to read (Yams parses YAML whole; CSV files are read
/// row by row), far more than a page may take. So a page asks with a time budget: it gets the census if it is (or
/// becomes) ready within the budget, and otherwise renders without it while the reading goes on; the page's next
/// refresh finds it ready. The reading is one unstructured task per file version, owned by this cache, which no
/// request's cancellation can stop half-way.
final class ManifestCensusCache: Sendable {
    private struct Entry: Sendable {
        var stamp: [Double]
        var reading: Task<ManifestCensus?, Never>
    }

    private let entries = Mutex<[String: Entry]>([:])

    func census(_ path: String, within budget: Duration) async -> CensusState {
        guard let stamp = Self.stamp(path) else { return .unavailable }
        let reading = entries.withLock { entries in
            if let entry = entries[path], entry.stamp == stamp { return entry.reading }
            let reading = Task<ManifestCensus?, Never> {
                guard let manifest = try? Manifest.load(path: path), let keys = try? await manifest.itemKeys() else {
                    return nil
                }
                return ManifestCensus(name: manifest.name, accounts: keys)
            }
            entries[path] = Entry(stamp: stamp, reading: reading)
            return reading
        }
        // Whichever comes first: the census, or the end of the budget. (A task group would wait for both: waiting
        // for a task's value cannot be cancelled.)
        let first = await withCheckedContinuation { (continuation: CheckedContinuation<CensusState?, Never>) in
            let once = ResumeOnce(continuation)
            Task { once.resume(await reading.value.map(CensusState.ready) ?? .unavailable) }
            Task {
                try? await Task.sleep(for: budget)
                once.resume(nil)
            }
        }
        return first ?? .reading
    }

    /// Modification time and size, or nil when the file is not there.
    static func stamp(_ path: String) -> [Double]? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        return [
            (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0,
            Double((attributes[.size] as? NSNumber)?.int64Value ?? -1),
        ]
    }
}

/// A continuation that the first of several tasks resumes; the others' values are dropped.
private final class ResumeOnce<Value: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value, Never>?>

    init(_ continuation: CheckedContinuation<Value, Never>) { self.continuation = Mutex(continuation) }

    func resume(_ value: Value) {
        continuation.withLock { pending in
            pending?.resume(returning: value)
            pending = nil
        }
    }
}
