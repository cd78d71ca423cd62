import Foundation
import Testing

/// The built `onboard` executable, run as a real subprocess (for exit codes, signals and SIGKILL).
enum OnboardBinary {
    /// Beside the test bundle in the build folder (`swift test` builds every product first).
    static var path: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("onboard"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("onboard"),
            Harness.root.appendingPathComponent(".build/debug/onboard"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path ?? candidates[2].path
    }

    /// The environment a user would have: the simulator's credentials and the subscriber password.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["TELEGENT_ACCOUNT_KEY"] = "DID-onboard-demo"
        environment["TELEGENT_ACCOUNT_SECRET"] = "demo-secret-not-for-production"
        environment["ONBOARD_SUBSCRIBER_PASSWORD"] = Harness.password
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// A child that has not exited this long after `wait()` was called is SIGKILLed and the test fails with a
    /// message, so a hung `onboard` shows up as a failure naming the command instead of a suite that never ends.
    /// Far above the slowest test's child (a few seconds) on a loaded 2-core machine.
    static let exitDeadline: Duration = .seconds(300)

    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
        var wasKilled: Bool
    }

    /// Starts `onboard ARGS` in `directory`; the caller waits or signals.
    ///
    /// Why no pipes: reading one through Foundation's readability callbacks registers a libdispatch read source,
    /// and clearing it while other subprocesses start and end is a use-after-free on Linux (SIGSEGV in
    /// `_dispatch_event_loop_drain`, about one suite in five on a loaded machine). A pipe also needs a reader for as
    /// long as the child writes, or the child blocks on a full pipe.
    /// So stdout and stderr go to two temporary files, unlinked as soon as they are open: the child writes through
    /// its inherited descriptor, this side reads its own descriptor from offset 0 once the child has exited, and
    /// nothing is left on disk whatever happens to the test.
    ///
    /// The child is a `ChildProcess` (posix_spawn; see there why not Foundation's `Process`), reaped by a thread
    /// of its own and bridged to `wait()` with a continuation; nothing polls.
    final class Handle: Sendable {
        private let child: ChildProcess
        private let arguments: [String]
        private let stdout: CaptureFile
        private let stderr: CaptureFile

        init(_ arguments: [String], directory: URL, environment: [String: String]) throws {
            self.arguments = arguments
            stdout = try CaptureFile()
            stderr = try CaptureFile()
            child = try ChildProcess(
                executable: OnboardBinary.path, arguments: arguments, environment: environment, directory: directory,
                stdout: stdout.writer, stderr: stderr.writer)
            // The child holds its own copies; the parent's would only keep the files open.
            stdout.closeWriter()
            stderr.closeWriter()
        }

        /// Sends `number` to the child, unless it has already been reaped (its pid could belong to another process).
        func signal(_ number: Int32) { child.signal(number) }

        /// Waits for the child to exit; its status and everything it printed. Can be called more than once.
        func wait() async -> Result {
            await withTaskGroup(of: Result?.self) { group in
                group.addTask { await self.exited() }
                group.addTask {
                    // Cancelled as soon as the child exits; otherwise the deadline's SIGKILL ends `exited()`.
                    guard (try? await Task.sleep(for: OnboardBinary.exitDeadline)) != nil else { return nil }
                    Issue.record("onboard \(self.arguments.joined(separator: " ")) still running after \(OnboardBinary.exitDeadline): killed")
                    self.signal(SIGKILL)
                    return nil
                }
                var result: Result?
                while let next = await group.next() {
                    if let next {
                        result = next
                        group.cancelAll()
                    }
                }
                return result!
            }
        }

        /// Resumes once the child has exited; everything it wrote is in the files by then.
        private func exited() async -> Result {
            let exit = await child.exited()
            return Result(status: exit.status, stdout: stdout.readAll(), stderr: stderr.readAll(), wasKilled: exit.signalled)
        }
    }

    static func run(_ arguments: [String], directory: URL, environment: [String: String] = environment()) async throws -> Result {
        try await Handle(arguments, directory: directory, environment: environment).wait()
    }
}

/// A temporary file that a child writes its stdout or stderr into, removed from the folder as soon as it is open.
///
/// Two open file descriptions, one to write (handed to the child) and one to read, so the child's writes never move
/// the offset this side reads from.
private struct CaptureFile: Sendable {
    let writer: FileHandle
    private let reader: FileHandle

    init() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("onboard-test-\(UUID().uuidString).out").path
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        defer { unlink(path) }
        writer = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        reader = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    }

    func closeWriter() { try? writer.close() }

    /// The whole file as text, read from its start each time (`wait()` may be called more than once). The
    /// reader closes with this value, and the file, already unlinked, goes with it.
    func readAll() -> String {
        var text = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var offset: off_t = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(reader.fileDescriptor, $0.baseAddress, $0.count, offset) }
            guard count > 0 else { break }
            text.append(contentsOf: buffer[..<count])
            offset += off_t(count)
        }
        return String(decoding: text, as: UTF8.self)
    }
}
