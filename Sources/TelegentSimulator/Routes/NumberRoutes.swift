/// Numbers: availability, provision (the purchase) in both dialects, order status, and the credential's inventory.
enum NumberRoutes {
    static let productTypes = ["Sms-Only", "Data-Only", "Sms+Data", "Sms+Data+Voice"]
    static let availabilityPageSize = 10_000

    /// `POST /v1.0/numbers/availability`: how many unclaimed numbers match, and in which (NGP, AreaCode, Zipcode)
    /// groups. AreaCode is tried first, then ZipCode; both blank lists every area, in a random order.
    static func availability(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let fields = call.fields
        let numberType = try fields.oneOf("NumberType", ["mobile", "voip"])
        _ = try fields.optionalOneOf("MessageType", ["a2p", "p2p"])
        let messageEnabled = try fields.bool("MessageEnabled")
        let voiceEnabled = try fields.bool("VoiceEnabled")
        let page = try fields.optionalInt("PageNumber") ?? 1
        guard page >= 1 else { throw .badRequest("PageNumber must be 1 or more.") }
        let areaCode = try fields.digits("AreaCode", length: 3)
        let zipCode = try fields.digits("ZipCode", length: 5)
        let (total, groups) = world.withState { state in
            var indices = state.inventory.matchingGroups(areaCode: areaCode, zipCode: zipCode)
            if areaCode.isEmpty && zipCode.isEmpty { indices.shuffle(using: &state.generator) }
            return (state.inventory.count(of: indices), indices.map { state.inventory.groups[$0] })
        }
        let pageGroups = groups.page(page, size: availabilityPageSize)
        let requestId = "T-" + String(Int.random(in: 10_000...99_999))
        return [
            "RequestId": .string(requestId),
            "RequestDate": .string(TelegentDate(call.date).iso8601Z),
            "NumberType": .string(numberType),
            "VoiceEnabled": .bool(voiceEnabled),
            "MessageEnabled": .bool(messageEnabled),
            "AreaCode": .string(areaCode),
            "ZipCode": .string(zipCode),
            "PageNumber": .int(page),
            "ResultsTotal": .int(total),
            "AvailableNumberAreas": .array(
                pageGroups.map { ["NGP": .string($0.ngp), "AreaCode": .int(Int($0.areaCode) ?? 0), "Zipcode": .string($0.zipCode)] }
            ),
        ]
    }

    /// `POST /v1.0/numbers/provision`. The guide's body (a client `OrderId`, maybe a `PhoneNumber`) is told apart
    /// from the reference's by those keys.
    static func provision(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let fields = call.fields
        let isGuide =
            fields.has("OrderId") || fields.has("PhoneNumber") ? true : (fields.has("ProductType") ? false : !call.path.hasPrefix("/v1.0/"))
        let request = try provisionRequest(fields, isGuide: isGuide)
        let settleDelay = world.configuration.orderSettleDelay
        let (number, order) = try world.withState { state throws(APIError) in
            try state.provision(request, owner: call.owner, call: call, settleDelay: settleDelay)
        }
        var object = JSONObject([
            ("OrderDate", .string(TelegentDate(order.placedAt).iso8601Offset)),
            ("OrderId", .string(order.id)),
            ("OrderStatus", .string(order.status(at: call.now))),
            ("PhoneNumberAssigned", .string(number.number)),
            ("PhoneNumberId", .string(number.numberId)),
            ("QRCode", .string(number.qrCode)),
            ("ZipCode", .string(number.zipCode)),
            ("ICCID", .string(number.iccid)),
            ("ErrorMessage", .null),
            ("SubscriberId", JSON(number.subscriberId)),
        ])
        if isGuide {
            object.append("PhoneNumber", .string(number.number))
            object.append("TNID", .string(number.numberId))
        }
        return .object(object)
    }

    private static func provisionRequest(_ fields: Fields, isGuide: Bool) throws(APIError) -> ProvisionRequest {
        var clientOrderId: String?
        var phoneNumber: String?
        if isGuide {
            clientOrderId = try fields.string("OrderId").trimmed
            if try fields.nonBlankString("PhoneNumber") != nil { phoneNumber = try fields.e164("PhoneNumber") }
        }
        let numberType = try fields.oneOf("NumberType", ["mvno", "iot"])
        let messageType = try fields.oneOf("MessageType", ["a2p", "p2p"])
        let messageEnabled = try fields.bool("MessageEnabled")
        let voiceEnabled = try fields.bool("VoiceEnabled")
        let productType: String
        if isGuide {
            productType = try fields.optionalOneOf("ProductType", productTypes) ?? (voiceEnabled ? "Sms+Data+Voice" : "Sms+Data")
        } else {
            productType = try fields.oneOf("ProductType", productTypes)
        }
        let dataEnabled = try fields.optionalBool("DataEnabled")
        if numberType == "iot" && messageType == "a2p" {
            throw .rule(400, "Invalid NumberType and MessageType combination. IOT numbers can only be provisioned with p2p MessageType.")
        }
        let areaCode = try fields.digits("AreaCode", length: 3)
        let zipCode = try fields.digits("ZipCode", length: 5)
        guard let messageRouteId = try fields.nonBlankString("MessageRouteId") else {
            throw .rule(400, "MessageRouteId is required: create a message route before provisioning numbers.")
        }
        let voiceRouteId = try fields.nonBlankString("VoiceRouteId")
        if voiceEnabled && voiceRouteId == nil {
            throw .rule(400, "VoiceRouteId is required when VoiceEnabled is true.")
        }
        return ProvisionRequest(
            numberType: numberType,
            messageType: messageType,
            messageEnabled: messageEnabled,
            voiceEnabled: voiceEnabled,
            dataEnabled: dataEnabled,
            productType: productType,
            messageRouteId: messageRouteId.trimmed,
            voiceRouteId: voiceRouteId?.trimmed,
            areaCode: areaCode,
            zipCode: zipCode,
            iccid: try fields.nonBlankString("ICCID")?.trimmed,
            subscriberId: try fields.nonBlankString("AssignedSubscriberId")?.trimmed,
            accountId: try fields.nonBlankString("AccountId")?.trimmed,
            phoneNumber: phoneNumber,
            clientOrderId: clientOrderId
        )
    }

    /// `GET /v1.0/numbers/order?OrderId=`: `Pending` until the configured settle delay has passed.
    static func order(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let id = try call.query.required("OrderId")
        guard let order = world.withState({ $0.distributor(call.owner).orders[id] }) else {
            throw .notFound("OrderId \(id) was not found.")
        }
        return [
            "OrderDate": .string(TelegentDate(order.placedAt).iso8601Offset),
            "OrderId": .string(order.id),
            "OrderStatus": .string(order.status(at: call.now)),
            "OrderStatusMessage": .null,
            "OrderType": "Provision",
            "PhoneNumbersOrdered": [["Number": .string(order.number)]],
            "PhoneNumberId": .string(order.numberId),
        ]
    }

    /// `GET /v1.0/numbers/inventory`: the credential's bought numbers in purchase order, paged.
    static func inventory(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let page = try call.query.int("PageNumber", default: 1, in: 1...Int.max)
        let size = try call.query.int("TotalNumbersRequested", default: 100, in: 1...1000)
        let filter = call.query["Filter"] ?? "All"
        guard let filterIndex = ["all", "active", "inactive"].firstIndex(of: filter.lowercased()) else {
            throw .badRequest("Filter must be one of: All, Active, Inactive.")
        }
        let accountId = call.query["AccountId"]
        let (total, numbers) = try world.withState { state throws(APIError) in
            if let accountId { _ = try state.account(accountId, of: call.owner) }
            // Every number the simulator sells stays Active, so "Inactive" is always empty.
            var owned = filterIndex == 2 ? [] : state.distributor(call.owner).numbers
            if let accountId { owned = owned.filter { state.numbers[$0]?.accountId == accountId } }
            return (owned.count, owned.page(page, size: size).compactMap { state.numbers[$0] })
        }
        return [
            "AccountId": JSON(accountId),
            "TotalResults": .int(total),
            "PageNumber": .int(page),
            "Filter": .string(filter),
            "PhoneNumbers": .array(numbers.map(render)),
        ]
    }

    static func render(_ number: PurchasedNumber) -> JSON {
        [
            "Number": .string(number.number),
            "Tnid": .string(number.numberId),
            "PhoneNumberId": .string(number.numberId),
            "OrderId": .string(number.orderId),
            "NumberType": "mobile",
            "MessageEnabled": .bool(number.messageEnabled),
            "MessageType": .string(number.messageType),
            "Classification": .string(number.numberType.uppercased()),
            "VoiceEnabled": .bool(number.voiceEnabled),
            "MessageRouteId": .string(number.messageRouteId),
            "VoiceRouteId": JSON(number.voiceRouteId),
            "Status": "Active",
            "OriginalDatePurchased": .string(TelegentDate(number.purchasedAt).usDate),
            "AssignedSubscriberId": JSON(number.subscriberId),
            "ProductType": .string(number.productType),
            "Iccid": .string(number.iccid),
            "QrActivationLink": .string(number.qrCode),
        ]
    }
}
