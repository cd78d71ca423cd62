import Foundation
import TelegentSimulator

/// Runs `body` against a fresh simulator on an ephemeral port; the rate limit is off unless the test sets one.
func withSimulator<T: Sendable>(
    _ configuration: SimulatorConfiguration = SimulatorConfiguration(rateLimitPerMinute: nil),
    _ body: @Sendable (RunningSimulator, SimClient) async throws -> T
) async throws -> T {
    try await TelegentSimulator.withRunning(configuration) { simulator in
        try await body(simulator, SimClient(simulator))
    }
}

/// Whether `value` is `prefix` followed by a lowercase UUID (`AID-ceb82085-2725-45a1-bd5e-526ed19799d7`).
func isID(_ value: Any?, _ prefix: String) -> Bool {
    guard let string = value as? String, string.hasPrefix(prefix) else { return false }
    let uuid = string.dropFirst(prefix.count)
    let groups = uuid.split(separator: "-", omittingEmptySubsequences: false).map(\.count)
    return groups == [8, 4, 4, 4, 12] && uuid.allSatisfy { $0 == "-" || ("0"..."9").contains($0) || ("a"..."f").contains($0) }
}

func matches(_ value: Any?, _ pattern: String) -> Bool {
    guard let string = value as? String, let regex = try? Regex(pattern) else { return false }
    return string.wholeMatch(of: regex) != nil
}

let badRequestSentence = "Bad request: one or more required fields are missing or contain an invalid value."
let unauthorizedMessage = "Unauthorized: Bearer token is missing, expired, or invalid. Re-authenticate via POST /v1.0/oauth2/tokens."
let forbiddenMessage = "Forbidden: your token does not have permission to access this resource. Check the ApiEndpoint scope."
let notFoundSentence = "Not found: the requested resource does not exist or belongs to a different account."

/// The quick start's objects, created in the reference dialect.
enum Fixture {
    static func account(_ client: SimClient, name: String = "Acme Wireless") async throws -> String {
        let reply = try await client.created(
            "/v1.0/account/create",
            ["AccountName": name, "AccountAdmin": "admin@acme.example", "BillingAddress": ["Street1": "1 Main St", "City": "Lehi", "State": "UT", "Zip": "84043", "Country": "USA"]]
        )
        return reply.string("AccountId")!
    }

    static func messageRoute(_ client: SimClient, accountId: String?, name: String = "Primary") async throws -> String {
        var body: [String: Any] = ["RouteName": name, "MessageUrl": "https://hooks.acme.example/sms", "MessageUrlMethod": "POST"]
        body["AccountId"] = accountId
        return try await client.created("/v1.0/message/routes", body).string("MessageRouteId")!
    }

    static func voiceRoute(_ client: SimClient, accountId: String?) async throws -> String {
        var body: [String: Any] = ["RouteName": "Voice", "RouteType": "URL", "VoiceUrl": "https://hooks.acme.example/voice", "VoiceUrlMethod": "POST"]
        body["AccountId"] = accountId
        return try await client.created("/v1.0/voice/routes", body).string("CallRouteId")!
    }

    static func provisionBody(messageRouteId: String?, areaCode: String = "801", voiceRouteId: String? = nil) -> [String: Any] {
        var body: [String: Any] = [
            "NumberType": "mvno", "MessageType": "p2p", "MessageEnabled": true, "VoiceEnabled": voiceRouteId != nil,
            "ProductType": voiceRouteId != nil ? "Sms+Data+Voice" : "Sms+Data", "AreaCode": areaCode, "ZipCode": "",
        ]
        body["MessageRouteId"] = messageRouteId
        body["VoiceRouteId"] = voiceRouteId
        return body
    }

    /// Account, message route, one number in 801: the usual start of a test about later steps.
    static func numberOwner(_ client: SimClient) async throws -> (accountId: String, messageRouteId: String, number: String) {
        let accountId = try await account(client)
        let routeId = try await messageRoute(client, accountId: accountId)
        let number = try await client.created("/v1.0/numbers/provision", provisionBody(messageRouteId: routeId)).string("PhoneNumberAssigned")!
        return (accountId, routeId, number)
    }
}
