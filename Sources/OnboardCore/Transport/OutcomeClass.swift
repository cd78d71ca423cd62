import Foundation

/// What an answer means for the step that got it: the one place where HTTP statuses are classified (DESIGN.md
/// section 4, point 3). `StepReaction` decides from it, and `AttemptRecord` reads it back from stored attempts.
public enum OutcomeClass: Sendable, Hashable {
    case success
    /// Worth sending again after a pause: 408, 429, 500, 502, 503, 504, or no answer.
    /// `isAmbiguous`: the effect may have happened (500, 502, 504, a dropped connection), so a create step looks
    /// before it sends again.
    case retryable(isAmbiguous: Bool)
    /// No connection could be made (the name did not resolve, the connection was refused or timed out, TLS failed):
    /// nothing was sent. Retried a few times only (`unreachableTries`): it is usually a wrong `--base-url` or the
    /// API being down, and a batch stops early when every item meets it.
    case unreachable
    /// 401, or a 403 naming the token's scope: the transport dropped its token; send again at once with a new one.
    case reauthenticate
    /// 409 Conflict: on a create step, look whether what we wanted exists already.
    case conflict
    /// 400, 403, 404, 405 and anything else: stop and tell the user.
    case fatal

    public static func classify(status: Int, tokenRejected: Bool = false) -> OutcomeClass {
        if tokenRejected { return .reauthenticate }
        switch status {
        case 200..<300: return .success
        case 408, 429, 503: return .retryable(isAmbiguous: false)
        case 500, 502, 504: return .retryable(isAmbiguous: true)
        case 409: return .conflict
        default: return .fatal
        }
    }

    /// The class of an answer, token rejections included.
    public static func classify(_ response: APIResponse) -> OutcomeClass {
        classify(status: response.status, tokenRejected: response.tokenRejected)
    }

    /// An answer of this class may hide an effect: a success, a 500/502/504 (the server may have applied the
    /// request before failing), or a 409 (it may exist because an earlier request of ours created it).
    public var mayHaveTakenEffect: Bool {
        switch self {
        case .success, .conflict, .retryable(isAmbiguous: true): return true
        case .retryable(isAmbiguous: false), .unreachable, .reauthenticate, .fatal: return false
        }
    }

    /// How many tries a step gets when the API cannot be reached at all.
    public static let unreachableTries = 4

    /// 502 and 504 come from a gateway that stopped waiting: the API behind it may still be applying the request.
    public static func upstreamMayStillWork(status: Int) -> Bool { status == 502 || status == 504 }
}
