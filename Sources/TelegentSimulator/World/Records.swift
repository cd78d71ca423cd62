import Foundation

// The things the simulated platform stores. Each belongs to one credential (`owner`, its AccountKey); lookups by
// another credential answer 404, as the real API does for resources "belonging to a different account".

struct Address: Sendable, Equatable {
    var street1: String?
    var street2: String?
    var city: String?
    var state: String?
    var zip: String?
    var country: String?
}

struct Account: Sendable {
    var id: String
    var owner: String
    var name: String
    var admin: String
    var billingAddress: Address?
    var mailingAddress: Address?
    /// Set when the account was created in the quick-start guide's dialect.
    var guideFields: GuideFields?

    struct GuideFields: Sendable {
        var accountType: String?
        var billingEmail: String?
        var adminEmail: String
    }
}

struct MessageRoute: Sendable {
    var id: String
    var owner: String
    var accountId: String?
    var name: String
    var url: String
    var method: String
    var isEnabled: Bool
    var authenticationType: String
    var username: String?
    var hasPassword: Bool
    var callbackURL: String?
    var callbackMethod: String?
    var callbackAuthenticationType: String?
    var callbackUsername: String?
    var callbackHasPassword: Bool
    var inboundBypass: Bool
    var outboundBypass: Bool
    var intelligentRouteEnabled: Bool
    /// Set when the route was created in the quick-start guide's dialect: its keys are echoed back.
    var guideFields: GuideFields?

    struct GuideFields: Sendable {
        var deliveryReports: Bool
    }
}

struct VoiceRoute: Sendable {
    var id: String
    var owner: String
    var accountId: String?
    var name: String
    var type: String
    var isEnabled: Bool
    /// The optional fields the request gave (passwords already masked), echoed in their order.
    var details: [(key: String, value: JSON)]
}

/// A number a credential bought.
struct PurchasedNumber: Sendable {
    var number: String
    var numberId: String
    var orderId: String
    var owner: String
    var accountId: String?
    var numberType: String
    var messageType: String
    var messageEnabled: Bool
    var voiceEnabled: Bool
    var dataEnabled: Bool?
    var productType: String
    var messageRouteId: String
    var voiceRouteId: String?
    var subscriberId: String?
    var iccid: String
    var qrCode: String
    var zipCode: String
    var purchasedAt: Date
}

struct Order: Sendable {
    var id: String
    var owner: String
    var placedAt: Date
    /// When a `Pending` order becomes `Complete`; nil when it was complete at once.
    var settlesAt: ContinuousClock.Instant?
    var number: String
    var numberId: String

    func status(at now: ContinuousClock.Instant) -> String {
        guard let settlesAt, now < settlesAt else { return "Complete" }
        return "Pending"
    }
}

struct Subscriber: Sendable {
    var id: String
    var owner: String
    var name: String
    var email: String
    var role: String
    var accountId: String
    var phoneNumbers: [String]
}

struct Message: Sendable {
    var id: String
    var owner: String
    var from: String
    var to: [String]
    var body: String
    var type: String
    var createdOn: Date
}

/// An issued bearer token.
struct TokenGrant: Sendable {
    var owner: String
    /// The only path the token is good for; nil for the guide dialect's unscoped tokens.
    var scope: String?
    var expiresAt: ContinuousClock.Instant
}
