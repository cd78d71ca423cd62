import AsyncHTTPClient
import Foundation
import NIOCore
import OnboardCore
import Synchronization
import TelegentSimulator

/// The timeline of one `batch` run: every request's phases (`RequestTiming`), when each run's execution started
/// and ended, and how many items held a slot, sampled every 2 ms.
final class TimelineRecorder: Sendable {
    private struct State {
        var requests: [RequestTiming] = []
        var runStarted: [String: ContinuousClock.Instant] = [:]
        var runFinished: [String: ContinuousClock.Instant] = [:]
        var slots: [Int] = []
        var sampler: Task<Void, Never>?
    }

    private let state = Mutex(State())

    func record(_ timing: RequestTiming) {
        state.withLock { $0.requests.append(timing) }
    }

    func record(_ event: RunEvent) {
        let now = ContinuousClock.now
        switch event {
        case .runStarted(let runID, _): state.withLock { $0.runStarted[runID] = now }
        case .runFinished(let runID, _): state.withLock { $0.runFinished[runID] = now }
        default: break
        }
    }

    func sample(_ progress: BatchProgress) {
        let task = Task {
            while !Task.isCancelled {
                let running = progress.snapshot.running
                state.withLock { $0.slots.append(running) }
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
        state.withLock { $0.sampler = task }
    }

    func stopSampling() {
        state.withLock { $0.sampler }?.cancel()
    }

    /// One CSV line per request, times in ms from `start`.
    func write(to path: String, start: ContinuousClock.Instant) throws {
        let requests = state.withLock { $0.requests }.sorted { $0.asked < $1.asked }
        func ms(_ instant: ContinuousClock.Instant?) -> String {
            instant.map { String(format: "%.3f", ($0 - start).seconds * 1000) } ?? ""
        }
        var text = "run,step,purpose,path,status,asked_ms,ready_ms,sent_ms,answered_ms,recorded_ms\n"
        for request in requests {
            text += "\(request.runID),\(request.stepID),\(request.purpose.rawValue),\(request.path),"
            text += "\(request.status.map(String.init) ?? ""),\(ms(request.asked)),\(ms(request.ready)),\(ms(request.sent)),"
            text += "\(ms(request.answered)),\(ms(request.recorded))\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Where the time went, as means in ms and mean counts over the batch's wall time.
    func summary(
        start: ContinuousClock.Instant, end: ContinuousClock.Instant, latencyMs: Int, concurrency: Int
    ) -> [String: JSONValue] {
        let (requests, started, finished, slots) = state.withLock { ($0.requests, $0.runStarted, $0.runFinished, $0.slots) }
        let wall = (end - start).seconds * 1000
        func mean(_ values: [Double]) -> JSONValue { .double(values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)) }
        func ms(_ from: ContinuousClock.Instant, _ to: ContinuousClock.Instant) -> Double { (to - from).seconds * 1000 }
        let sent = requests.filter { $0.sent != nil }
        let http = sent.map { ms($0.sent!, $0.answered) }
        // Requests of one run in order: the gap from one's end to the next one's start is the runner's own time
        // (the step's commit, rendering, the lease check).
        var byRun: [String: [RequestTiming]] = [:]
        for request in requests { byRun[request.runID, default: []].append(request) }
        var gaps: [Double] = []
        var leadIns: [Double] = []
        var tails: [Double] = []
        for (runID, list) in byRun {
            let ordered = list.sorted { $0.asked < $1.asked }
            for (previous, next) in zip(ordered, ordered.dropFirst()) {
                gaps.append(ms(previous.recorded ?? previous.answered, next.asked))
            }
            if let begin = started[runID], let first = ordered.first { leadIns.append(ms(begin, first.asked)) }
            if let stop = finished[runID], let last = ordered.last { tails.append(ms(last.recorded ?? last.answered, stop)) }
        }
        let executing = started.compactMap { runID, begin in finished[runID].map { ms(begin, $0) } }.reduce(0, +)
        let firstAsked = requests.map(\.asked).min()
        return [
            "wall_ms": .double(wall),
            "first_request_ms": .double(firstAsked.map { ms(start, $0) } ?? 0),
            "mean_http_requests_in_flight": .double(http.reduce(0, +) / wall),
            "concurrency": .int(concurrency),
            "mean_items_holding_a_slot": mean(slots.map(Double.init)),
            "mean_runs_executing": .double(executing / wall),
            "wait_token_and_rate_limiter_ms": mean(sent.compactMap { request in request.ready.map { ms(request.asked, $0) } }),
            "attempt_commit_ms": mean(sent.compactMap { request in request.ready.map { ms($0, request.sent!) } }),
            "http_ms": mean(http),
            "http_beyond_latency_ms": .double((http.isEmpty ? 0 : http.reduce(0, +) / Double(http.count)) - Double(latencyMs)),
            "outcome_commit_ms": mean(requests.compactMap { request in request.recorded.map { ms(request.answered, $0) } }),
            "between_requests_of_a_run_ms": mean(gaps),
            "run_start_to_first_request_ms": mean(leadIns),
            "last_request_to_run_end_ms": mean(tails),
        ]
    }
}

/// `telegent-sim` (beside this binary) as a child process, so its CPU time can be read apart from onboard's.
final class SimulatorProcess: Sendable {
    let baseURL: String
    private let process: Process

    init(_ configuration: SimulatorConfiguration) throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("telegent-sim").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--port", "0", "--rate-limit", "off",
            "--latency", String(Int(configuration.latency.seconds * 1000)),
            "--numbers-per-area", String(configuration.numbersPerArea),
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["TELEGENT_ACCOUNT_KEY"] = SimulatorCredential.demo.accountKey
        environment["TELEGENT_ACCOUNT_SECRET"] = SimulatorCredential.demo.accountSecret
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        self.process = process
        // The first line names the URL: "Telegent simulator listening on http://127.0.0.1:PORT".
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), let first = byte.first, first != 10 {
            line.append(first)
        }
        guard let url = String(decoding: line, as: UTF8.self).split(separator: " ").last, url.hasPrefix("http") else {
            process.terminate()
            throw BenchError("telegent-sim did not say where it listens")
        }
        baseURL = String(url)
    }

    /// Purchases and accounts in the simulator's ledger.
    func ledger() async throws -> (purchases: Int, accounts: Int) {
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: baseURL + "/_sim/ledger"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
        let ledger = try JSONDecoder().decode(Ledger.self, from: Data(body.readableBytesView))
        return (ledger.purchases, ledger.accounts)
    }

    /// User and system CPU seconds the simulator used so far (`/proc/PID/stat`, in clock ticks).
    func cpuSeconds() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return -1 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14, stime 15 (1-based), so 11 and 12 here.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return -1 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

