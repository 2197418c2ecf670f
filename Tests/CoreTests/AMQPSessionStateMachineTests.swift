import Core
import Testing

@Suite struct AMQPSessionStateMachineTests {
    let policy = AMQPRetryPolicy(maxAttempts: 4, initialDelay: .seconds(1), maxDelay: .seconds(3))

    @Test func connectsDeclaresAndConsumesInOrder() {
        var machine = AMQPSessionStateMachine(policy: policy, declaresTopology: true, consumes: true)
        #expect(machine.start() == .connect(attempt: 1))
        #expect(machine.succeeded() == .declareTopology)
        #expect(machine.succeeded() == .startConsuming)
        #expect(machine.succeeded() == .useConnection)
        #expect(machine.state == .ready)
        #expect(machine.start() == .useConnection)
    }

    @Test func skipsStepsThatAreNotWanted() {
        var publisher = AMQPSessionStateMachine(policy: policy, declaresTopology: true, consumes: false)
        #expect(publisher.start() == .connect(attempt: 1))
        #expect(publisher.succeeded() == .declareTopology)
        #expect(publisher.succeeded() == .useConnection)

        var bare = AMQPSessionStateMachine(policy: policy, declaresTopology: false, consumes: false)
        #expect(bare.start() == .connect(attempt: 1))
        #expect(bare.succeeded() == .useConnection)
    }

    @Test func failedStepBacksOffExponentiallyAndConnectsAgain() {
        var machine = AMQPSessionStateMachine(policy: policy, declaresTopology: true, consumes: true)
        #expect(machine.start() == .connect(attempt: 1))
        #expect(machine.failed() == .wait(.seconds(1), beforeAttempt: 2))
        #expect(machine.waited() == .connect(attempt: 2))
        #expect(machine.succeeded() == .declareTopology)
        #expect(machine.failed() == .wait(.seconds(2), beforeAttempt: 3))
        #expect(machine.waited() == .connect(attempt: 3))
        #expect(machine.succeeded() == .declareTopology)
        #expect(machine.succeeded() == .startConsuming)
        #expect(machine.failed() == .wait(.seconds(3), beforeAttempt: 4))
        #expect(machine.waited() == .connect(attempt: 4))
        #expect(machine.succeeded() == .declareTopology)
        #expect(machine.succeeded() == .startConsuming)
        #expect(machine.succeeded() == .useConnection)
    }

    @Test func givesUpAfterTheLastAttemptAndStartsOverOnNextUse() {
        var machine = AMQPSessionStateMachine(policy: policy, declaresTopology: false, consumes: false)
        #expect(machine.start() == .connect(attempt: 1))
        for attempt in 2...4 {
            #expect(machine.failed() == .wait(policy.delay(after: attempt - 1), beforeAttempt: attempt))
            #expect(machine.waited() == .connect(attempt: attempt))
        }
        #expect(machine.failed() == .giveUp)
        #expect(machine.state == .disconnected)
        #expect(machine.start() == .connect(attempt: 1))
    }

    @Test func lostConnectionReconnectsAtOnceAndPreparesAgain() {
        var machine = AMQPSessionStateMachine(policy: policy, declaresTopology: true, consumes: true)
        _ = machine.start()
        _ = machine.succeeded()
        _ = machine.succeeded()
        _ = machine.succeeded()
        machine.connectionLost()
        #expect(machine.state == .disconnected)
        #expect(machine.start() == .connect(attempt: 1))
        #expect(machine.succeeded() == .declareTopology)
        #expect(machine.succeeded() == .startConsuming)
    }

    @Test func cancelledConnectStartsOverOnNextUse() {
        var machine = AMQPSessionStateMachine(policy: policy, declaresTopology: false, consumes: true)
        _ = machine.start()
        #expect(machine.failed() == .wait(.seconds(1), beforeAttempt: 2))
        machine.cancel()
        #expect(machine.state == .disconnected)
        #expect(machine.start() == .connect(attempt: 1))
    }

    @Test func closedSessionRefusesWork() {
        var machine = AMQPSessionStateMachine(policy: policy, declaresTopology: true, consumes: true)
        _ = machine.start()
        machine.close()
        #expect(machine.succeeded() == .refuse)
        #expect(machine.failed() == .refuse)
        #expect(machine.start() == .refuse)
        machine.connectionLost()
        #expect(machine.state == .closed)
    }

    @Test func retryDelaysDoubleUpToTheCap() {
        let policy = AMQPRetryPolicy(maxAttempts: 10, initialDelay: .milliseconds(500), maxDelay: .seconds(15))
        #expect(
            (1...8).map { policy.delay(after: $0) } == [
                .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(15), .seconds(15),
                .seconds(15),
            ]
        )
    }
}
