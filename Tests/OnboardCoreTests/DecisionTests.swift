import Foundation
import Synchronization
import Testing

@testable import OnboardCore

/// The state machine's decisions, one guarantee of DESIGN.md section 4 at a time, with no I/O.
@Suite struct DecisionTests {
    static let definition = InputTests.definition
    var provision: StepDefinition { Self.definition.step("provision")! }
    var availability: StepDefinition { Self.definition.step("availability")! }

    func record(_ status: StepStatus = .pending, step: String = "provision") -> StepRecord {
        StepRecord(runID: "r1", stepID: step, position: 4, status: status, updatedAt: Date())
    }

    func attempt(_ outcome: AttemptOutcome?, status: Int? = nil, step: String = "provision") -> AttemptRecord {
        AttemptRecord(
            id: 1, runID: "r1", stepID: step, purpose: .send,
            effect: Self.definition.step(step)?.effect ?? .read, idempotencyKey: "r1/\(step)/1", method: "POST",
            path: "/x", startedAt: Date(), outcome: outcome, statusCode: status)
    }

    @Test func finishedStepsAreNeverSentAgain() {
        #expect(StepStart.decide(step: provision, record: record(.done), attempts: [attempt(.succeeded)], isEnabled: true) == .reuse)
    }

    @Test func disabledStepIsSkipped() {
        #expect(StepStart.decide(step: provision, record: record(), attempts: [], isEnabled: false) == .skip)
    }

    @Test func inDoubtPurchaseLooksBeforeSending() {
        for uncertain in [attempt(nil), attempt(.noAnswer), attempt(.abandoned), attempt(.httpError, status: 500),
            attempt(.httpError, status: 504), attempt(.httpError, status: 409), attempt(.succeeded)]
        {
            #expect(StepStart.decide(step: provision, record: record(.running), attempts: [uncertain], isEnabled: true) == .lookUpFirst)
        }
    }

    @Test func certainFailuresAllowASend() {
        var disproved = attempt(nil)
        disproved.disprovedAt = Date()
        for certain in [attempt(.httpError, status: 400), attempt(.httpError, status: 429),
            attempt(.httpError, status: 503), attempt(.resolvedNotHappened), attempt(.notSent), disproved]
        {
            #expect(StepStart.decide(step: provision, record: record(.failed), attempts: [certain], isEnabled: true) == .send)
        }
    }

    @Test func readStepInDoubtIsSimplySentAgain() {
        #expect(
            StepStart.decide(step: availability, record: record(.running, step: "availability"),
                attempts: [attempt(nil, step: "availability")], isEnabled: true) == .send)
    }

    @Test func createStepWithoutLookupNeedsAPerson() {
        var step = provision
        step.reconcile = nil
        #expect(StepStart.decide(step: step, record: record(.running), attempts: [attempt(nil)], isEnabled: true) == .needsResolution)
    }

    @Test func reactions() {
        let policy = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(30))
        func react(_ outcome: OutcomeClass, attempt: Int = 1, retryAfter: Double? = nil, step: StepDefinition? = nil) -> StepReaction {
            StepReaction.decide(step: step ?? provision, outcome: outcome, attempt: attempt, retryAfter: retryAfter, policy: policy, random: 0)
        }
        #expect(react(.classify(status: 200)) == .succeed)
        #expect(react(.classify(status: 400)) == .fail(inDoubt: false))
        #expect(react(.classify(status: 404)) == .fail(inDoubt: false))
        #expect(react(.classify(status: 409)) == .lookUpOrFail)
        #expect(react(.classify(status: 409), step: availability) == .fail(inDoubt: false))
        // 429 / 503: the request was not processed: wait (at least Retry-After), send again without a lookup.
        #expect(react(.classify(status: 429), retryAfter: 7) == .retry(delay: .seconds(7), lookUpFirst: false))
        #expect(react(.classify(status: 503)) == .retry(delay: .zero, lookUpFirst: false))
        // 500 / no answer on a purchase: it may have happened: look before sending again.
        #expect(react(.classify(status: 500)) == .retry(delay: .zero, lookUpFirst: true))
        #expect(react(.retryable(isAmbiguous: true)) == .retry(delay: .zero, lookUpFirst: true))
        #expect(react(.retryable(isAmbiguous: true), step: availability) == .retry(delay: .zero, lookUpFirst: false))
        #expect(react(.classify(status: 503), attempt: provision.maxAttempts) == .fail(inDoubt: false))
    }

    @Test func backoffIsCappedExponentialWithFullJitter() {
        let policy = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(30))
        #expect(policy.delay(afterAttempt: 1, retryAfter: nil, random: 1) == .seconds(1))
        #expect(policy.delay(afterAttempt: 4, retryAfter: nil, random: 1) == .seconds(8))
        #expect(policy.delay(afterAttempt: 12, retryAfter: nil, random: 1) == .seconds(30))
        #expect(policy.delay(afterAttempt: 12, retryAfter: nil, random: 0.5) == .seconds(15))
        #expect(policy.delay(afterAttempt: 1, retryAfter: 45, random: 0.1) == .seconds(45))
    }
}

@Suite struct RateLimiterTests {
    /// The limiter's promise: of the send times it books, no window-long span ever holds more than `limit`,
    /// from a cold start on, and a steady stream gets the whole rate.
    @Test func neverMoreThanLimitInAnyWindow() async throws {
        let limiter = RateLimiter(limit: 5, window: .seconds(61))
        let start = ContinuousClock.now
        var slots: [ContinuousClock.Instant] = []
        // 23 requests arriving together, then 7 more 500 s later.
        for _ in 0..<23 { slots.append(await limiter.reserve(at: start)) }
        for _ in 0..<7 { slots.append(await limiter.reserve(at: start + .seconds(500))) }
        #expect(slots == slots.sorted())
        for index in 5..<slots.count {
            #expect(slots[index] - slots[index - 5] >= .seconds(61))
        }
        // The first five leave at once; then five per window: the 23rd books 4 windows later.
        #expect(slots[4] == start)
        #expect(slots[22] == start + .seconds(61 * 4))
        #expect(slots[23] == start + .seconds(500))
    }

    @Test func grantsEveryRequestThatAsks() async throws {
        let limiter = RateLimiter(limit: 50, window: .milliseconds(100))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<60 { group.addTask { try await limiter.acquire() } }
            try await group.waitForAll()
        }
        #expect(await limiter.granted == 60)
        #expect(await limiter.waiting == 0)
    }

    @Test func pauseHoldsEveryoneBack() async throws {
        let limiter = RateLimiter(limit: 100, window: .seconds(60))
        let clock = ContinuousClock()
        await limiter.pause(for: 0.3)
        let start = clock.now
        try await limiter.acquire()
        #expect(clock.now - start >= .milliseconds(290))
    }

    @Test func rateSpecsParse() {
        #expect(RateSpec(parsing: "50")?.perMinute == 50)
        #expect(RateSpec(parsing: "50/min")?.perMinute == 50)
        #expect(RateSpec(parsing: "2/s")?.perMinute == 120)
        #expect(RateSpec(parsing: "fast") == nil)
        #expect(RateSpec(parsing: "0") == nil)
        // A window of several units, for APIs (and tests) that count over one.
        #expect(RateSpec(parsing: "10/5s") == RateSpec(requests: 10, per: .seconds(5)))
        #expect(RateSpec(parsing: "100/2min") == RateSpec(requests: 100, per: .seconds(120)))
        #expect(RateSpec(parsing: "10/0s") == nil)
        #expect(RateSpec(parsing: "10/2days") == nil)
        #expect(RateSpec(parsing: "10/25h") == nil)
        #expect(["50/min", "2/s", "100/h", "10/5s", "100/2min"].map { RateSpec(parsing: $0)?.description } == ["50/min", "2/s", "100/h", "10/5s", "100/2min"])
    }
}

/// A value shared between test tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T>(_ body: (inout sending Value) -> sending T) -> T { mutex.withLock(body) }
}
