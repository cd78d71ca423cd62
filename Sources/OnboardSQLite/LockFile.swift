// Cross-process readers–writer locks for SQLite: byte-range locks on the `<database>-locks` file.
import Foundation
import OnboardCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Named readers–writer locks shared by every process that opens the same database file, and released by the
/// kernel when the process holding one dies (a SIGKILL included), so no lock outlives its holder.
///
/// Each key maps to two bytes of the `<database>-locks` file (by a stable 64-bit hash; two keys that share bytes
/// only wait for each other more than they need to). A holder takes them with *open file description* locks
/// (`F_OFD_SETLK`, Linux 3.15+) on a descriptor of its own: unlike classic `fcntl` locks, these belong to the
/// descriptor, not to the process, so two holders in one process exclude each other too, and closing one
/// descriptor never drops another's lock. Asking never blocks a thread: a lock that is taken is asked for again
/// after a short sleep (5 ms, doubling up to 100 ms), and a cancelled task stops asking.
///
/// Polling alone would let a stream of shared holders starve an exclusive one, so the first byte is a *gate*:
///
/// - shared: take the gate shared, then the data byte shared, then let the gate go;
/// - exclusive: take the gate exclusive (no new shared holder gets past it), then the data byte exclusive, and
///   keep both until the end.
///
/// In one process a `KeyedLock` comes first (arrival order, no polling between tasks); the file then arbitrates
/// between processes. On systems without open file description locks (Darwin), the lock holds within the process
/// only.
final class LockFile: Sendable {
    let path: String
    private let local = KeyedLock()

    init(databasePath: String) {
        path = databasePath + "-locks"
    }

    func withLock<T: Sendable>(_ key: String, exclusive: Bool, _ body: @Sendable () async throws -> T) async throws -> T {
        try await local.with(key, exclusive: exclusive) {
            try await holdingFile(key, exclusive: exclusive, limit: nil, body)
        }
    }

    /// `withLock`, giving up with `LockWaitExceeded` once `limit` has passed without the lock (the wait in this
    /// process and between processes together). A free lock costs no task and no timer.
    func withLock<T: Sendable>(
        _ key: String, exclusive: Bool, waitingAtMost limit: Duration, _ body: @Sendable () async throws -> T
    ) async throws -> T {
        let deadline = ContinuousClock.now.advanced(by: limit)
        return try await local.with(key, exclusive: exclusive, waitingAtMost: limit) {
            try await holdingFile(key, exclusive: exclusive, limit: (limit, deadline), body)
        }
    }

    /// Runs `body` holding the key's bytes of the file (the process's own `KeyedLock` already held).
    private func holdingFile<T: Sendable>(
        _ key: String, exclusive: Bool, limit: (Duration, ContinuousClock.Instant)?, _ body: @Sendable () async throws -> T
    ) async throws -> T {
        try Task.checkCancellation()
        let descriptor = try await acquire(key, exclusive: exclusive, limit: limit)
        // Closing the descriptor releases every byte it locked.
        defer { if descriptor >= 0 { close(descriptor) } }
        return try await body()
    }

    /// Takes the key's bytes on a new descriptor and returns it (-1 where there are no such locks).
    private func acquire(_ key: String, exclusive: Bool, limit: (Duration, ContinuousClock.Instant)?) async throws -> Int32 {
        #if os(Linux)
            let descriptor = try openFile()
            do {
                let gate = Self.offset(of: key), data = gate + 1
                try await poll(descriptor, key: key, byte: gate, exclusive: exclusive, limit: limit)
                try await poll(descriptor, key: key, byte: data, exclusive: exclusive, limit: limit)
                if !exclusive { try setLock(descriptor, byte: gate, type: F_UNLCK) }
                return descriptor
            } catch {
                close(descriptor)
                throw error
            }
        #else
            return -1
        #endif
    }

    #if os(Linux)
        // Linux's values for every architecture (<bits/fcntl-linux.h>); Glibc does not export them to Swift.
        private static let ofdSetLock: Int32 = 37

        private func openFile() throws -> Int32 {
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                let code = errno
                throw StoreError(.io, "cannot open the lock file \(path): \(String(cString: strerror(code)))")
            }
            return descriptor
        }

        /// Asks for one byte until it is granted; past `limit`'s deadline, throws `LockWaitExceeded`.
        private func poll(
            _ descriptor: Int32, key: String, byte: Int64, exclusive: Bool, limit: (Duration, ContinuousClock.Instant)?
        ) async throws {
            var pause = Duration.milliseconds(5)
            while true {
                do {
                    try setLock(descriptor, byte: byte, type: exclusive ? F_WRLCK : F_RDLCK)
                    return
                } catch let busy as Busy {
                    _ = busy
                }
                var sleep = pause
                if let (waited, deadline) = limit {
                    let left = deadline - ContinuousClock.now
                    guard left > .zero else { throw LockWaitExceeded(key: key, waited: waited) }
                    sleep = min(sleep, left)
                }
                try await Task.sleep(for: sleep)
                pause = min(pause * 2, .milliseconds(100))
            }
        }

        private struct Busy: Error {}

        /// One non-blocking `F_OFD_SETLK` on one byte; throws `Busy` when another holder's lock conflicts.
        private func setLock(_ descriptor: Int32, byte: Int64, type: Int32) throws {
            var request = flock()
            request.l_type = Int16(type)
            request.l_whence = Int16(SEEK_SET)
            request.l_start = off_t(byte)
            request.l_len = 1
            request.l_pid = 0  // required for open file description locks
            guard fcntl(descriptor, Self.ofdSetLock, &request) == 0 else {
                let code = errno
                if code == EAGAIN || code == EACCES { throw Busy() }
                throw StoreError(.io, "cannot lock \(path): \(String(cString: strerror(code)))")
            }
        }
    #endif

    /// The gate byte of `key` (its data byte follows): an even offset below 2^41 from FNV-1a.
    static func offset(of key: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int64(hash % (1 << 40)) * 2
    }
}
