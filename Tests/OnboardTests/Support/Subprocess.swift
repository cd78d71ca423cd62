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

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var wasKilled: Bool
    }

    /// Starts `onboard ARGS` in `directory`; the caller waits or signals.
    final class Handle: @unchecked Sendable {
        let process = Process()
        let out = Pipe()
        let err = Pipe()
        private let outData = Locked(Data())
        private let errData = Locked(Data())

        init(_ arguments: [String], directory: URL, environment: [String: String]) throws {
            process.executableURL = URL(fileURLWithPath: OnboardBinary.path)
            process.arguments = arguments
            process.currentDirectoryURL = directory
            process.environment = environment
            process.standardOutput = out
            process.standardError = err
            let outData = self.outData, errData = self.errData
            out.fileHandleForReading.readabilityHandler = { handle in
                let chunk = handle.availableData
                outData.withLock { $0.append(chunk) }
            }
            err.fileHandleForReading.readabilityHandler = { handle in
                let chunk = handle.availableData
                errData.withLock { $0.append(chunk) }
            }
            try process.run()
        }

        func signal(_ number: Int32) { kill(process.processIdentifier, number) }

        func wait() async -> Result {
            while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
            out.fileHandleForReading.readabilityHandler = nil
            err.fileHandleForReading.readabilityHandler = nil
            let rest = (try? out.fileHandleForReading.readToEnd()) ?? nil
            let restErr = (try? err.fileHandleForReading.readToEnd()) ?? nil
            if let rest { outData.withLock { $0.append(rest) } }
            if let restErr { errData.withLock { $0.append(restErr) } }
            return Result(
                status: process.terminationStatus,
                stdout: String(decoding: outData.withLock { $0 }, as: UTF8.self),
                stderr: String(decoding: errData.withLock { $0 }, as: UTF8.self),
                wasKilled: process.terminationReason == .uncaughtSignal)
        }
    }

    static func run(_ arguments: [String], directory: URL, environment: [String: String] = environment()) async throws -> Result {
        try await Handle(arguments, directory: directory, environment: environment).wait()
    }
}
