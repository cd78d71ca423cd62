/// Accounts: `POST /v1.0/account/create` (and the guide's `/accounts/create`), `GET /v1.0/distributor/accounts`,
/// `GET /v1.0/account?AccountId=`.
///
/// Names are not unique: a second create with the same AccountName makes a second account, which is exactly the
/// duplicate a client must avoid after a lost answer.
enum AccountRoutes {
    static func create(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let fields = call.fields
        let isGuide =
            if fields.has("AccountAdmin") { false } else if ["AdminEmail", "AccountType", "BillingEmail"].contains(where: fields.has) {
                true
            } else { call.path.hasSuffix("/accounts/create") }
        var account = Account(id: Identifier.account.make(), owner: call.owner, name: try fields.string("AccountName"), admin: "")
        if isGuide {
            let adminEmail = try fields.email("AdminEmail")
            let billingEmail: String? = fields.has("BillingEmail") ? try fields.email("BillingEmail") : nil
            account.admin = adminEmail
            account.guideFields = .init(accountType: try fields.nonBlankString("AccountType"), billingEmail: billingEmail, adminEmail: adminEmail)
        } else {
            account.admin = try fields.email("AccountAdmin")
            account.billingAddress = try address(fields, "BillingAddress")
            account.mailingAddress = try address(fields, "MailingAddress")
        }
        world.withState { state in
            state.accounts[account.id] = account
            state.distributors[account.owner, default: .init()].accountIds.append(account.id)
            state.ledger.accounts += 1
            state.ledger.accountNames[account.name, default: 0] += 1
        }
        return render(account, subscribers: 0)
    }

    static func list(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let accounts = world.withState { state in
            let distributor = state.distributor(call.owner)
            return distributor.accountIds.compactMap { id in
                state.accounts[id].map { ($0, distributor.subscriberCountByAccount[id] ?? 0) }
            }
        }
        return [
            "TotalAccounts": .int(accounts.count),
            "Accounts": .array(accounts.map { render($0.0, subscribers: $0.1) }),
        ]
    }

    static func get(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let id = try call.query.required("AccountId")
        let (account, subscribers) = try world.withState { state throws(APIError) in
            (try state.account(id, of: call.owner), state.distributor(call.owner).subscriberCountByAccount[id] ?? 0)
        }
        return render(account, subscribers: subscribers)
    }

    private static func address(_ fields: Fields, _ key: String) throws(APIError) -> Address? {
        guard let object = try fields.object(key) else { return nil }
        func part(_ name: String) throws(APIError) -> String? {
            do { return try object.optionalString(name) } catch { throw .badRequest("\(key).\(name) must be a string.") }
        }
        return Address(
            street1: try part("Street1"),
            street2: try part("Street2"),
            city: try part("City"),
            state: try part("State"),
            zip: try part("Zip"),
            country: try part("Country")
        )
    }

    static func render(_ account: Account, subscribers: Int) -> JSON {
        var object = JSONObject([
            ("AccountId", .string(account.id)),
            ("AccountName", .string(account.name)),
            ("AccountAdmin", .string(account.admin)),
            ("TotalSubscribers", .int(subscribers)),
            ("BillingAddress", render(account.billingAddress)),
            ("MailingAddress", render(account.mailingAddress)),
        ])
        if let guide = account.guideFields {
            object.append("AccountType", JSON(guide.accountType))
            object.append("BillingEmail", JSON(guide.billingEmail))
            object.append("AdminEmail", .string(guide.adminEmail))
        }
        return .object(object)
    }

    private static func render(_ address: Address?) -> JSON {
        [
            "Street1": JSON(address?.street1),
            "Street2": JSON(address?.street2),
            "City": JSON(address?.city),
            "State": JSON(address?.state),
            "Zip": JSON(address?.zip),
            "Country": JSON(address?.country),
        ]
    }
}
