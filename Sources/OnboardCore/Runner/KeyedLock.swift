import Synchronization

/// Readers–writer locks by key, within one process: for one account's purchases and lookups, and as the first
/// stage of a store's cross-process locks (`CheckpointStore.withLock`).
///
/// Sends of a purchase hold the key's lock *shared* from before the request until its outputs and claims are
/// committed; a lookup that may adopt what it finds holds it *exclusive* until the adoption is committed. So a
/// lookup never sees a number another item has bought but not yet recorded, and two lookups never adopt the same
/// number; purchases still run side by side. Waiters are served in arrival order: a shared request that arrives
/// while anyone waits queues behind it, so waiting writers are not starved.
///
/// A task cancelled while it waits leaves the queue at once and throws `CancellationError` (the lock is handed to
/// those behind it if it can be); a body that has started always releases the lock, whatever way it ends.
package final class KeyedLock: Sendable {
    private struct Waiter {
        var id: UInt64
        var exclusive: Bool
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct Entry {
        var readers = 0
        var writer = false
        var queue: [Waiter] = []

        var isIdle: Bool { readers == 0 && !writer && queue.isEmpty }

        /// Grants the lock to waiters in queue order, one writer or every reader up to the next writer, and
        /// returns them to be resumed outside the mutex.
        mutating func admitWaiting() -> [CheckedContinuation<Void, any Error>] {
            var admitted: [CheckedContinuation<Void, any Error>] = []
            while let first = queue.first, !writer {
                if first.exclusive {
                    guard readers == 0 else { break }
                    writer = true
                } else {
                    readers += 1
                }
                admitted.append(first.continuation)
                queue.removeFirst()
            }
            return admitted
        }
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    package init() {}

    package func withShared<T: Sendable>(_ key: String?, _ body: () async throws -> T) async throws -> T {
        try await with(key, exclusive: false, body)
    }

    package func withExclusive<T: Sendable>(_ key: String?, _ body: () async throws -> T) async throws -> T {
        try await with(key, exclusive: true, body)
    }

    /// Runs `body` holding `key` shared or exclusive; a nil key runs it without a lock.
    package func with<T: Sendable>(_ key: String?, exclusive: Bool, _ body: () async throws -> T) async throws -> T {
        guard let key else { return try await body() }
        try await acquire(key, exclusive: exclusive)
        defer { release(key, exclusive: exclusive) }
        return try await body()
    }

    /// Runs `body` holding `key`, waiting at most `limit` for it: when it is not had by then, throws
    /// `LockWaitExceeded` without running `body`. A free key is taken at once, with no task and no timer.
    package func with<T: Sendable>(
        _ key: String, exclusive: Bool, waitingAtMost limit: Duration, _ body: () async throws -> T
    ) async throws -> T {
        if !tryAcquire(key, exclusive: exclusive) {
            try await acquire(key, exclusive: exclusive, waitingAtMost: limit)
        }
        defer { release(key, exclusive: exclusive) }
        return try await body()
    }

    /// Takes `key` if it is free and nobody waits for it (as `acquire` would grant it at once); false otherwise.
    private func tryAcquire(_ key: String, exclusive: Bool) -> Bool {
        state.withLock { state in
            var entry = state.entries[key] ?? Entry()
            guard exclusive ? (!entry.writer && entry.readers == 0) : (!entry.writer && entry.queue.isEmpty) else {
                return false
            }
            if exclusive { entry.writer = true } else { entry.readers += 1 }
            state.entries[key] = entry
            return true
        }
    }

    /// Waits for `key` in its queue for at most `limit`. A grant that comes as the wait is given up is kept.
    private func acquire(_ key: String, exclusive: Bool, waitingAtMost limit: Duration) async throws {
        let granted = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await self.acquire(key, exclusive: exclusive)
                return true
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            defer { group.cancelAll() }
            if try await group.next() == true { return true }
            // The time is up (or this task was cancelled): withdraw the waiter, and see whether it was granted
            // first.
            group.cancelAll()
            do {
                while let next = try await group.next() {
                    if next { return true }
                }
            } catch is CancellationError {}
            return false
        }
        if granted { return }
        try Task.checkCancellation()
        throw LockWaitExceeded(key: key, waited: limit)
    }

    private func acquire(_ key: String, exclusive: Bool) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Checked under the mutex: a cancellation either happened before (then it is seen here) or its
                // handler runs after the waiter is queued (then it finds and removes it).
                let granted = state.withLock { state -> Bool? in
                    if Task.isCancelled { return nil }
                    var entry = state.entries[key] ?? Entry()
                    let free = exclusive ? (!entry.writer && entry.readers == 0) : (!entry.writer && entry.queue.isEmpty)
                    if free {
                        if exclusive { entry.writer = true } else { entry.readers += 1 }
                    } else {
                        entry.queue.append(Waiter(id: id, exclusive: exclusive, continuation: continuation))
                    }
                    state.entries[key] = entry
                    return free
                }
                switch granted {
                case nil: continuation.resume(throwing: CancellationError())
                case true?: continuation.resume()
                case false?: break
                }
            }
        } onCancel: {
            withdraw(key, id: id)
        }
    }

    /// Takes a cancelled waiter out of the queue (if it is still waiting) and lets those behind it in.
    private func withdraw(_ key: String, id: UInt64) {
        let (cancelled, admitted) = state.withLock { state -> (CheckedContinuation<Void, any Error>?, [CheckedContinuation<Void, any Error>]) in
            guard var entry = state.entries[key], let index = entry.queue.firstIndex(where: { $0.id == id }) else {
                return (nil, [])
            }
            let waiter = entry.queue.remove(at: index)
            let admitted = entry.admitWaiting()
            state.entries[key] = entry.isIdle ? nil : entry
            return (waiter.continuation, admitted)
        }
        cancelled?.resume(throwing: CancellationError())
        for continuation in admitted { continuation.resume() }
    }

    private func release(_ key: String, exclusive: Bool) {
        let admitted = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            guard var entry = state.entries[key] else { return [] }
            if exclusive { entry.writer = false } else { entry.readers -= 1 }
            let admitted = entry.admitWaiting()
            state.entries[key] = entry.isIdle ? nil : entry
            return admitted
        }
        for continuation in admitted { continuation.resume() }
    }
}
