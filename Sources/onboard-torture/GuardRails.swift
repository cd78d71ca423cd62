import Foundation
import UnixSignals

/// The global timeout and SIGINT/SIGTERM: both kill every child at once (the simulator included) and exit.
///
/// Signals come through swift-service-lifecycle's `UnixSignalsSequence` (as in `onboard` itself); both watchers
/// are child tasks of one task, so ``cancel()`` ends them together.
final class GuardRails: Sendable {
    private let watchers: Task<Void, Never>

    init(timeout: Double, workDir: String, json: String?) {
        // Ignored until UnixSignals has registered its handlers (asynchronously), so an early Ctrl-C cannot leave
        // the children running.
        for number in [SIGINT, SIGTERM] { signal(number, SIG_IGN) }
        // --timeout is validated positive; `inf` is "no timeout" (about 30 years), which `Duration` can hold.
        let limit = Duration.seconds(min(timeout, 1e9))
        watchers = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    guard (try? await Task.sleep(for: limit)) != nil else { return }
                    Children.killAll()
                    let message = "still running after \(Int(min(timeout, 1e9))) s (--timeout); every child killed"
                    say("torture: FAIL timeout: \(message) | work dir kept: \(workDir)")
                    if let json {
                        let document: [String: Any] = ["verdict": "FAIL", "problems": ["timeout: " + message], "work_dir": workDir]
                        if let data = try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys]) {
                            _ = FileManager.default.createFile(atPath: json, contents: data + Data("\n".utf8))
                        }
                    }
                    exit(1)
                }
                group.addTask {
                    for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                        Children.killAll()
                        say("torture: interrupted; every child killed | work dir kept: \(workDir)")
                        exit(130)
                    }
                }
            }
        }
    }

    func cancel() {
        watchers.cancel()
        for number in [SIGINT, SIGTERM] { signal(number, SIG_DFL) }
    }
}
