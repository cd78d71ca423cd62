import OnboardCore

/// Gauges read from the database at scrape time, appended to `/metrics` after the registry's metrics: what the
/// whole database holds, whichever process did the work.
///
/// ```text
/// # HELP onboard_runs Runs in the database by status.
/// # TYPE onboard_runs gauge
/// onboard_runs{status="done"} 97
/// # HELP onboard_steps_in_doubt Steps whose effect is unknown until a lookup or a person settles it.
/// # TYPE onboard_steps_in_doubt gauge
/// onboard_steps_in_doubt 1
/// ```
enum StoreGauges {
    static let runs = "onboard_runs"
    static let stepsInDoubt = "onboard_steps_in_doubt"

    static func text(store: any CheckpointStore) async throws -> String {
        let counts = try await store.runCounts(matching: RunFilter())
        var lines = [
            "# HELP \(runs) Runs in the database by status.", "# TYPE \(runs) gauge",
        ]
        for status in RunStatus.allCases {
            lines.append("\(runs){status=\"\(status.rawValue)\"} \(counts[status] ?? 0)")
        }
        lines += [
            "# HELP \(stepsInDoubt) Steps whose effect is unknown until a lookup or a person settles it.",
            "# TYPE \(stepsInDoubt) gauge",
            "\(stepsInDoubt) \(try await inDoubtSteps(store))",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// One query on a store that can count; otherwise the steps of the runs that can hold one (in doubt, or
    /// running again and reconciling).
    static func inDoubtSteps(_ store: any CheckpointStore) async throws -> Int {
        if let browsing = store as? any CheckpointBrowsing {
            return try await browsing.stepCount(status: .inDoubt, matching: RunFilter())
        }
        var count = 0
        for status in [RunStatus.inDoubt, .running] {
            for run in try await store.runs(matching: RunFilter(status: status)) {
                count += try await store.steps(runID: run.id).filter { $0.status == .inDoubt }.count
            }
        }
        return count
    }
}
