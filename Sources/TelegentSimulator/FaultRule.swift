import Foundation
import Yams

/// What a fault does to a request it matches.
public enum FaultAction: String, Sendable, Codable, Hashable, CaseIterable {
    /// Answer `status` with its documented error body, without applying the request's effect.
    case status
    /// Apply the effect (run the real handler), then close the connection without sending a byte of the answer:
    /// the client cannot tell whether the request happened.
    case drop
    /// Wait `latencyMs`, then handle the request normally.
    case latency
    /// Apply the effect (run the real handler), then wait `latencyMs` before answering: the window in which a
    /// client that is killed has caused an effect it has not recorded (crash tests use it).
    case stall
}

/// One fault-injection rule: which requests it matches, what it does, and how often.
///
/// Rules are tried in order; the first that matches a request and passes its `probability` roll acts on it, and
/// its `count` (when set) goes down by one; at zero the rule is removed. In a file, or in `POST /_sim/faults`:
///
/// ```yaml
/// rules:
///   - {method: POST, path: /v1.0/numbers/provision, action: drop, count: 1}
///   - {path: "*", action: status, status: 503, retry_after: 2, probability: 0.1}
/// ```
public struct FaultRule: Sendable, Codable, Hashable {
    /// HTTP method to match (case-insensitive); nil matches any.
    public var method: String?
    /// Exact request path (query ignored); `*` matches any API path, and a path ending in `*` matches by prefix.
    public var path: String
    public var action: FaultAction
    /// The status a `.status` rule answers.
    public var status: Int?
    /// Seconds sent as `Retry-After` by a `.status` rule.
    public var retryAfter: Int?
    /// The delay a `.latency` rule adds.
    public var latencyMs: Int?
    /// How many more requests the rule acts on; nil is unlimited.
    public var count: Int?
    /// Chance that a matching request is acted on, drawn from the seeded generator; nil is 1.
    public var probability: Double?

    public init(
        method: String? = nil,
        path: String = "*",
        action: FaultAction,
        status: Int? = nil,
        retryAfter: Int? = nil,
        latencyMs: Int? = nil,
        count: Int? = nil,
        probability: Double? = nil
    ) {
        self.method = method
        self.path = path
        self.action = action
        self.status = status
        self.retryAfter = retryAfter
        self.latencyMs = latencyMs
        self.count = count
        self.probability = probability
    }

    enum CodingKeys: String, CodingKey {
        case method, path, action, status
        case retryAfter = "retry_after"
        case latencyMs = "latency_ms"
        case count, probability
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        method = try container.decodeIfPresent(String.self, forKey: .method)
        path = try container.decodeIfPresent(String.self, forKey: .path) ?? "*"
        action = try container.decode(FaultAction.self, forKey: .action)
        status = try container.decodeIfPresent(Int.self, forKey: .status)
        retryAfter = try container.decodeIfPresent(Int.self, forKey: .retryAfter)
        latencyMs = try container.decodeIfPresent(Int.self, forKey: .latencyMs)
        count = try container.decodeIfPresent(Int.self, forKey: .count)
        probability = try container.decodeIfPresent(Double.self, forKey: .probability)
    }

    /// The first thing wrong with the rule, or nil when it can be used.
    public var problem: String? {
        if path.isEmpty || (path != "*" && !path.hasPrefix("/")) { return "path must be \"*\" or start with \"/\" (got \"\(path)\")" }
        if let count, count < 1 { return "count must be at least 1 (got \(count))" }
        if let probability, !(0...1).contains(probability) { return "probability must be between 0 and 1 (got \(probability))" }
        if let retryAfter, retryAfter < 0 { return "retry_after must not be negative (got \(retryAfter))" }
        switch action {
        case .status:
            guard let status else { return "action \"status\" needs a status" }
            if !(400...599).contains(status) { return "status must be between 400 and 599 (got \(status))" }
        case .latency, .stall:
            guard let latencyMs else { return "action \"\(action.rawValue)\" needs latency_ms" }
            if !(0...3_600_000).contains(latencyMs) { return "latency_ms must be from 0 to 3600000 (got \(latencyMs))" }
        case .drop:
            break
        }
        return nil
    }

    /// Whether the rule applies to a request, before its probability roll.
    func matches(method requestMethod: String, path requestPath: String) -> Bool {
        if let method, method.caseInsensitiveCompare(requestMethod) != .orderedSame { return false }
        if path == "*" { return true }
        if path.hasSuffix("*") { return requestPath.hasPrefix(path.dropLast()) }
        return path == requestPath
    }
}

/// The `{"rules": [...]}` document of a fault file and of `POST /_sim/faults`.
public struct FaultRuleSet: Sendable, Codable, Hashable {
    public var rules: [FaultRule]

    public init(rules: [FaultRule]) {
        self.rules = rules
    }

    /// Reads and validates a fault file, YAML or JSON (JSON is read as YAML).
    ///
    /// - Throws: ``FaultFileError`` naming the file and what is wrong with it.
    public static func load(fromFile path: String) throws(FaultFileError) -> [FaultRule] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw FaultFileError(file: path, problem: "cannot be read (\(error.localizedDescription))")
        }
        do {
            return try parse(text)
        } catch {
            throw FaultFileError(file: path, problem: error.problem)
        }
    }

    /// Parses and validates a `{"rules": [...]}` document.
    static func parse(_ text: String) throws(FaultFileError) -> [FaultRule] {
        let set: FaultRuleSet
        do {
            set = try YAMLDecoder().decode(FaultRuleSet.self, from: text)
        } catch let error as DecodingError {
            throw FaultFileError(file: nil, problem: describe(error))
        } catch {
            throw FaultFileError(file: nil, problem: "is not valid YAML or JSON: \(error)")
        }
        for (index, rule) in set.rules.enumerated() {
            if let problem = rule.problem { throw FaultFileError(file: nil, problem: "rules[\(index)]: \(problem)") }
        }
        return set.rules
    }

    private static func describe(_ error: DecodingError) -> String {
        func location(_ path: [any CodingKey]) -> String {
            let joined = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return joined.hasPrefix(".") ? String(joined.dropFirst()) : (joined.isEmpty ? "the document" : joined)
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.isEmpty ? "the document" : location(context.codingPath)
            return "\(parent) is missing \"\(key.stringValue)\" (expected {\"rules\": [...]})"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let cause = context.underlyingError.map { " (\($0))" } ?? ""
            return "\(location(context.codingPath)): \(context.debugDescription)\(cause)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// A fault file that cannot be used, with the file and the reason.
public struct FaultFileError: Error, Sendable, CustomStringConvertible {
    /// The file, when the rules came from one.
    public var file: String?
    public var problem: String

    public var description: String {
        if let file { return "fault file \(file): \(problem)" }
        return "fault rules: \(problem)"
    }
}
