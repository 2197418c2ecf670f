import Testing

@testable import CreateBuyOrder

@Suite struct WriterHealthTests {
    let start = ContinuousClock.now

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    func health() -> WriterHealth { WriterHealth(stuckAfter: .seconds(5), failureShownFor: .seconds(10)) }

    @Test func isHealthyBeforeAnyBatchAndWhileABatchRunsWithinItsBound() {
        var health = health()
        #expect(health.problem(at: at(0)) == nil)
        health.started(at: at(0))
        #expect(health.problem(at: at(5000)) == nil)
    }

    @Test func reportsABatchRunningPastItsBound() {
        var health = health()
        health.started(at: at(0))
        #expect(health.problem(at: at(6200))?.hasPrefix("a batch has been running for 6.2 s") == true)
        health.succeeded()
        #expect(health.problem(at: at(6300)) == nil)
    }

    @Test func reportsAFailedBatchUntilOneSucceedsOrTheFailureAgesOut() {
        var health = health()
        health.started(at: at(0))
        health.failed("lockNotAvailable: canceling statement due to lock timeout", at: at(2000))
        #expect(
            health.problem(at: at(2500))
                == "the last batch failed 0.5 s ago: lockNotAvailable: canceling statement due to lock timeout")
        #expect(health.problem(at: at(12_001)) == nil)

        health.failed("connectionFailed: refused", at: at(13_000))
        health.started(at: at(13_100))
        #expect(health.problem(at: at(13_200))?.hasPrefix("the last batch failed") == true)
        health.succeeded()
        #expect(health.problem(at: at(13_300)) == nil)
    }
}
