/// Every API endpoint: the reference's `/v1.0` paths, and the quick-start guide's paths onto the same handlers.
enum APIRoutes {
    static func table() -> [String: [String: Endpoint]] {
        var table: [String: [String: Endpoint]] = [:]
        func add(
            _ method: String,
            _ paths: [String],
            access: Endpoint.Access = .bearer,
            _ handle: @escaping @Sendable (SimulatorWorld, Call) throws(APIError) -> JSON
        ) {
            for path in paths { table[path, default: [:]][method] = Endpoint(access: access, handle: handle) }
        }
        add("POST", ["/v1.0/oauth2/tokens"], access: .credentials, TokenRoutes.issueScoped)
        add("POST", ["/v1.1/oauth/token"], access: .credentials, TokenRoutes.issueUnscoped)

        add("POST", ["/v1.0/account/create", "/accounts/create", "/v1.0/accounts/create"], AccountRoutes.create)
        add("GET", ["/v1.0/distributor/accounts"], AccountRoutes.list)
        add("GET", ["/v1.0/account"], AccountRoutes.get)

        add("POST", ["/v1.0/message/routes", "/message/routes"], MessageRouteRoutes.create)
        add("GET", ["/v1.0/message/routes"], MessageRouteRoutes.get)
        add("GET", ["/v1.0/account/message/routes"], MessageRouteRoutes.list)

        add("POST", ["/v1.0/voice/routes", "/voice/routes"], VoiceRouteRoutes.create)
        add("GET", ["/v1.0/voice/routes"], VoiceRouteRoutes.get)
        add("GET", ["/v1.0/account/voice/routes"], VoiceRouteRoutes.list)

        add("POST", ["/v1.0/numbers/availability", "/numbers/availability"], NumberRoutes.availability)
        add("POST", ["/v1.0/numbers/provision", "/numbers/provision"], NumberRoutes.provision)
        add("GET", ["/v1.0/numbers/order"], NumberRoutes.order)
        add("GET", ["/v1.0/numbers/inventory"], NumberRoutes.inventory)

        add("POST", ["/v1.0/subscribers/create", "/subscribers/create"], SubscriberRoutes.create)
        add("GET", ["/v1.0/subscribers/get"], SubscriberRoutes.get)
        add("GET", ["/v1.0/distributor/subscribers"], SubscriberRoutes.list)

        add("POST", ["/v1.0/message/outbound"], MessageRoutes.outbound)
        add("POST", ["/message/send", "/v1.0/message/send"], MessageRoutes.send)
        add("GET", ["/v1.0/message/details"], MessageRoutes.details)
        add("GET", ["/v1.0/message/search"], MessageRoutes.search)
        return table
    }
}
