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

/// When to kill the next run: uniform in [0, D], with D adapted so that about `targetFinishShare` of the runs end
/// on their own before the kill and the rest are killed in flight.
///
/// D starts at the estimate of a whole batch's duration. A kill grows it a little, a run that ended on its own
/// shrinks it more (and never leaves it above that run's duration): at equilibrium, finished runs are
/// `targetFinishShare` of all. As the batch gets done, runs get shorter and D follows them down, so late kills
/// land in what is left (start-up, lease take-over, reconciling, the final commits).
struct KillSchedule {
    static let targetFinishShare = 0.2
    static let shrink = 0.78
    /// shrink^(-share / (1 - share)): the growth that balances `shrink` at the target share.
    static let grow = pow(shrink, -targetFinishShare / (1 - targetFinishShare))
    static let minimum = 0.03
    static let maximum = 120.0

    private(set) var bound: Double
    private var generator: SplitMix64

    init(initialBound: Double, seed: UInt64) {
        bound = min(Self.maximum, max(Self.minimum, initialBound))
        // Not the simulator's seed itself, so the two random streams are unrelated.
        generator = SplitMix64(seed: seed ^ 0x746F_7274_7572_6521)
    }

    /// The delay in seconds before the next kill.
    mutating func nextDelay() -> Double { generator.unit() * bound }

    mutating func killed() { bound = min(Self.maximum, bound * Self.grow) }

    /// A run ended on its own after `duration` seconds.
    mutating func finished(after duration: Double) {
        bound = max(Self.minimum, min(bound * Self.shrink, duration))
    }
}
