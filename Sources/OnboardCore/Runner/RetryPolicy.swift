import Foundation

/// What an outcome means for the step, decided from the status alone (DESIGN.md section 4, point 3).
public enum OutcomeClass: Sendable, Hashable {
    case success
    /// Worth sending again after a pause: 408, 429, 500, 502, 503, 504, or no answer.
    /// `isAmbiguous`: the effect may have happened (500, 502, 504, a dropped connection), so a create step looks
    /// before it sends again.
    case retryable(isAmbiguous: Bool)
    /// 409 Conflict: on a create step, look whether what we wanted exists already.
    case conflict
    /// 400, 401, 403, 404, 405 and anything else: stop and tell the user.
    case fatal

    public static func classify(status: Int) -> OutcomeClass {
        switch status {
        case 200..<300: return .success
        case 408, 429, 503: return .retryable(isAmbiguous: false)
        case 500, 502, 504: return .retryable(isAmbiguous: true)
        case 409: return .conflict
        default: return .fatal
        }
    }
}

/// Capped exponential backoff with full jitter, honouring `Retry-After`.
public struct RetryPolicy: Sendable, Hashable {
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(baseDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(30)) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The pause before attempt `attempt + 1` (attempt counts from 1): a uniformly random time in
    /// `0 ... min(max, base · 2^(attempt-1))`, but never less than the server's `Retry-After`.
    public func delay(afterAttempt attempt: Int, retryAfter: Double?, random: Double) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(Double(maxDelay.seconds), Double(baseDelay.seconds) * pow(2, Double(exponent)))
        var seconds = ceiling * min(max(random, 0), 1)
        if let retryAfter { seconds = max(seconds, retryAfter) }
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }
}

extension Duration {
    /// Whole and fractional seconds as a Double.
    public var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
