import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Who holds a run's lease: one execution (one `Runner.execute` call) of one process.
///
/// Stored as `HOST:PID:BOOT:PIDNS:NONCE`. The nonce makes every execution distinct, so two tasks of one process
/// never share a lease; host, boot id and PID namespace let another process decide, without waiting for the lease
/// to expire, that the holder is gone: only when all three match its own and no process has that PID.
public struct LeaseOwner: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var pid: Int32
    public var bootID: String?
    public var pidNamespace: String?
    public var nonce: String

    /// A new owner for an execution of this process.
    public static func make() -> LeaseOwner {
        LeaseOwner(
            host: Host.name, pid: ProcessInfo.processInfo.processIdentifier, bootID: SystemClock.bootID,
            pidNamespace: Host.pidNamespace, nonce: String(UUID().uuidString.prefix(8)).lowercased())
    }

    public init(host: String, pid: Int32, bootID: String?, pidNamespace: String?, nonce: String) {
        self.host = host
        self.pid = pid
        self.bootID = bootID
        self.pidNamespace = pidNamespace
        self.nonce = nonce
    }

    /// Parses the stored form; nil for anything else (an older release's owner, another tool's).
    public init?(rawValue: String) {
        let parts = rawValue.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, let pid = Int32(parts[1]), !parts[0].isEmpty, !parts[4].isEmpty else { return nil }
        self.init(
            host: parts[0], pid: pid, bootID: parts[2].isEmpty ? nil : parts[2],
            pidNamespace: parts[3].isEmpty ? nil : parts[3], nonce: parts[4])
    }

    public var rawValue: String { "\(host):\(pid):\(bootID ?? ""):\(pidNamespace ?? ""):\(nonce)" }

    /// `pid 1234 on build-7 (execution 9f3a1c2b)`.
    public var description: String { "pid \(pid) on \(host) (execution \(nonce))" }

    /// True only when this owner is provably a process of this host, this boot and this PID namespace that no
    /// longer exists. Anything less certain (another machine, a container, an older release's owner, a PID that was
    /// reused) is false: its lease is taken over only once it expires.
    public var isProvablyDeadLocalProcess: Bool {
        guard host == Host.name, let bootID, bootID == SystemClock.bootID, let pidNamespace,
            pidNamespace == Host.pidNamespace, pid != ProcessInfo.processInfo.processIdentifier, pid > 0
        else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// How a stored owner reads for people: parsed when it can be, as stored otherwise.
    public static func describe(_ rawValue: String) -> String {
        LeaseOwner(rawValue: rawValue)?.description ?? rawValue
    }
}
