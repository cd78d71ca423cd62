import Testing

@testable import OnboardCore

@Suite("Batch schedule")
struct BatchScheduleTests {
    func account(_ key: String) -> BatchItem {
        BatchItem(kind: .account, key: key, accountKey: key, inputs: RunInputs(raw: [:]))
    }

    func subscriber(_ account: String, _ key: String) -> BatchItem {
        BatchItem(kind: .subscriber, key: "\(account)/\(key)", accountKey: account, inputs: RunInputs(raw: [:]))
    }

    @Test("Subscribers wait parked, without a slot, until their account finishes; accounts start first")
    func parkedUntilTheAccountFinishes() {
        var schedule = BatchSchedule()
        #expect(schedule.add(account("a")) == nil)
        #expect(schedule.add(subscriber("a", "1")) == nil)
        #expect(schedule.add(subscriber("a", "2")) == nil)
        #expect(schedule.add(account("b")) == nil)
        #expect(schedule.held == 4)
        // Both accounts can start; a's subscribers cannot yet.
        #expect(schedule.next()?.item.key == "a")
        #expect(schedule.next()?.item.key == "b")
        #expect(schedule.next() == nil)
        #expect(schedule.held == 2)

        #expect(schedule.open("a", .ready(runID: "ra", outputs: ["account": ["account_id": "AID-1"]])).isEmpty)
        let first = schedule.next()
        #expect(first?.item.key == "a/1" && first?.parent?.id == "ra")
        #expect(first?.parent?.outputs["account"]?["account_id"] == "AID-1")
        // An account read now goes before the remaining subscriber.
        #expect(schedule.add(account("c")) == nil)
        #expect(schedule.next()?.item.key == "c")
        #expect(schedule.next()?.item.key == "a/2")
        #expect(schedule.held == 0 && !schedule.hasStartable)

        // A subscriber of a finished account is startable at once.
        #expect(schedule.add(subscriber("a", "3")) == nil)
        #expect(schedule.next()?.item.key == "a/3")
    }

    @Test("A failed account blocks its parked subscribers and those read later")
    func failedAccountBlocks() {
        var schedule = BatchSchedule()
        _ = schedule.add(account("a"))
        _ = schedule.add(subscriber("a", "1"))
        _ = schedule.add(subscriber("a", "2"))
        _ = schedule.next()
        let blocked = schedule.open("a", .failed("HTTP 400"))
        #expect(blocked.map(\.0.key) == ["a/1", "a/2"] && blocked.allSatisfy { $0.1 == "HTTP 400" })
        #expect(schedule.held == 0)
        let later = schedule.add(subscriber("a", "3"))
        #expect(later?.0.key == "a/3" && later?.1 == "HTTP 400")
        #expect(schedule.held == 0 && schedule.next() == nil)
    }

    @Test("Subscribers whose account never ran are handed back at the end")
    func abandoned() {
        var schedule = BatchSchedule()
        _ = schedule.add(subscriber("x", "1"))
        #expect(schedule.next() == nil)
        #expect(schedule.abandonParked().map(\.key) == ["x/1"])
        #expect(schedule.held == 0)
    }
}
