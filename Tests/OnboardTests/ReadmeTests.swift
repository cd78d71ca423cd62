import ArgumentParser
import Foundation
import OnboardCLI
import TelegentSimulator
import Testing

/// The README is a test: its walkthrough blocks (marked `<!-- walkthrough: NAME [exit=N] -->`) run as printed,
/// in order, against a simulator, with `swift run onboard` standing for the built binary; every hint the CLI
/// prints on the way is run too; and every file the README names exists.
@Suite struct ReadmeTests {
    struct Block: Sendable, CustomTestStringConvertible {
        var name: String
        var expectedExit: Int32
        var script: String
        var testDescription: String { name }
    }

    static let readme = Harness.root.appendingPathComponent("README.md")

    /// The marked shell blocks, in order.
    static func blocks() throws -> [Block] {
        let text = try String(contentsOf: readme, encoding: .utf8)
        var blocks: [Block] = []
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).makeIterator()
        while let line = lines.next() {
            guard line.hasPrefix("<!-- walkthrough:") else { continue }
            let words = line.dropFirst("<!-- walkthrough:".count).replacingOccurrences(of: "-->", with: "")
                .split(separator: " ").map(String.init)
            let exit = words.first { $0.hasPrefix("exit=") }.flatMap { Int32($0.dropFirst(5)) } ?? 0
            guard lines.next() == "```sh" else { continue }
            var script: [Substring] = []
            while let body = lines.next(), body != "```" { script.append(body) }
            blocks.append(Block(name: words.first ?? "?", expectedExit: exit, script: script.joined(separator: "\n")))
        }
        return blocks
    }

    /// The block as this test runs it: the simulator is the harness's (its start line dropped, its port put in),
    /// and `swift run onboard` is the binary `swift test` built.
    static func prepared(_ script: String, port: Int) -> String {
        script.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("swift run telegent-sim") }
            .joined(separator: "\n")
            .replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1:\(port)")
            .replacingOccurrences(of: "localhost:8080", with: "127.0.0.1:\(port)")
            .replacingOccurrences(of: "swift run onboard", with: "\"$ONBOARD\"")
    }

    @Test func walkthroughsRunAsPrintedAndEveryHintWorks() async throws {
        let blocks = try Self.blocks()
        #expect(
            blocks.map(\.name) == ["simulator", "failure", "resume", "bad-input", "batch", "batch-drift"],
            "the README's walkthrough blocks")
        try await Harness.with { harness in
            let folder = harness.directory
            for name in ["examples", "workflows"] {
                try FileManager.default.copyItem(
                    at: Harness.root.appendingPathComponent(name), to: folder.appendingPathComponent(name))
            }
            let port = try #require(URL(string: harness.simulator.baseURL)?.port)
            var environment = ProcessInfo.processInfo.environment
            environment["ONBOARD"] = OnboardBinary.path
            for key in ["ONBOARD_DB", "ONBOARD_BASE_URL", "TELEGENT_ACCOUNT_KEY", "TELEGENT_ACCOUNT_SECRET", "NO_COLOR"] {
                environment[key] = nil
            }
            // `export` lines carry over from one block to the next, as in one terminal.
            var exports: [String] = []
            var hints: [String] = []
            for block in blocks {
                let script = Self.prepared(block.script, port: port)
                let result = try await Shell.run(
                    (exports + ["set -e", script]).joined(separator: "\n"), directory: folder, environment: environment)
                #expect(result.status == block.expectedExit, "block \(block.name): \(result.stdout)\(result.stderr)")
                exports += script.split(separator: "\n").filter { $0.hasPrefix("export ") }.map(String.init)
                hints += Self.hints(in: result.stdout + result.stderr)
            }
            #expect(!hints.isEmpty, "the walkthrough printed hints")
            for hint in hints {
                let result = try await Shell.run(
                    (exports + [hint.replacingOccurrences(of: "onboard ", with: "\"$ONBOARD\" ", options: .anchored)])
                        .joined(separator: "\n"),
                    directory: folder, environment: environment)
                #expect(result.status == 0, "hint `\(hint)` failed: \(result.stdout)\(result.stderr)")
            }
        }
    }

    /// Commands the CLI told the user to run: `…: onboard resume r…`, `(details: onboard show r…)`.
    static func hints(in output: String) -> [String] {
        var found: [String] = []
        for line in output.split(separator: "\n") {
            for marker in ["then: ", "details: ", "see: ", "continue with: ", "next: "] {
                guard let range = line.range(of: marker + "onboard ") else { continue }
                var command = String(line[range.upperBound...].prefix { $0 != ")" })
                command = "onboard " + command.components(separatedBy: "    ").first!.trimmingCharacters(in: .whitespaces)
                if !found.contains(command) { found.append(command) }
            }
        }
        return found
    }

    @Test func everyFileTheReadmeNamesExists() throws {
        let text = try String(contentsOf: Self.readme, encoding: .utf8)
        let pattern = /(?:examples|workflows|docs|scripts|migrations|Sources|Tests)\/[A-Za-z0-9_.\/-]*[A-Za-z0-9_]/
        let generated: Set<String> = ["examples/batch-next.yaml"]
        var named = Set(text.matches(of: pattern).map { String($0.output) })
        named.subtract(generated)
        #expect(!named.isEmpty)
        for path in named.sorted() {
            #expect(FileManager.default.fileExists(atPath: Harness.root.appendingPathComponent(path).path), "\(path)")
        }
    }

    @Test func helpExamplesAreNeverWrappedMidCommand() {
        // Help is wrapped at the terminal's width (80 when it cannot tell): an example line (indented, in a
        // command's discussion) must fit, or it would break in the middle of a command when pasted.
        var commands: [any ParsableCommand.Type] = [Onboard.self]
        var index = 0
        while index < commands.count {
            commands += commands[index].configuration.subcommands
            index += 1
        }
        #expect(commands.count > 10)
        for command in commands {
            for line in command.configuration.discussion.split(separator: "\n") where line.hasPrefix("  ") {
                #expect(line.count <= 79, "\(command.configuration.commandName ?? "onboard"): example too long: \(line)")
            }
        }
    }
}

/// `bash -c SCRIPT` with its output captured in files (never pipes read by handlers).
enum Shell {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ script: String, directory: URL, environment: [String: String]) async throws -> Result {
        let out = directory.appendingPathComponent("shell-\(UUID().uuidString).out")
        let err = directory.appendingPathComponent("shell-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        let child = try ChildProcess(
            executable: "/bin/bash", arguments: ["-c", script], environment: environment, directory: directory,
            stdout: try FileHandle(forWritingTo: out), stderr: try FileHandle(forWritingTo: err))
        let status = await child.exited().status
        return Result(
            status: status, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}
