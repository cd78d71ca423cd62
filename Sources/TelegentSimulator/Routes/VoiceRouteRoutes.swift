/// Voice routes: `POST /v1.0/voice/routes` (also the guide's `/voice/routes`), `GET /v1.0/voice/routes?CallRouteID=`
/// and `GET /v1.0/account/voice/routes[?AccountId=]`.
///
/// RouteType decides what else is needed: `URL` an http(s) VoiceUrl; `Trunk` a TrunkIp1, a TrunkUri1 or a `sip:`
/// VoiceUrl (the guide's form); `Forward` nothing more.
enum VoiceRouteRoutes {
    static let routeTypes = ["Trunk", "URL", "Forward"]
    static let transports = ["UDP", "TCP", "TLS"]

    /// Optional fields of the reference page, echoed back when given (passwords masked).
    static let optionalFields = [
        "VoiceUrl", "VoiceUrlMethod", "VoiceAuthenticationType", "VoiceUsername", "VoicePasswordToken",
        "CallbackVoiceUrl", "CallbackVoiceUrlMethod",
        "TrunkIp1", "TrunkPort1", "TrunkTransport1", "TrunkUri1", "TrunkEnabled1", "Trunk1Priortiy", "Trunk1Weight",
        "TrunkIp2", "TrunkPort2", "TrunkTransport2", "TrunkUri2", "TrunkEnabled2", "Trunk2Priortiy", "Trunk2Weight",
        "HeaderManipulation", "EnableSipRefer", "TransferCallerId", "SymmetricRtp", "EnableTrpSecureTrunk",
        "EnablePstnTransfer", "IpWhitelist", "CnamLookup", "TerminationUriSubdomain", "EnableCallStreaming", "WssUri",
        "IntelligentRouteEnabled",
    ]

    static func create(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let fields = call.fields
        let name = try fields.string("RouteName")
        let type = try fields.oneOf("RouteType", routeTypes)
        let voiceURL = try fields.nonBlankString("VoiceUrl")?.trimmed
        switch type {
        case "URL":
            _ = try fields.httpURL("VoiceUrl")
        case "Trunk":
            let trunkIP = try fields.nonBlankString("TrunkIp1")
            let trunkURI = try fields.nonBlankString("TrunkUri1")
            guard trunkIP != nil || trunkURI != nil || voiceURL?.lowercased().hasPrefix("sip:") == true else {
                throw .badRequest("A Trunk route needs TrunkIp1, TrunkUri1 or a sip: VoiceUrl.")
            }
        default:
            break
        }
        _ = try fields.optionalOneOf("VoiceUrlMethod", MessageRouteRoutes.methods)
        _ = try fields.optionalOneOf("VoiceAuthenticationType", MessageRouteRoutes.authenticationTypes)
        _ = try fields.optionalOneOf("TrunkTransport1", transports)
        _ = try fields.optionalOneOf("TrunkTransport2", transports)
        let details = optionalFields.compactMap { key -> (key: String, value: JSON)? in
            guard let value = fields.value(key) else { return nil }
            return (key, key.hasSuffix("PasswordToken") ? "****" : value)
        }
        let route = VoiceRoute(
            id: Identifier.voiceRoute.make(),
            owner: call.owner,
            accountId: try fields.nonBlankString("AccountId"),
            name: name,
            type: type,
            isEnabled: try fields.optionalBool("RouteEnabled") ?? true,
            details: details
        )
        try world.withState { state throws(APIError) in
            if let accountId = route.accountId { _ = try state.account(accountId, of: route.owner) }
            state.voiceRoutes[route.id] = route
            state.distributors[route.owner, default: .init()].voiceRouteIds.append(route.id)
            state.ledger.voiceRoutes += 1
            state.ledger.voiceRouteNames["\(route.accountId ?? "-")/\(route.name)", default: 0] += 1
        }
        return render(route)
    }

    static func get(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let id = try call.query.required("CallRouteID")
        return render(try world.withState { state throws(APIError) in try state.voiceRoute(id, of: call.owner) })
    }

    static func list(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let accountId = call.query["AccountId"]
        let routes = try world.withState { state throws(APIError) in
            if let accountId { _ = try state.account(accountId, of: call.owner) }
            return state.distributor(call.owner).voiceRouteIds.compactMap { state.voiceRoutes[$0] }
                .filter { accountId == nil || $0.accountId == accountId }
        }
        return [
            "AccountId": JSON(accountId),
            "TotalRoutes": .int(routes.count),
            "Results": .array(routes.map(render)),
        ]
    }

    static func render(_ route: VoiceRoute) -> JSON {
        var object = JSONObject([
            ("CallRouteId", .string(route.id)),
            ("AccountId", JSON(route.accountId)),
            ("RouteName", .string(route.name)),
            ("RouteType", .string(route.type)),
        ])
        object.pairs.append(contentsOf: route.details)
        object.append("RouteEnabled", .bool(route.isEnabled))
        object.append("CallRouteStatus", "Active")
        return .object(object)
    }
}
