import Foundation

/// A workflow, decoded from `workflows/*.yaml`: the API calls of an onboarding, as data.
///
/// The API's paths and field names live in the YAML file, never in Swift, so a documentation change is a YAML
/// change. `WorkflowLoader` builds this from a file and refuses a definition with any error, naming the file,
/// line and field.
public struct WorkflowDefinition: Sendable {
    public var name: String
    public var description: String
    public var auth: AuthSpec
    public var inputs: [InputField]
    public var rules: [Rule]
    public var steps: [StepDefinition]
    /// SHA-256 of the definition's canonical JSON form: pinned to every run.
    public var digest: String
    /// Per-step SHA-256, to say which steps changed when the whole digest differs.
    public var stepDigests: [String: String]
    /// Where it was loaded from.
    public var file: String

    public func step(_ id: String) -> StepDefinition? { steps.first { $0.id == id } }
    public func input(_ path: String) -> InputField? { inputs.first { $0.path == path } }
}

/// How to get a bearer token.
public struct AuthSpec: Sendable {
    public var request: RequestTemplate
    /// Response field holding the token.
    public var tokenField: String
    /// Response field holding the expiry, if the API sends one.
    public var expiryField: String?
    /// `DateFormatter` pattern of the expiry, read as UTC (`MM/dd/yyyy hh:mm:ss a`).
    public var expiryFormat: String
    public var scope: TokenScope
}

public enum TokenScope: String, Sendable, CaseIterable {
    /// A token is valid for one endpoint path only (`ApiEndpoint`): one token per path.
    case path
    /// One token for every call.
    case global
}

/// One field of the input a workflow takes.
public struct InputField: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case string
        case bool
        case int
    }

    public enum Format: String, Sendable, CaseIterable {
        case email
        /// `+` and 8 to 15 digits, first digit not 0.
        case e164
        /// Empty or 3 digits.
        case areaCode = "area_code"
        /// Empty or 5 digits (US).
        case zipCode = "zip_code"
        /// An http(s) URL.
        case url
    }

    /// Dotted path in the input file (`subscriber.email`).
    public var path: String
    public var kind: Kind
    public var isRequired: Bool
    public var defaultValue: JSONValue?
    public var allowed: [String]?
    public var format: Format?
    /// Never stored, logged or printed: the value is replaced by its `${env.NAME}` reference or `<redacted>`.
    public var isSecret: Bool
    public var description: String?
    /// `max_length`: the most characters the value may have; nil for the default of its format (`maxLength`).
    public var declaredMaxLength: Int? = nil
    /// `multiline`: whether line breaks and tabs are allowed; nil for the default (`allowsLineBreaks`).
    public var declaredMultiline: Bool? = nil
}

/// A check on the inputs as a whole (`iot` numbers cannot be `a2p`).
public struct Rule: Sendable {
    public var check: Expression
    public var field: String
    public var message: String
}

/// What running a step does to the world.
public enum StepEffect: String, Sendable, Codable, CaseIterable {
    /// Reads only: safe to send again.
    case read
    /// Creates something (account, route, subscriber, message): never sent again blindly.
    case create
    /// Creates something that costs money.
    case purchase

    public var createsSomething: Bool { self != .read }
}

/// Which item of a batch a step belongs to.
public enum StepLevel: String, Sendable, CaseIterable {
    /// Once per account (account, routes).
    case account
    /// Once per subscriber, reusing its account's outputs (availability, provision, subscriber, message).
    case subscriber
}

/// Whether a failed request is retried.
public enum RetryClass: String, Sendable, CaseIterable {
    /// 408, 429, 500, 502, 503, 504 and transport errors retry with capped exponential backoff.
    case standard
    /// Never retried automatically.
    case none
}

public struct RequestTemplate: Sendable {
    public var method: String
    public var path: String
    /// Query parameters in order; values are templates.
    public var query: [(name: String, value: Template)]
    public var body: Template?
}

public struct StepDefinition: Sendable {
    public var id: String
    public var title: String
    public var level: StepLevel
    public var effect: StepEffect
    public var when: Expression?
    public var retry: RetryClass
    public var maxAttempts: Int
    public var request: RequestTemplate
    /// Output name → where it comes from in the answer (a template over `response`).
    public var outputs: [(name: String, value: Template)]
    /// Outputs no two runs may hold (a phone number).
    public var claims: [String]
    /// Checks on a successful answer, failing the step with the message when false.
    public var requirements: [Requirement]
    public var poll: PollSpec?
    public var reconcile: ReconcileSpec?
    /// What to tell the user when the step fails with a given status (`409`) or `default`.
    public var hints: [String: String]

    public var outputNames: [String] { outputs.map(\.name) }
}

public struct Requirement: Sendable {
    public var check: Expression
    public var message: String
}

/// Follow-up reads until an asynchronous effect settles (`OrderStatus` until `Complete`).
public struct PollSpec: Sendable {
    public var request: RequestTemplate
    public var until: Expression
    public var failIf: Expression?
    public var outputs: [(name: String, value: Template)]
    public var interval: Duration
    public var timeout: Duration
}

/// The lookup that tells whether a create step's effect already happened, and what it created.
public struct ReconcileSpec: Sendable {
    public var request: RequestTemplate
    /// Where the list is in the answer (`Accounts`, `Results`); empty for a top-level array.
    public var items: String
    /// Item field (dotted path) → the value it must have.
    public var match: [(field: String, value: Template)]
    /// Item field → a prefix it should start with: among several matching items, one with these is adopted first
    /// (an in-doubt purchase takes a number of the area code it asked for).
    public var preferPrefix: [(field: String, value: Template)]
    /// Output name → template over `item` (the matched list element) and `response`.
    public var outputs: [(name: String, value: Template)]
    public var pages: PageSpec?
    /// Lookups sharing this key are made one at a time (a batch account's purchases on one route).
    public var serializeKey: Template?
}

public struct PageSpec: Sendable {
    /// Query parameter carrying the page number (1-based).
    public var param: String
    /// Query parameter carrying the page size, and the size asked for.
    public var sizeParam: String?
    public var size: Int
    /// Answer field with the total count, to know when to stop.
    public var total: String?
}
