/// Subscribers: `POST /v1.0/subscribers/create` (also `/subscribers/create`), `GET /v1.0/subscribers/get` and
/// `GET /v1.0/distributor/subscribers`.
///
/// E-mail addresses are unique across the whole platform, every credential together, ignoring case: the second
/// use is a 409 "Email already exists". The password is checked and forgotten, never echoed.
enum SubscriberRoutes {
    static let roles = ["Subscriber", "Manager", "Account Admin"]

    static func create(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let fields = call.fields
        let name = try fields.string("Name")
        let email = try fields.email("Email")
        _ = try fields.string("Password")
        let accountId = try fields.string("AccountId").trimmed
        guard let numberValues = try fields.array("PhoneNumbers") else {
            throw .badRequest("PhoneNumbers is required (an array, which may be empty).")
        }
        var phoneNumbers: [String] = []
        for value in numberValues {
            guard let number = value.stringValue?.trimmed, number.isE164 else {
                throw .badRequest("PhoneNumbers must hold E.164 phone numbers such as +18015551234 (got \(value.serialized)).")
            }
            if !phoneNumbers.contains(number) { phoneNumbers.append(number) }
        }
        let role = try fields.oneOf("Role", roles)
        let owner = call.owner
        let (subscriber, account) = try world.withState { state throws(APIError) in
            let account = try state.account(accountId, of: owner)
            for number in phoneNumbers where state.numbers[number]?.owner != owner {
                throw .rule(400, "Phone number does not belong to account: \(number) is not in your inventory.")
            }
            let key = email.lowercased()
            guard !state.subscriberEmails.contains(key) else { throw .rule(409, "Email already exists") }
            let subscriber = Subscriber(
                id: Identifier.subscriber.make(), owner: owner, name: name, email: email, role: role,
                accountId: accountId, phoneNumbers: phoneNumbers
            )
            for number in phoneNumbers {
                if let previous = state.numbers[number]?.subscriberId {
                    state.subscribers[previous]?.phoneNumbers.removeAll { $0 == number }
                }
                state.numbers[number]?.subscriberId = subscriber.id
            }
            state.subscribers[subscriber.id] = subscriber
            state.subscriberEmails.insert(key)
            state.distributors[owner, default: .init()].subscriberIds.append(subscriber.id)
            state.distributors[owner, default: .init()].subscriberCountByAccount[accountId, default: 0] += 1
            state.ledger.subscribers += 1
            state.ledger.subscriberEmails[key, default: 0] += 1
            return (subscriber, account)
        }
        return render(subscriber, account: account)
    }

    static func get(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let id = try call.query.required("SubscriberId")
        let (subscriber, account) = try world.withState { state throws(APIError) in
            let subscriber = try state.subscriber(id, of: call.owner)
            return (subscriber, state.accounts[subscriber.accountId])
        }
        return render(subscriber, account: account)
    }

    static func list(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let page = try call.query.int("PageNumber", default: 1, in: 1...Int.max)
        let size = try call.query.int("TotalPerPage", default: 10, in: 1...1000)
        let (total, entries) = world.withState { state in
            let ids = state.distributor(call.owner).subscriberIds
            let entries = ids.page(page, size: size).compactMap { id in
                state.subscribers[id].map { ($0, state.accounts[$0.accountId]) }
            }
            return (ids.count, entries)
        }
        return [
            "PageNumber": .int(page),
            "TotalPerPage": .int(size),
            "TotalSubscribers": .int(total),
            "Subscribers": .array(
                entries.map { subscriber, account in
                    guard case .object(var object) = render(subscriber, account: account) else { return .null }
                    object.append("Subscriptions", [])
                    return .object(object)
                }
            ),
        ]
    }

    static func render(_ subscriber: Subscriber, account: Account?) -> JSON {
        [
            "SubscriberId": .string(subscriber.id),
            "Name": .string(subscriber.name),
            "Email": .string(subscriber.email),
            "PhoneNumbers": .array(subscriber.phoneNumbers.map(JSON.string)),
            "Role": .string(subscriber.role),
            "Account": ["AccountId": .string(subscriber.accountId), "CompanyName": JSON(account?.name)],
        ]
    }
}
