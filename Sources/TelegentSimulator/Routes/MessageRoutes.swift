/// Messages: `POST /v1.0/message/outbound` {To: [{Number}], From, Body}, the guide's `POST /message/send`
/// {From, To, Message}, `GET /v1.0/message/details?MessageId=` and `GET /v1.0/message/search?phoneNumber=`.
enum MessageRoutes {
    static let cost = 0.0045

    static func outbound(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let fields = call.fields
        guard let recipients = try fields.array("To"), !recipients.isEmpty else {
            throw .badRequest("To is required: a non-empty array of {\"Number\": \"+1...\"}.")
        }
        var to: [String] = []
        for recipient in recipients {
            guard let number = recipient.objectValue?["Number"]?.stringValue?.trimmed, number.isE164 else {
                throw .badRequest("To must hold objects {\"Number\": \"+1...\"} with E.164 numbers (got \(recipient.serialized)).")
            }
            to.append(number)
        }
        let from = try fields.e164("From")
        let body = try fields.string("Body")
        return render(try send(world, call, from: from, to: to, body: body))
    }

    static func send(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let fields = call.fields
        let from = try fields.e164("From")
        let to = try fields.e164("To")
        let text = try fields.string("Message")
        guard case .object(var object) = render(try send(world, call, from: from, to: [to], body: text)) else { return .null }
        object.append("Message", .string(text))
        return .object(object)
    }

    private static func send(_ world: SimulatorWorld, _ call: Call, from: String, to: [String], body: String) throws(APIError) -> Message {
        let owner = call.owner
        return try world.withState { state throws(APIError) in
            guard let number = state.numbers[from], number.owner == owner, number.messageEnabled else {
                throw .badRequest("From \(from) is not a messaging-enabled number in your inventory.")
            }
            let message = Message(
                id: Identifier.message.make(), owner: owner, from: from, to: to, body: body,
                type: number.messageType, createdOn: call.date
            )
            state.messages[message.id] = message
            state.distributors[owner, default: .init()].messageIds.append(message.id)
            for party in Set([from] + to) {
                state.distributors[owner, default: .init()].messageIdsByNumber[party, default: []].append(message.id)
            }
            state.ledger.messages += 1
            for recipient in to { state.ledger.messagesByRoute["\(from)->\(recipient)", default: 0] += 1 }
            return message
        }
    }

    static func details(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let id = try call.query.required("MessageId")
        guard let message = world.withState({ state in state.messages[id].flatMap { $0.owner == call.owner ? $0 : nil } }) else {
            throw .notFound("MessageId \(id) was not found.")
        }
        return [
            "MessageId": .string(message.id),
            "Direction": "Outbound",
            "Type": .string(message.type),
            "CampaignId": .null,
            "Cost": .double(cost),
            // One recipient is the usual case; several are joined with commas.
            "To": .string(message.to.joined(separator: ",")),
            "From": .string(message.from),
            "Body": .string(message.body),
            "Region": "United States",
            "CreatedOn": .string(TelegentDate(message.createdOn).iso8601Z),
            "MessageType": "sms",
            "Status": "Queued",
        ]
    }

    /// Messages sent from or to `phoneNumber`, oldest first.
    static func search(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let number = try call.query.phoneNumber("phoneNumber")
        let page = try call.query.int("PageNumber", default: 1, in: 1...Int.max)
        let size = try call.query.int("PageSize", default: 50, in: 1...1000)
        let (total, messages) = world.withState { state in
            let ids = state.distributor(call.owner).messageIdsByNumber[number] ?? []
            return (ids.count, ids.page(page, size: size).compactMap { state.messages[$0] })
        }
        return [
            "PageNumber": .int(page),
            "PageSize": .int(size),
            "TotalResults": .int(total),
            "Messages": .array(messages.map(render)),
        ]
    }

    /// The message as `message/outbound` answers it.
    static func render(_ message: Message) -> JSON {
        [
            "MessageId": .string(message.id),
            "Direction": "Outbound",
            "Type": .string(message.type),
            "Cost": .double(cost),
            "Status": "Queued",
            "To": .array(message.to.map { ["Number": .string($0)] }),
            "From": .string(message.from),
            "Body": .string(message.body),
            "CreatedOn": .string(TelegentDate(message.createdOn).iso8601Z),
        ]
    }
}
