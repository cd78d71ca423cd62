import Synchronization

/// Readers–writer locks by key, for one account's purchases and lookups.
///
/// Sends of a purchase hold the key's lock *shared* from before the request until its outputs and claims are
/// committed; a lookup that may adopt what it finds holds it *exclusive* until the adoption is committed. So a
/// lookup never sees a number another item has bought but not yet recorded, and two lookups never adopt the same
/// number; purchases still run side by side. Waiting writers go first, so lookups are not starved.
final class KeyedLock: Sendable {
    private struct Entry {
        var readers = 0
        var writer = false
        var queue: [(exclusive: Bool, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex<[String: Entry]>([:])

    func withShared<T: Sendable>(_ key: String?, _ body: () async throws -> T) async throws -> T {
        try await with(key, exclusive: false, body)
    }

    func withExclusive<T: Sendable>(_ key: String?, _ body: () async throws -> T) async throws -> T {
        try await with(key, exclusive: true, body)
    }

    private func with<T: Sendable>(_ key: String?, exclusive: Bool, _ body: () async throws -> T) async throws -> T {
        guard let key else { return try await body() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { entries -> Bool in
                var entry = entries[key] ?? Entry()
                let free = exclusive ? (!entry.writer && entry.readers == 0) : (!entry.writer && entry.queue.isEmpty)
                if free {
                    if exclusive { entry.writer = true } else { entry.readers += 1 }
                } else {
                    entry.queue.append((exclusive, continuation))
                }
                entries[key] = entry
                return free
            }
            if granted { continuation.resume() }
        }
        defer { release(key, exclusive: exclusive) }
        return try await body()
    }

    private func release(_ key: String, exclusive: Bool) {
        let wake = state.withLock { entries -> [CheckedContinuation<Void, Never>] in
            guard var entry = entries[key] else { return [] }
            if exclusive { entry.writer = false } else { entry.readers -= 1 }
            var wake: [CheckedContinuation<Void, Never>] = []
            // Hand the lock on in queue order: one writer, or every reader up to the next writer.
            while let first = entry.queue.first, !entry.writer {
                if first.exclusive {
                    guard entry.readers == 0 else { break }
                    entry.writer = true
                } else {
                    entry.readers += 1
                }
                wake.append(first.continuation)
                entry.queue.removeFirst()
            }
            entries[key] = entry.readers == 0 && !entry.writer && entry.queue.isEmpty ? nil : entry
            return wake
        }
        for continuation in wake { continuation.resume() }
    }
}
