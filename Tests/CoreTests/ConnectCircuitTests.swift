import Testing

@testable import Core

@Suite struct ConnectCircuitTests {
    let start = ContinuousClock.now

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    @Test func connectsWhileClosedAndOpensOnceOnTheFirstFailure() {
        var circuit = ConnectCircuit(probeInterval: .seconds(1))
        #expect(circuit.decide(at: at(0)) == .connect)
        #expect(circuit.decide(at: at(1)) == .connect)
        #expect(circuit.failed("refused", at: at(5)) == .opened(reason: "refused"))
        // A second caller that was connecting at the same time fails too: no second change.
        #expect(circuit.failed("refused again", at: at(6)) == nil)
        #expect(circuit.isOpen)
    }

    @Test func failsFastUntilTheProbeIntervalThenLetsOneProbeThrough() {
        var circuit = ConnectCircuit(probeInterval: .seconds(1))
        _ = circuit.failed("refused", at: at(0))
        #expect(circuit.decide(at: at(10)) == .failFast(reason: "refused", since: at(0)))
        #expect(circuit.decide(at: at(999)) == .failFast(reason: "refused", since: at(0)))
        #expect(circuit.decide(at: at(1000)) == .probe)
        // One probe at a time: the others fail fast while it runs, however long it takes.
        #expect(circuit.decide(at: at(1001)) == .failFast(reason: "refused", since: at(0)))
        #expect(circuit.decide(at: at(9000)) == .failFast(reason: "refused", since: at(0)))
    }

    @Test func aFailedProbeWaitsAnotherIntervalAndKeepsTheFirstFailureTime() {
        var circuit = ConnectCircuit(probeInterval: .seconds(1))
        _ = circuit.failed("refused", at: at(0))
        #expect(circuit.decide(at: at(1000)) == .probe)
        #expect(circuit.failed("timeout", at: at(3000)) == nil)
        #expect(circuit.decide(at: at(3500)) == .failFast(reason: "timeout", since: at(0)))
        #expect(circuit.decide(at: at(4000)) == .probe)
    }

    @Test func anyConnectThatSucceedsClosesItOnce() {
        var circuit = ConnectCircuit(probeInterval: .seconds(1))
        #expect(circuit.connected(at: at(0)) == nil)
        _ = circuit.failed("refused", at: at(100))
        #expect(circuit.decide(at: at(1100)) == .probe)
        #expect(circuit.connected(at: at(1150)) == .closed(downFor: .milliseconds(1050)))
        #expect(circuit.connected(at: at(1160)) == nil)
        #expect(!circuit.isOpen)
        #expect(circuit.decide(at: at(1200)) == .connect)
    }
}
