import Foundation

/// The rounds of the kill loop that are not a plain SIGKILL: a run paused past its lease while another process
/// takes its items over, and two processes working on one database at once.
extension TortureSession {
    /// Pause round: start A; after `delay`, SIGSTOP it (Ctrl-Z); wait past its lease; run B on the same database
    /// until it ends or a random kill; SIGCONT A, which must notice every lease it lost (and send nothing for
    /// those items); then kill A after a random delay, or let it end.
    ///
    /// Concurrent round: start A; after half of `delay` start B beside it; kill A at `delay` and B after a random
    /// delay of its own (or let them end).
    mutating func adversityRound(pause: Bool, delay: Double, bound: Double, simulator: Simulator) async throws {
        let baseURL = simulator.baseURL
        let first = try startBatch(baseURL: baseURL)
        let firstRun = runs
        if pause {
            pausesDone += 1
            if await first.wait(timeout: .seconds(delay)) != nil {
                try expectOrdinaryEnd(await first.wait(), of: first)
                say(String(format: "       run %d ended on its own before its pause at %.3f s", firstRun, delay))
                return
            }
            first.signal(SIGSTOP)
            try? await Task.sleep(for: .seconds(options.leaseSeconds + 0.5))
            let second = try startBatch(baseURL: baseURL)
            let secondRun = runs
            let secondDelay = schedule(bound: bound)
            let secondEnd = try await killAfter(second, delay: secondDelay)
            first.signal(SIGCONT)
            let firstEnd = try await killAfter(first, delay: schedule(bound: bound))
            if let status = firstEnd { resumedAfterPause[status, default: 0] += 1 }
            say(String(
                format: "pause  run %d stopped at %.3f s past its lease; run %d beside it %@; run %d continued: %@  elapsed %.1f s",
                firstRun, delay, secondRun, describe(secondEnd, secondDelay), firstRun,
                firstEnd.map { "exit \($0)" } ?? "killed", elapsed))
        } else {
            concurrentDone += 1
            var second: Child?
            if await first.wait(timeout: .seconds(delay / 2)) == nil {
                second = try startBatch(baseURL: baseURL)
            }
            let firstEnd = try await killAfter(first, delay: delay / 2)
            let secondDelay = schedule(bound: bound)
            let secondEnd = try await second.asyncMap { try await killAfter($0, delay: secondDelay) } ?? nil
            say(String(
                format: "beside run %d %@, a second process beside it %@  elapsed %.1f s",
                firstRun, describe(firstEnd, delay), second == nil ? "never started" : describe(secondEnd, secondDelay),
                elapsed))
        }
    }

    /// Kills `child` after `delay` unless it ends first; returns its exit status when it ended on its own.
    private mutating func killAfter(_ child: Child, delay: Double) async throws -> Int32? {
        if let ended = await child.wait(timeout: .seconds(delay)) {
            try expectOrdinaryEnd(ended, of: child)
            return ended.status
        }
        child.signal(SIGKILL)
        _ = await child.wait()
        killsDone += 1
        return nil
    }

    private func describe(_ end: Int32?, _ delay: Double) -> String {
        end.map { "ended with exit \($0)" } ?? String(format: "killed at %.3f s", delay)
    }

    private mutating func schedule(bound: Double) -> Double { roundChoice.unit() * bound }

    /// A run that ended by itself must end as documented: done, failed, in doubt, busy (items held by another
    /// process) or interrupted; never a crash.
    func expectOrdinaryEnd(_ termination: Termination, of child: Child) throws {
        guard [0, 1, 3, 4].contains(termination.status), !termination.signaled else {
            throw TortureError.setup(
                "\(child.name) ended with exit code \(termination.status)\(termination.signaled ? " (signal)" : ""), "
                    + "expected 0, 1, 3 or 4:\n\(child.outputTail())")
        }
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
