import Foundation

/// Capped exponential backoff with full jitter, honouring `Retry-After`, within a budget per step: a step is
/// sent at most its workflow's `max_attempts` times (8 by default) and retried for at most `stepBudget` (10
/// minutes by default) from its first send in an execution; then it fails with the last answer, and a resume
/// starts a new budget.
public struct RetryPolicy: Sendable, Hashable {
    public var baseDelay: Duration
    public var maxDelay: Duration
    public var stepBudget: Duration

    public init(baseDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(30), stepBudget: Duration = .seconds(600)) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.stepBudget = stepBudget
    }

    /// The pause before attempt `attempt + 1` (attempt counts from 1): a uniformly random time in
    /// `0 ... min(max, base · 2^(attempt-1))`, but never less than the server's `Retry-After`.
    public func delay(afterAttempt attempt: Int, retryAfter: Double?, random: Double) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(Double(maxDelay.seconds), Double(baseDelay.seconds) * pow(2, Double(exponent)))
        var seconds = ceiling * min(max(random, 0), 1)
        if let retryAfter { seconds = max(seconds, retryAfter) }
        return .seconds(clamping: seconds, maximum: max(maxDelay.seconds, RetryAfter.maximum))
    }
}

extension Duration {
    /// Whole and fractional seconds as a Double.
    public var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
