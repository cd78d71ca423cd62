/// A provision request after its fields were checked, in either dialect.
struct ProvisionRequest: Sendable {
    var numberType: String
    var messageType: String
    var messageEnabled: Bool
    var voiceEnabled: Bool
    var dataEnabled: Bool?
    var productType: String
    var messageRouteId: String
    var voiceRouteId: String?
    var areaCode: String
    var zipCode: String
    var iccid: String?
    var subscriberId: String?
    var accountId: String?
    /// Guide dialect: the number chosen from availability, instead of an area.
    var phoneNumber: String?
    /// Guide dialect: the client's own OrderId, used instead of a `JNUOID-`.
    var clientOrderId: String?
}

extension WorldState {
    /// Buys a number: checks the request against what the credential owns, takes a number out of the inventory,
    /// and records the number, its order and the subscriber's new number.
    mutating func provision(
        _ request: ProvisionRequest,
        owner: String,
        call: Call,
        settleDelay: Duration?
    ) throws(APIError) -> (number: PurchasedNumber, order: Order) {
        if let clientOrderId = request.clientOrderId, distributor(owner).orders[clientOrderId] != nil {
            throw .rule(409, "Order \(clientOrderId) already exists.")
        }
        let route = try messageRoute(request.messageRouteId, of: owner)
        if let voiceRouteId = request.voiceRouteId { _ = try voiceRoute(voiceRouteId, of: owner) }
        if let accountId = request.accountId { _ = try account(accountId, of: owner) }
        if let subscriberId = request.subscriberId {
            guard subscribers[subscriberId]?.owner == owner else {
                throw .notFound("AssignedSubscriberId \(subscriberId) was not found.")
            }
        }

        let claimed: (number: String, zipCode: String)
        if let phoneNumber = request.phoneNumber {
            guard let taken = inventory.claim(phoneNumber) else {
                throw .rule(
                    409,
                    "Phone number already in use: \(phoneNumber) is not available; check availability again and select a different number."
                )
            }
            claimed = taken
        } else {
            let groups = inventory.matchingGroups(areaCode: request.areaCode, zipCode: request.zipCode)
            guard let taken = inventory.claimRandom(from: groups, using: &generator) else {
                throw .rule(
                    409,
                    "Phone number already in use: no available number matches; check availability again and select a different number."
                )
            }
            claimed = taken
        }

        let order = Order(
            id: request.clientOrderId ?? Identifier.order.make(),
            owner: owner,
            placedAt: call.date,
            settlesAt: settleDelay.map { call.now + $0 },
            number: claimed.number,
            numberId: Identifier.number.make()
        )
        let number = PurchasedNumber(
            number: claimed.number,
            numberId: order.numberId,
            orderId: order.id,
            owner: owner,
            accountId: request.accountId ?? route.accountId,
            numberType: request.numberType,
            messageType: request.messageType,
            messageEnabled: request.messageEnabled,
            voiceEnabled: request.voiceEnabled,
            dataEnabled: request.dataEnabled,
            productType: request.productType,
            messageRouteId: route.id,
            voiceRouteId: request.voiceRouteId,
            subscriberId: request.subscriberId,
            iccid: request.iccid ?? makeICCID(),
            qrCode: makeQRCode(),
            zipCode: claimed.zipCode,
            purchasedAt: call.date
        )
        numbers[number.number] = number
        distributors[owner, default: .init()].numbers.append(number.number)
        distributors[owner, default: .init()].orders[order.id] = order
        if let subscriberId = request.subscriberId {
            subscribers[subscriberId]?.phoneNumbers.append(number.number)
        }
        ledger.purchases += 1
        ledger.purchasesByAccount[number.accountId ?? "-", default: 0] += 1
        return (number, order)
    }

    /// A 20-digit eSIM ICCID (issuer prefix 89 01 260).
    private mutating func makeICCID() -> String {
        "8901260" + (0..<13).map { _ in String(Int.random(in: 0...9, using: &generator)) }.joined()
    }

    /// An LPA activation link rendered as a QR code, in the form the reference's example shows.
    private mutating func makeQRCode() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        let code = (0..<4).map { _ in String((0..<5).map { _ in alphabet.randomElement(using: &generator)! }) }
        return "https://quickchart.io/qr?text=LPA:1$T-MOBILE.IDEMIA.IO$\(code.joined(separator: "-"))&ecLevel=H&format=png"
    }
}
