import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A moment as the runner records it: wall time for people (and for comparing across boots), plus, on Linux,
/// seconds since boot from `CLOCK_BOOTTIME` and the boot's id. The second pair keeps counting while the process is
/// stopped or the machine sleeps, and no change of the wall clock moves it.
public struct ClockReading: Sendable, Hashable {
    public var wall: Date
    public var uptime: Double?
    public var bootID: String?

    public init(wall: Date, uptime: Double? = nil, bootID: String? = nil) {
        self.wall = wall
        self.uptime = uptime
        self.bootID = bootID
    }
}

/// Where the runner reads the time. Tests inject a clock whose wall time jumps.
public protocol RunClock: Sendable {
    func now() -> ClockReading
}

/// The machine's clocks.
public struct SystemClock: RunClock {
    public init() {}

    public func now() -> ClockReading {
        ClockReading(wall: Date(), uptime: Self.uptime(), bootID: Self.bootID)
    }

    /// Seconds of `CLOCK_BOOTTIME` (Linux), nil where there is none.
    public static func uptime() -> Double? {
        #if os(Linux)
            var spec = timespec()
            guard clock_gettime(CLOCK_BOOTTIME, &spec) == 0 else { return nil }
            return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
        #else
            return nil
        #endif
    }

    /// This boot's id (`/proc/sys/kernel/random/boot_id`), nil where there is none.
    public static let bootID: String? = Host.readLine("/proc/sys/kernel/random/boot_id")
}

/// Facts about this machine that tell whether another process is provably on it.
public enum Host {
    public static let name: String = ProcessInfo.processInfo.hostName

    /// The inode of this process's PID namespace (`/proc/self/ns/pid` → `pid:[4026531836]`), nil where unknown.
    public static let pidNamespace: String? = {
        #if os(Linux)
            var buffer = [CChar](repeating: 0, count: 128)
            let count = readlink("/proc/self/ns/pid", &buffer, buffer.count - 1)
            guard count > 0 else { return nil }
            let text = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard let open = text.firstIndex(of: "["), let close = text.lastIndex(of: "]"), open < close else { return nil }
            return String(text[text.index(after: open)..<close])
        #else
            return nil
        #endif
    }()

    static func readLine(_ path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return line.isEmpty ? nil : line
    }
}
