import Foundation
import OnboardCore
import OnboardRuntime
import OnboardSQLite
import TelegentClient
import TelegentSimulator

/// Where benchmarks find the repository's workflows and examples.
enum BenchFiles {
    static let root: URL = {
        var directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for _ in 0..<6 {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("workflows/quickstart.yaml").path) {
                return directory
            }
            directory.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    static func workflow(_ name: String = "quickstart") throws -> WorkflowDefinition {
        try WorkflowLoader.load(path: root.appendingPathComponent("workflows/\(name).yaml").path)
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("onboard-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}

/// The subscriber password the generated manifests refer to as `${env.BENCH_PASSWORD}`.
let benchEnvironment = ["BENCH_PASSWORD": "bench-Passw0rd"]

/// The engine's settings for a benchmark against `simulator`, with a fresh database in `directory`.
func benchConfiguration(
    _ simulator: RunningSimulator, directory: URL, rate: RateSpec = RateSpec(requests: 1_000_000),
    maximumConnections: Int = 64
) -> Engine.Configuration {
    benchConfiguration(
        baseURL: simulator.baseURL, directory: directory, rate: rate, maximumConnections: maximumConnections)
}

/// The engine's settings for a benchmark against the simulator at `baseURL`.
func benchConfiguration(
    baseURL: String, directory: URL, rate: RateSpec = RateSpec(requests: 1_000_000), maximumConnections: Int = 64
) -> Engine.Configuration {
    let credential = SimulatorCredential.demo
    return Engine.Configuration(
        database: .sqlite(path: directory.appendingPathComponent("bench.sqlite").path), baseURL: baseURL,
        credentials: .init(accountKey: credential.accountKey, accountSecret: credential.accountSecret), rate: rate,
        environment: benchEnvironment, maximumConnections: maximumConnections)
}

/// Runs `body` with a batch runner wired by the composition root, as the CLI wires one.
func withBatch<T: Sendable>(
    _ simulator: RunningSimulator, directory: URL, workflow: WorkflowDefinition,
    rate: RateSpec = RateSpec(requests: 1_000_000), concurrency: Int, shutdown: ShutdownSignal = ShutdownSignal(),
    _ body: (BatchRunner, Engine) async throws -> T
) async throws -> T {
    let configuration = benchConfiguration(
        simulator, directory: directory, rate: rate, maximumConnections: max(64, concurrency * 2))
    return try await Engine.with(configuration, definition: workflow, shutdown: shutdown) { engine in
        try await body(BatchRunner(runner: engine.runner, options: .init(concurrency: concurrency)), engine)
    }
}

/// Median of a list of figures.
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// Writes figures as JSON when asked.
func writeFigures(_ figures: [String: JSONValue], to path: String?) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let text = String(decoding: try encoder.encode(JSONValue.object(figures)), as: UTF8.self)
    print(text)
    if let path { try text.write(toFile: path, atomically: true, encoding: .utf8) }
}

/// Peak resident memory of this process (Linux: VmHWM), in MB.
func peakMemoryMB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kilobytes / 1024
    }
    return 0
}
