import Foundation
import Synchronization

/// Writes a line to stdout at once (not buffered, so progress shows when stdout is a pipe or a file).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// How a child process ended.
struct Termination: Sendable {
    var status: Int32
    /// True when a signal ended it (SIGKILL from the driver), false for a normal exit with `status`.
    var signaled: Bool
    /// When the termination handler saw the end.
    var endedAt: ContinuousClock.Instant
}

/// A child process (the `onboard` or `telegent-sim` binary) with its stdout and stderr in files.
///
/// Every running child is listed in ``Children`` so that the SIGINT handler and the global timeout can kill them.
final class Child: @unchecked Sendable {
    // `Process` is not Sendable; it is only touched under `state`'s lock or before `run()`.
    private let process = Process()
    private let state = ChildState()
    let name: String
    let stdoutPath: String
    let stderrPath: String
    private(set) var pid: Int32 = 0

    /// Starts `executable ARGUMENTS` with stdout and stderr written to `stdoutPath` and `stderrPath` (truncated).
    init(
        name: String, executable: String, arguments: [String], environment: [String: String],
        directory: String, stdoutPath: String, stderrPath: String
    ) throws {
        self.name = name
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
        let fileManager = FileManager.default
        _ = fileManager.createFile(atPath: stdoutPath, contents: nil)
        _ = fileManager.createFile(atPath: stderrPath, contents: nil)
        guard let out = FileHandle(forWritingAtPath: stdoutPath), let err = FileHandle(forWritingAtPath: stderrPath) else {
            throw TortureError.setup("cannot write \(stdoutPath) or \(stderrPath)")
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        let state = self.state
        process.terminationHandler = { process in
            let termination = Termination(
                status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                endedAt: ContinuousClock.now)
            let waiters = state.mutex.withLock { value in
                value.result = termination
                defer { value.waiters = [] }
                return value.waiters
            }
            for waiter in waiters { waiter.resume(returning: termination) }
        }
        try process.run()
        pid = process.processIdentifier
        // The parent's copies are no longer needed: the child holds its own descriptors.
        try? out.close()
        try? err.close()
        Children.add(pid)
    }

    /// Whether the process has not ended yet (as far as its termination handler knows).
    var isRunning: Bool { state.mutex.withLock { $0.result == nil } }

    /// Sends a signal, unless the process has already ended (its pid may be reused).
    func signal(_ number: Int32) {
        state.mutex.withLock { value in
            if value.result == nil { _ = kill(pid, number) }
        }
    }

    /// Waits for the end of the process.
    func wait() async -> Termination {
        let termination = await withCheckedContinuation { (continuation: CheckedContinuation<Termination, Never>) in
            let done: Termination? = state.mutex.withLock { value in
                if let result = value.result { return result }
                value.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
        Children.remove(pid)
        return termination
    }

    /// Waits at most `timeout`; nil when the process is still running then.
    func wait(timeout: Duration) async -> Termination? {
        let deadline = ContinuousClock.now + timeout
        while isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return isRunning ? nil : await wait()
    }

    /// SIGTERM, then SIGKILL if it has not ended within `grace`.
    func stop(grace: Duration = .seconds(3)) async {
        signal(SIGTERM)
        if await wait(timeout: grace) == nil {
            signal(SIGKILL)
            _ = await wait()
        }
    }

    /// The last `limit` characters of the child's stdout and stderr.
    func outputTail(limit: Int = 3_000) -> String {
        func tail(_ path: String) -> String {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            return text.count > limit ? "…" + String(text.suffix(limit)) : text
        }
        return "--- \(stdoutPath)\n\(tail(stdoutPath))\n--- \(stderrPath)\n\(tail(stderrPath))"
    }
}

/// The end of a child and the tasks waiting for it (a class, so the termination handler can share it).
final class ChildState: Sendable {
    let mutex = Mutex<(result: Termination?, waiters: [CheckedContinuation<Termination, Never>])>((nil, []))
}

/// The pids of the children still running, for the SIGINT handler and the global timeout.
enum Children {
    private static let pids = Mutex<Set<Int32>>([])

    static func add(_ pid: Int32) { _ = pids.withLock { $0.insert(pid) } }
    static func remove(_ pid: Int32) { _ = pids.withLock { $0.remove(pid) } }

    /// SIGKILLs every child still listed (used when the driver itself must stop at once).
    static func killAll() {
        for pid in pids.withLock({ $0 }) { _ = kill(pid, SIGKILL) }
    }
}

/// A failure of the driver's own setup (exit code 2 when it is about options or binaries, else a FAIL).
enum TortureError: Error, CustomStringConvertible {
    /// Bad options or missing binaries: exit code 2.
    case usage(String)
    /// Something the driver needs did not work (the simulator would not start, a file could not be written).
    case setup(String)

    var description: String {
        switch self {
        case .usage(let message), .setup(let message): message
        }
    }
}
