import Core
import Testing

@Suite struct AMQPSessionStateMachineTests {
    let backoff = Backoff(initial: .seconds(1), maximum: .seconds(3))

    @Test func connectsDeclaresAndConsumesInOrder() {
        var machine = AMQPSessionStateMachine(backoff: backoff, declaresTopology: true, consumes: true)
        #expect(machine.start() == .connect(endpoint: 0))
        #expect(machine.succeeded() == .declareTopology)
        #expect(machine.succeeded() == .startConsuming)
        #expect(machine.succeeded() == .ready(reconnected: false, afterFailures: 0))
        #expect(machine.state == .ready(endpoint: 0))
    }

    @Test func skipsStepsThatAreNotWanted() {
        var publisher = AMQPSessionStateMachine(backoff: backoff, declaresTopology: true, consumes: false)
        #expect(publisher.start() == .connect(endpoint: 0))
        #expect(publisher.succeeded() == .declareTopology)
        #expect(publisher.succeeded() == .ready(reconnected: false, afterFailures: 0))

        var bare = AMQPSessionStateMachine(backoff: backoff, declaresTopology: false, consumes: false)
        #expect(bare.start() == .connect(endpoint: 0))
        #expect(bare.succeeded() == .ready(reconnected: false, afterFailures: 0))
    }

    @Test func failedStepsBackOffWithAGrowingCappedDelayAndNeverGiveUp() {
        var machine = AMQPSessionStateMachine(backoff: backoff, declaresTopology: true, consumes: true)
        _ = machine.start()
        #expect(machine.failed() == .wait(.seconds(1), announcement: .unavailable))
        #expect(machine.waited() == .connect(endpoint: 0))
        #expect(machine.succeeded() == .declareTopology)
        #expect(machine.failed() == .wait(.seconds(2), announcement: nil))
        for _ in 0..<100 {
            #expect(machine.waited() == .connect(endpoint: 0))
            #expect(machine.failed() == .wait(.seconds(3), announcement: nil))
        }
        #expect(machine.waited() == .connect(endpoint: 0))
        #expect(machine.succeeded() == .declareTopology)
        #expect(machine.succeeded() == .startConsuming)
        #expect(machine.succeeded() == .ready(reconnected: false, afterFailures: 102))
        #expect(machine.failures == 0)
    }

    @Test func lostConnectionIsAnnouncedOnceAndCountsAsAReconnect() {
        var machine = AMQPSessionStateMachine(backoff: backoff, declaresTopology: true, consumes: true)
        _ = machine.start()
        _ = machine.succeeded()
        _ = machine.succeeded()
        _ = machine.succeeded()
        #expect(machine.connectionLost() == .wait(.seconds(1), announcement: .lost))
        #expect(machine.waited() == .connect(endpoint: 0))
        #expect(machine.failed() == .wait(.seconds(2), announcement: nil))
        #expect(machine.waited() == .connect(endpoint: 0))
        #expect(machine.succeeded() == .declareTopology)
        #expect(machine.succeeded() == .startConsuming)
        #expect(machine.succeeded() == .ready(reconnected: true, afterFailures: 2))
        // The next outage starts from the shortest delay again.
        #expect(machine.connectionLost() == .wait(.seconds(1), announcement: .lost))
    }

    @Test func failedAttemptsRotateThroughTheEndpoints() {
        var machine = AMQPSessionStateMachine(backoff: backoff, endpointCount: 3, declaresTopology: false, consumes: false)
        #expect(machine.start() == .connect(endpoint: 0))
        var endpoints: [AMQPSessionStateMachine.Action] = []
        for _ in 0..<4 {
            _ = machine.failed()
            endpoints.append(machine.waited())
        }
        #expect(endpoints == [.connect(endpoint: 1), .connect(endpoint: 2), .connect(endpoint: 0), .connect(endpoint: 1)])
        #expect(machine.succeeded() == .ready(reconnected: false, afterFailures: 4))
        #expect(machine.state == .ready(endpoint: 1))
        _ = machine.connectionLost()
        #expect(machine.waited() == .connect(endpoint: 2))
    }

    @Test func stoppedSessionAnswersStopToEverything() {
        var machine = AMQPSessionStateMachine(backoff: backoff, declaresTopology: true, consumes: true)
        _ = machine.start()
        #expect(machine.stop() == .stop)
        #expect(machine.succeeded() == .stop)
        #expect(machine.failed() == .stop)
        #expect(machine.waited() == .stop)
        #expect(machine.connectionLost() == .stop)
        #expect(machine.start() == .stop)
        #expect(machine.state == .stopped)
    }
}

@Suite struct BackoffTests {
    @Test func delaysGrowByTheMultiplierUpToTheCap() {
        let backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(5))
        #expect(
            (1...8).map { backoff.delay(afterFailures: $0) } == [
                .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600), .milliseconds(3200),
                .seconds(5), .seconds(5), .seconds(5),
            ])
        #expect(backoff.delay(afterFailures: 10_000) == .seconds(5))
    }

    @Test func aStreakReportsOnlyChangesOfState() {
        var streak = FailureStreak(backoff: Backoff(initial: .seconds(1), maximum: .seconds(4)))
        #expect(streak.succeeded() == 0)
        #expect(streak.failed(reason: "25006") == (.seconds(1), .started))
        #expect(streak.failed(reason: "25006") == (.seconds(2), .unchanged))
        #expect(streak.failed(reason: "53100") == (.seconds(4), .changedReason))
        #expect(streak.failed(reason: "53100") == (.seconds(4), .unchanged))
        #expect(streak.isFailing)
        #expect(streak.succeeded() == 4)
        #expect(!streak.isFailing)
        #expect(streak.failed(reason: "53100") == (.seconds(1), .started))
    }
}
