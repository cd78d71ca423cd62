/// Message routes: `POST /v1.0/message/routes` in the reference's fields (MessageUrl, MessageUrlMethod, ...) or the
/// guide's (RouteUrl, RouteType, RouteEnabled, DeliveryReports), told apart by which keys are present;
/// `GET /v1.0/message/routes?MessageRouteId=` and `GET /v1.0/account/message/routes[?AccountId=]`.
enum MessageRouteRoutes {
    static let methods = ["GET", "POST"]
    static let authenticationTypes = ["None", "Basic", "Bearer"]

    static func create(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let fields = call.fields
        let isGuide = fields.has("MessageUrl") ? false : (fields.has("RouteUrl") ? true : !call.path.hasPrefix("/v1.0/"))
        let name = try fields.string("RouteName")
        var route: MessageRoute
        if isGuide {
            route = MessageRoute(
                id: Identifier.messageRoute.make(), owner: call.owner, name: name,
                url: try fields.httpURL("RouteUrl"),
                method: try fields.oneOf("RouteType", methods),
                isEnabled: try fields.optionalBool("RouteEnabled") ?? true
            )
            let deliveryReports = try fields.optionalBool("DeliveryReports") ?? true
            route.outboundBypass = !deliveryReports  // OutboundBypass means "no delivery-report callbacks"
            route.guideFields = .init(deliveryReports: deliveryReports)
        } else {
            route = MessageRoute(
                id: Identifier.messageRoute.make(), owner: call.owner, name: name,
                url: try fields.httpURL("MessageUrl"),
                method: try fields.oneOf("MessageUrlMethod", methods),
                isEnabled: try fields.optionalBool("MessageRouteEnabled") ?? true
            )
            route.authenticationType = try fields.optionalOneOf("MessageAuthenticationType", authenticationTypes) ?? "None"
            route.username = try fields.nonBlankString("MessageUsername")
            route.hasPassword = try fields.nonBlankString("MessagePasswordToken") != nil
            route.callbackURL = fields.has("CallbackMessageUrl") ? try fields.httpURL("CallbackMessageUrl") : nil
            route.callbackMethod = try fields.optionalOneOf("CallbackMessageUrlMethod", methods)
            route.callbackAuthenticationType = try fields.optionalOneOf("CallbackMessageAuthenticationType", authenticationTypes)
            route.callbackUsername = try fields.nonBlankString("CallbackMessageUsername")
            route.callbackHasPassword = try fields.nonBlankString("CallbackMessagePasswordToken") != nil
            route.inboundBypass = try fields.optionalBool("InboundBypass") ?? false
            route.outboundBypass = try fields.optionalBool("OutboundBypass") ?? false
            route.intelligentRouteEnabled = try fields.optionalBool("IntelligentRouteEnabled") ?? false
        }
        route.accountId = try fields.nonBlankString("AccountId")
        let created = route
        try world.withState { state throws(APIError) in
            if let accountId = created.accountId { _ = try state.account(accountId, of: created.owner) }
            state.messageRoutes[created.id] = created
            state.distributors[created.owner, default: .init()].messageRouteIds.append(created.id)
            state.ledger.messageRoutes += 1
            state.ledger.messageRouteNames["\(created.accountId ?? "-")/\(created.name)", default: 0] += 1
        }
        return render(created)
    }

    static func get(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let id = try call.query.required("MessageRouteId")
        return render(try world.withState { state throws(APIError) in try state.messageRoute(id, of: call.owner) })
    }

    static func list(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let accountId = call.query["AccountId"]
        let routes = try world.withState { state throws(APIError) in
            if let accountId { _ = try state.account(accountId, of: call.owner) }
            return state.distributor(call.owner).messageRouteIds.compactMap { state.messageRoutes[$0] }
                .filter { accountId == nil || $0.accountId == accountId }
        }
        return [
            "AccountID": JSON(accountId),
            "TotalRoutes": .int(routes.count),
            "Results": .array(routes.map(render)),
        ]
    }

    static func render(_ route: MessageRoute) -> JSON {
        var object = JSONObject([
            ("MessageRouteId", .string(route.id)),
            ("AccountId", JSON(route.accountId)),
            ("RouteName", .string(route.name)),
            ("MessageUrl", .string(route.url)),
            ("MessageUrlMethod", .string(route.method)),
            ("MessageRouteEnabled", .bool(route.isEnabled)),
            ("MessageAuthenticationType", .string(route.authenticationType)),
            ("MessageUsername", JSON(route.username)),
            ("MessagePasswordToken", route.hasPassword ? "****" : .null),
            ("CallbackMessageUrl", JSON(route.callbackURL)),
            ("CallbackMessageUrlMethod", JSON(route.callbackMethod)),
            ("CallbackMessageAuthenticationType", JSON(route.callbackAuthenticationType)),
            ("CallbackMessageUsername", JSON(route.callbackUsername)),
            ("CallbackMessagePasswordToken", route.callbackHasPassword ? "****" : .null),
            ("InboundBypass", .bool(route.inboundBypass)),
            ("OutboundBypass", .bool(route.outboundBypass)),
            ("IntelligentRouteEnabled", .bool(route.intelligentRouteEnabled)),
        ])
        if let guide = route.guideFields {
            object.append("RouteUrl", .string(route.url))
            object.append("RouteType", .string(route.method))
            object.append("RouteEnabled", .bool(route.isEnabled))
            object.append("DeliveryReports", .bool(guide.deliveryReports))
        }
        return .object(object)
    }
}

extension MessageRoute {
    init(id: String, owner: String, name: String, url: String, method: String, isEnabled: Bool) {
        self.init(
            id: id, owner: owner, accountId: nil, name: name, url: url, method: method, isEnabled: isEnabled,
            authenticationType: "None", username: nil, hasPassword: false, callbackURL: nil, callbackMethod: nil,
            callbackAuthenticationType: nil, callbackUsername: nil, callbackHasPassword: false, inboundBypass: false,
            outboundBypass: false, intelligentRouteEnabled: false, guideFields: nil
        )
    }
}
