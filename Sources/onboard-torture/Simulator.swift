import AsyncHTTPClient
import Foundation
import TelegentSimulator
import NIOCore
import NIOHTTP1

/// The POST endpoints of the quickstart workflow that create or buy something, plus availability: the faults that
/// leave an effect in doubt (`drop`) or make the client retry (`status`, `latency`) act on these.
let faultedPostPaths = [
    "/v1.0/account/create",
    "/v1.0/message/routes",
    "/v1.0/numbers/availability",
    "/v1.0/numbers/provision",
    "/v1.0/subscribers/create",
    "/v1.0/message/outbound",
]

/// The fault file: on each faulted POST path, `drop` p/3, `status` 500 p/6, `status` 503 p/6, `latency` 300 ms p/3;
/// (`--fault-latency 0` leaves the latency rule out) on every GET (the lookups a resume reconciles with, and order polls) `status` 503 p/10.
///
/// The simulator tries a path's rules in order and the first that passes its probability roll acts, so each rule's
/// probability is conditional on the earlier ones having missed: rule i gets p_i / (1 - p_1 - ... - p_(i-1)), which
/// makes the unconditional rates exactly the shares above.
func faultFile(rate: Double, latencyMs: Int = 300, slowRate: Double = 0, slowMs: Int = 1_500) -> String {
    var rules: [[String: Any]] = []
    if slowRate > 0 {
        // First, so its probability is its own share: answers that come after onboard stopped waiting.
        for path in faultedPostPaths {
            rules.append([
                "method": "POST", "path": path, "action": "latency", "latency_ms": slowMs, "probability": min(1, slowRate),
            ])
        }
    }
    if rate > 0 {
        let kinds: [(share: Double, rule: [String: Any])] = [
            (rate / 3, ["action": "drop"]),
            (rate / 6, ["action": "status", "status": 500]),
            (rate / 6, ["action": "status", "status": 503]),
            (rate / 3, ["action": "latency", "latency_ms": latencyMs]),
        ].filter { $0.rule["latency_ms"] as? Int != 0 }
        for path in faultedPostPaths {
            var before = 0.0
            for kind in kinds {
                var rule = kind.rule
                rule["method"] = "POST"
                rule["path"] = path
                rule["probability"] = min(1, kind.share / max(1e-12, 1 - before))
                before += kind.share
                rules.append(rule)
            }
        }
        rules.append(["method": "GET", "path": "*", "action": "status", "status": 503, "probability": min(1, rate / 10)])
    }
    let data = try! JSONSerialization.data(withJSONObject: ["rules": rules], options: [.prettyPrinted, .sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

/// The `telegent-sim` child: started on a free loopback port, with the fault file; stopped at the end.
struct Simulator: Sendable {
    let child: Child
    let baseURL: String

    /// Starts `telegent-sim --port 0 …` and reads the port it bound from its banner, then waits for `/_sim/health`.
    static func start(
        binary: String, latency: Int, seed: UInt64, faults: String, workDir: String, environment: [String: String]
    ) async throws -> Simulator {
        let child = try Child(
            name: "telegent-sim", executable: binary,
            arguments: [
                "--port", "0", "--host", "127.0.0.1", "--rate-limit", "off", "--latency", String(latency),
                "--seed", String(seed), "--faults", faults,
            ],
            environment: environment, directory: workDir,
            stdoutPath: workDir + "/telegent-sim.out", stderrPath: workDir + "/telegent-sim.err")
        do {
            // The banner's first line: "Telegent simulator listening on http://127.0.0.1:PORT".
            let deadline = ContinuousClock.now + .seconds(30)
            var baseURL: String?
            while baseURL == nil {
                let text = (try? String(contentsOfFile: child.stdoutPath, encoding: .utf8)) ?? ""
                if let range = text.range(of: "listening on ") {
                    let rest = text[range.upperBound...]
                    if let end = rest.firstIndex(of: "\n") { baseURL = String(rest[..<end]).trimmingCharacters(in: .whitespaces) }
                }
                if baseURL != nil { break }
                guard child.isRunning else {
                    throw TortureError.setup("telegent-sim exited before listening:\n\(child.outputTail())")
                }
                guard ContinuousClock.now < deadline else {
                    throw TortureError.setup("telegent-sim printed no 'listening on' line within 30 s:\n\(child.outputTail())")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            let simulator = Simulator(child: child, baseURL: baseURL!)
            while true {
                if let body = try? await simulator.get("/_sim/health"), body.contains("true") { break }
                guard child.isRunning else {
                    throw TortureError.setup("telegent-sim exited before /_sim/health answered:\n\(child.outputTail())")
                }
                guard ContinuousClock.now < deadline else {
                    throw TortureError.setup("\(baseURL!)/_sim/health did not answer within 30 s")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            return simulator
        } catch {
            child.signal(SIGKILL)
            _ = await child.wait()
            throw error
        }
    }

    /// GET an admin path; the body as text, or an error for a status other than 200.
    func get(_ path: String) async throws -> String {
        let request = HTTPClientRequest(url: baseURL + path)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 64 << 20)
        guard response.status == .ok else {
            throw TortureError.setup("GET \(path) answered \(response.status): \(String(buffer: body))")
        }
        return String(buffer: body)
    }

    func ledger() async throws -> Ledger {
        let text = try await get("/_sim/ledger")
        return try JSONDecoder().decode(Ledger.self, from: Data(text.utf8))
    }

    /// When each API request arrived (`GET /_sim/requests`).
    func requestLog() async throws -> RequestLog {
        let text = try await get("/_sim/requests")
        return try JSONDecoder().decode(RequestLog.self, from: Data(text.utf8))
    }

    func stop() async {
        await child.stop()
    }
}
