import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TelegentSimulator

/// `onboard-bench simload`: requests per second the simulator sustains on loopback for a mix of token,
/// availability, provision and lookup calls, with latency percentiles.
struct SimLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simload",
        abstract: "Drive the in-process Telegent simulator with a call mix and report requests/s, p50/p99 latency and errors.",
        discussion: """
            The simulator runs in this process (rate limit off) and AsyncHTTPClient drives it over loopback with \
            --concurrency connections for --duration seconds. Every 20 calls: 2 token, 6 availability, \
            3 provision, 3 inventory (10 numbers a page), 3 order and 3 message-route lookups.

            Example: swift run -c release onboard-bench simload --duration 10 --concurrency 64 --json simload.json
            """
    )

    @Option(help: ArgumentHelp("Seconds to run. Example: --duration 10", valueName: "seconds"))
    var duration: Double = 10

    @Option(help: ArgumentHelp("Concurrent connections. Example: --concurrency 64", valueName: "n"))
    var concurrency = 64

    @Option(help: ArgumentHelp("Numbers per area code (default: enough for the run). Example: --numbers-per-area 20000", valueName: "n"))
    var numbersPerArea: Int?

    @Option(help: ArgumentHelp("Write the figures as JSON to this file. Example: --json simload.json", valueName: "file"))
    var json: String?

    mutating func validate() throws {
        guard duration.isFinite, duration > 0, duration <= 86_400 else { throw ValidationError("--duration must be from 0 to 86400 seconds.") }
        guard (1...4096).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 4096.") }
    }

    func run() async throws {
        // Provisions are 15 % of the mix; leave room for well over 2,000 a second across 11 areas.
        let perArea = numbersPerArea ?? max(5000, Int(duration * 400))
        let configuration = SimulatorConfiguration(rateLimitPerMinute: nil, numbersPerArea: perArea)
        let concurrency = self.concurrency
        let duration = self.duration
        let report = try await TelegentSimulator.withRunning(configuration) { simulator in
            var clientConfiguration = HTTPClient.Configuration()
            clientConfiguration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
            do {
                let driver = try await LoadDriver.prepare(client: client, baseURL: simulator.baseURL)
                let report = try await driver.run(concurrency: concurrency, duration: .milliseconds(Int(duration * 1000)))
                try await client.shutdown()
                return report
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
        print(report.summary(concurrency: concurrency))
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
            print("figures written to \(json)")
        }
    }
}

/// The figures of one run.
struct LoadReport: Codable, Sendable {
    var requests: Int
    var seconds: Double
    var requestsPerSecond: Double
    var p50Milliseconds: Double
    var p99Milliseconds: Double
    var maxMilliseconds: Double
    var errors: Int
    var errorsByKind: [String: Int]
    var requestsByCall: [String: Int]

    func summary(concurrency: Int) -> String {
        let calls = requestsByCall.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let errorList = errorsByKind.isEmpty ? "" : " (" + errorsByKind.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"
        return """
            simload: \(requests) requests in \(String(format: "%.1f", seconds)) s with \(concurrency) connections
              \(String(format: "%.0f", requestsPerSecond)) requests/s, latency p50 \(String(format: "%.2f", p50Milliseconds)) ms, \
            p99 \(String(format: "%.2f", p99Milliseconds)) ms, max \(String(format: "%.1f", maxMilliseconds)) ms
              errors: \(errors)\(errorList)
              calls: \(calls)
            """
    }
}
