import Foundation

/// SplitMix64: a small seeded generator, so a kill sequence can be replayed with the same `--seed`.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// When to kill the next run: uniform in [0, D], with D adapted so that the kills are spread over the work and
/// most runs die in flight.
///
/// D starts at the estimate of a whole batch's duration. While the batch has work left, each kill's progress
/// (the share of the batch's effects the simulator's ledger gained during the run) is compared with an even
/// share of what is left per kill still to come (plus the final run): D is scaled by target / progress, within
/// [0.5, 1.5] (1.5 when the run made no progress, killed in start-up). So kills keep landing while there is
/// work left, instead of the first few runs doing everything and the rest being killed in no-op runs. Once the
/// batch is done, a kill grows D a little (1.057×) and a run that ended on its own shrinks it (0.78×, and never
/// above that run's duration), so about one run in five ends on its own and the last kills land in start-up,
/// lease take-over and the final commits.
struct KillSchedule {
    static let minimum = 0.03
    static let maximum = 120.0
    static let finishedShrink = 0.78
    /// finishedShrink^(-0.2 / 0.8): balances `finishedShrink` when one run in five ends on its own.
    static let idleGrow = pow(finishedShrink, -0.25)

    private(set) var bound: Double
    private var generator: SplitMix64

    init(initialBound: Double, seed: UInt64) {
        bound = min(Self.maximum, max(Self.minimum, initialBound))
        // Not the simulator's seed itself, so the two random streams are unrelated.
        generator = SplitMix64(seed: seed ^ 0x746F_7274_7572_6521)
    }

    /// The delay in seconds before the next kill.
    mutating func nextDelay() -> Double { generator.unit() * bound }

    /// A run was killed. `before` and `after` are the batch's share done (0...1) around it; `killsLeft` counts
    /// the kills still to come after this one.
    mutating func killed(before: Double, after: Double, killsLeft: Int) {
        let factor: Double
        if after >= 1 {
            factor = Self.idleGrow
        } else {
            let target = (1 - before) / Double(killsLeft + 2)
            let progress = after - before
            factor = progress <= 0 ? 1.5 : min(1.5, max(0.5, target / progress))
        }
        bound = min(Self.maximum, max(Self.minimum, bound * factor))
    }

    /// A run ended on its own after `duration` seconds.
    mutating func finished(after duration: Double) {
        bound = max(Self.minimum, min(bound * Self.finishedShrink, duration))
    }
}
