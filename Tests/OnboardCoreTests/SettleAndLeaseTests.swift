import Foundation
import Testing

@testable import OnboardCore

/// The settle window, lease owners, the lease keeper's deadline and Retry-After, without I/O.
@Suite struct SettleAndLeaseTests {
    func attempt(
        outcome: AttemptOutcome? = nil, status: Int? = nil, started: Double, finished: Double? = nil,
        boot: String? = "boot-a", timeout: Double? = 30
    ) -> AttemptRecord {
        AttemptRecord(
            runID: "r", stepID: "provision", purpose: .send, effect: .purchase, idempotencyKey: "k", method: "POST",
            path: "/x", startedAt: Date(timeIntervalSince1970: 1_000_000 + started),
            finishedAt: finished.map { Date(timeIntervalSince1970: 1_000_000 + $0) }, outcome: outcome, statusCode: status,
            timeout: timeout, startedUptime: boot == nil ? nil : 500 + started, finishedUptime: finished.map { 500 + $0 },
            bootID: boot)
    }

    func now(_ seconds: Double, wallShift: Double = 0, boot: String? = "boot-a") -> ClockReading {
        ClockReading(wall: Date(timeIntervalSince1970: 1_000_000 + seconds + wallShift), uptime: 500 + seconds, bootID: boot)
    }

    @Test func windowCountsFromTheLaterOfTheEndAndStartPlusTimeout() {
        // Timed out at 30 s: the API may work until 30 s, so "absent" is trusted from 60 s on.
        let timedOut = attempt(outcome: .noAnswer, started: 0, finished: 30)
        #expect(SettleWindow.remaining(for: timedOut, settle: 30, defaultTimeout: 30, now: now(31)) == 29)
        #expect(SettleWindow.remaining(for: timedOut, settle: 30, defaultTimeout: 30, now: now(60)) == 0)
        // Killed at 5 s: the request could still be in flight until 30 s.
        let killed = attempt(started: 0)
        #expect(SettleWindow.remaining(for: killed, settle: 30, defaultTimeout: 30, now: now(10)) == 50)
        // A drop at 40 s (the timeout was longer than the default) counts from its end.
        let dropped = attempt(outcome: .noAnswer, started: 0, finished: 40, timeout: 45)
        #expect(SettleWindow.remaining(for: dropped, settle: 10, defaultTimeout: 30, now: now(50)) == 5)
        // Answered: nothing is in flight.
        #expect(SettleWindow.remaining(for: attempt(outcome: .httpError, status: 500, started: 0, finished: 1), settle: 30, defaultTimeout: 30, now: now(2)) == 0)
        #expect(SettleWindow.remaining(for: attempt(outcome: .httpError, status: 504, started: 0, finished: 1), settle: 30, defaultTimeout: 30, now: now(2)) == 58)
    }

    @Test func wallClockJumpsDoNotMoveTheWindowOnTheSameBoot() {
        let killed = attempt(started: 0)
        #expect(SettleWindow.remaining(for: killed, settle: 30, defaultTimeout: 30, now: now(10, wallShift: 3_600)) == 50)
        #expect(SettleWindow.remaining(for: killed, settle: 30, defaultTimeout: 30, now: now(10, wallShift: -3_600)) == 50)
    }

    @Test func anotherBootUsesWallTime() {
        let killed = attempt(started: 0)
        #expect(SettleWindow.remaining(for: killed, settle: 30, defaultTimeout: 30, now: now(10, boot: "boot-b")) == 50)
        #expect(SettleWindow.remaining(for: killed, settle: 30, defaultTimeout: 30, now: now(70, boot: "boot-b")) == 0)
        let noBootClock = attempt(started: 0, boot: nil)
        #expect(SettleWindow.remaining(for: noBootClock, settle: 30, defaultTimeout: 30, now: now(20)) == 40)
    }

    @Test func leaseOwnersRoundTripAndOnlyProvablyDeadOnesAreTakenOver() {
        let me = LeaseOwner.make()
        #expect(LeaseOwner(rawValue: me.rawValue) == me)
        #expect(LeaseOwner.make().nonce != me.nonce, "every execution is an owner of its own")
        #expect(!me.isProvablyDeadLocalProcess, "this process is alive")
        #expect(LeaseOwner(rawValue: "host:123:abcd") == nil, "an older release's owner is never provably dead")
        var gone = me
        gone.pid = 3_999_999  // above any pid_max
        #expect(gone.isProvablyDeadLocalProcess == (SystemClock.bootID != nil && Host.pidNamespace != nil))
        var elsewhere = gone
        elsewhere.host = "another-host"
        #expect(!elsewhere.isProvablyDeadLocalProcess)
        var otherNamespace = gone
        otherNamespace.pidNamespace = "4026530000"
        #expect(!otherNamespace.isProvablyDeadLocalProcess)
        var otherBoot = gone
        otherBoot.bootID = "another-boot"
        #expect(!otherBoot.isProvablyDeadLocalProcess)
    }

    @Test func keeperLosesTheLeaseAtItsDeadlineAndOnALateRenewal() async throws {
        let lease = Lease(runID: "r", owner: "o", epoch: 1)
        let clock = ContinuousClock()
        let keeper = LeaseKeeper(lease: lease, duration: .milliseconds(300), margin: .milliseconds(100), acquiredAt: clock.now)
        #expect(throws: Never.self) { try keeper.check() }
        #expect(keeper.renewed(startedAt: clock.now))
        try await Task.sleep(for: .milliseconds(350))
        #expect(throws: LeaseLostError.self) { try keeper.check() }
        #expect(!keeper.renewed(startedAt: clock.now), "a renewal completing after the deadline does not revive it")
        #expect(keeper.isLost)

        let other = LeaseKeeper(lease: lease, duration: .seconds(60), margin: .seconds(10), acquiredAt: clock.now)
        other.lose("taken over")
        #expect(throws: LeaseLostError.self) { try other.check() }
    }

    @Test(arguments: [
        ("120", 120.0), ("0", 0), (" 7 ", 7), ("99999999999999999999", RetryAfter.maximum), ("601", RetryAfter.maximum),
    ])
    func retryAfterDeltaSeconds(header: String, seconds: Double) {
        #expect(RetryAfter.seconds(from: header) == seconds)
    }

    @Test(arguments: ["inf", "1e309", "1e17", "-5", "1.5", "soon", "", "nan", "0x10"])
    func retryAfterNonsenseIsIgnored(header: String) {
        #expect(RetryAfter.seconds(from: header) == nil)
    }

    @Test func retryAfterHTTPDate() {
        let now = Date(timeIntervalSince1970: 1_445_412_400)  // Wed, 21 Oct 2015 07:26:40 GMT
        #expect(RetryAfter.seconds(from: "Wed, 21 Oct 2015 07:28:00 GMT", now: now) == 80)
        #expect(RetryAfter.seconds(from: "Wednesday, 21-Oct-15 07:28:00 GMT", now: now) == 80)
        #expect(RetryAfter.seconds(from: "Wed Oct 21 07:28:00 2015", now: now) == 80)
        #expect(RetryAfter.seconds(from: "Wed, 21 Oct 2015 07:00:00 GMT", now: now) == 0, "a date in the past: now")
        #expect(RetryAfter.seconds(from: "Fri, 21 Oct 2016 07:28:00 GMT", now: now) == RetryAfter.maximum)
    }

    @Test(arguments: [Double.infinity, -.infinity, .nan, 1e309, 1e17, -1, 0.5])
    func durationsFromAnyDoubleNeverTrap(seconds: Double) {
        let duration = Duration.seconds(clamping: seconds, maximum: 600)
        #expect(duration >= .zero && duration <= .seconds(600))
    }

    @Test func rateLimiterPauseAndRetryPolicyTakeAnyServerValue() async {
        let limiter = RateLimiter(limit: 10)
        await limiter.pause(for: .infinity)
        await limiter.pause(for: .nan)
        let policy = RetryPolicy()
        #expect(policy.delay(afterAttempt: 3, retryAfter: 1e300, random: 0.5) <= .seconds(RetryAfter.maximum))
        #expect(policy.delay(afterAttempt: Int.max, retryAfter: nil, random: 2) <= .seconds(30))
    }
}
