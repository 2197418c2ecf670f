import NIOCore
import Testing

@testable import Core

@Suite struct HTTPConnectionStateTests {
    static let timeouts = HTTPConnectionState.Timeouts(header: .seconds(10), idle: .seconds(75), drainGrace: .seconds(1))
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    func at(_ seconds: Double) -> NIODeadline { start + .nanoseconds(Int64(seconds * 1e9)) }

    func opened(_ timeouts: HTTPConnectionState.Timeouts = timeouts) -> HTTPConnectionState {
        HTTPConnectionState(timeouts: timeouts, openedAt: start)
    }

    /// One keep-alive request, head to response end, at `time`.
    func serve(_ state: inout HTTPConnectionState, at time: Double, keepAlive: Bool = true) -> (closes: Bool, end: HTTPConnectionState.Close) {
        state.bytesArrived(at: at(time))
        #expect(state.headReceived(keepAlive: keepAlive, at: at(time)) == .forward)
        #expect(state.endReceived() == .forward)
        let closes = state.responseHeadWritten()
        return (closes, state.responseEnded(at: at(time)))
    }

    // MARK: - Header and idle timeouts

    @Test func waitsTheIdleTimeoutForTheFirstRequestThenTheHeaderTimeoutFromItsFirstByte() {
        var state = opened()
        #expect(state.phase == .waiting(until: at(75)))
        #expect(state.timerFired(at: at(74.9)) == .none)
        state.bytesArrived(at: at(5))
        #expect(state.deadline == at(15))
        #expect(state.timerFired(at: at(14.9)) == .none)
        #expect(state.timerFired(at: at(15)) == .close)
        #expect(state.phase == .closed)
    }

    @Test func closesANewConnectionThatSendsNothingAtTheIdleTimeout() {
        var state = opened()
        #expect(state.timerFired(at: at(75)) == .close)
    }

    @Test func waitsTheIdleTimeoutForTheNextRequestThenTheHeaderTimeoutFromItsFirstByte() {
        var state = opened()
        let served = serve(&state, at: 1)
        #expect(served == (false, .none))
        #expect(state.phase == .waiting(until: at(76)))
        #expect(state.timerFired(at: at(60)) == .none)
        state.bytesArrived(at: at(70))
        #expect(state.deadline == at(80))
        // Later bytes of the same head do not move its deadline.
        state.bytesArrived(at: at(79))
        #expect(state.timerFired(at: at(79.9)) == .none)
        #expect(state.timerFired(at: at(80)) == .close)
    }

    @Test func closesAnIdleConnectionAtTheIdleTimeout() {
        var state = opened()
        _ = serve(&state, at: 1)
        #expect(state.timerFired(at: at(75.9)) == .none)
        #expect(state.timerFired(at: at(76)) == .close)
    }

    @Test func setsNoDeadlineWhileARequestIsServed() {
        var state = opened()
        _ = state.headReceived(keepAlive: true, at: at(1))
        _ = state.endReceived()
        #expect(state.deadline == nil)
        #expect(state.timerFired(at: at(1000)) == .none)
        #expect(state.responseEnded(at: at(1000)) == .none)
        #expect(state.deadline == at(1075))
    }

    @Test func closesWhenARequestBodyPausesLongerThanTheIdleTimeout() {
        var state = opened()
        _ = state.headReceived(keepAlive: true, at: at(1))
        #expect(state.deadline == at(76))
        #expect(state.wantsTimeOfBytes)
        state.bytesArrived(at: at(50))
        #expect(state.bodyReceived() == .forward)
        #expect(state.timerFired(at: at(76)) == .none)
        #expect(state.timerFired(at: at(125)) == .close)
    }

    @Test func readsTheClockForBytesOnlyWhenItMatters() {
        var state = opened()
        #expect(state.wantsTimeOfBytes)  // the first byte starts the head's clock
        state.bytesArrived(at: at(1))
        #expect(!state.wantsTimeOfBytes)  // later bytes of the head do not move it
        _ = state.headReceived(keepAlive: true, at: at(1))
        _ = state.endReceived()
        #expect(!state.wantsTimeOfBytes)  // serving, body complete
        _ = state.responseEnded(at: at(1))
        #expect(state.wantsTimeOfBytes)  // waiting: the next byte starts a head
    }

    // MARK: - Last requests

    @Test func closesAfterARequestThatDoesNotKeepAlive() {
        var state = opened()
        let (closes, end) = serve(&state, at: 1, keepAlive: false)
        #expect(closes)
        #expect(end == .closeOutput)
        #expect(state.phase == .closing(until: at(11)))
        #expect(state.timerFired(at: at(11)) == .close)
    }

    @Test func dropsEverythingAfterTheLastRequest() {
        var state = opened()
        #expect(state.headReceived(keepAlive: false, at: at(1)) == .forward)
        #expect(state.bodyReceived() == .forward)
        #expect(state.endReceived() == .forward)
        #expect(state.headReceived(keepAlive: true, at: at(1)) == .drop)
        #expect(state.bodyReceived() == .drop)
        #expect(state.endReceived() == .drop)
        #expect(state.parseErrorReceived() == .drop)
        #expect(state.inProgress == 1)
    }

    @Test func announcesTheCloseOnlyOnTheLastOfPipelinedResponses() {
        var state = opened()
        _ = state.headReceived(keepAlive: true, at: at(1))
        _ = state.endReceived()
        _ = state.headReceived(keepAlive: false, at: at(1))
        _ = state.endReceived()
        #expect(state.responseHeadWritten() == false)
        #expect(state.responseEnded(at: at(2)) == .none)
        #expect(state.responseHeadWritten() == true)
        #expect(state.responseEnded(at: at(2)) == .closeOutput)
    }

    @Test func countsAMalformedRequestAsTheLast() {
        var state = opened()
        #expect(state.parseErrorReceived() == .forward)
        #expect(state.responseHeadWritten() == true)
        #expect(state.responseEnded(at: at(1)) == .closeOutput)
    }

    @Test func countsAMalformedBodyAsTheEndOfItsRequest() {
        var state = opened()
        _ = state.headReceived(keepAlive: true, at: at(1))
        #expect(state.parseErrorReceived() == .forward)
        #expect(state.inProgress == 1)
        #expect(state.responseHeadWritten() == true)
        #expect(state.responseEnded(at: at(1)) == .closeOutput)
    }

    @Test func ignoresAResponseEndWithoutARequest() {
        var state = opened()
        #expect(state.responseEnded(at: at(1)) == .none)
        #expect(state.inProgress == 0)
    }

    // MARK: - Drain

    @Test func answersTheRequestInFlightWithCloseWhenTheDrainBegins() {
        var state = opened()
        _ = state.headReceived(keepAlive: true, at: at(1))
        _ = state.endReceived()
        #expect(state.drainBegan(at: at(2)) == .none)
        #expect(state.responseHeadWritten() == true)
        #expect(state.responseEnded(at: at(3)) == .closeOutput)
        #expect(state.headReceived(keepAlive: true, at: at(3)) == .drop)
    }

    @Test func closesAfterTheResponseInFlightEvenIfItsHeadWentOutBeforeTheDrain() {
        var state = opened()
        _ = state.headReceived(keepAlive: true, at: at(1))
        _ = state.endReceived()
        #expect(state.responseHeadWritten() == false)
        _ = state.drainBegan(at: at(2))
        #expect(state.responseEnded(at: at(3)) == .closeOutput)
    }

    @Test func closesWhenTheDrainingRequestsBodyHasArrived() {
        var state = opened()
        _ = state.headReceived(keepAlive: true, at: at(1))
        _ = state.drainBegan(at: at(2))
        #expect(state.responseHeadWritten() == true)
        #expect(state.bodyReceived() == .forward)
        #expect(state.endReceived() == .forward)
        #expect(state.isDiscarding)
        #expect(state.responseEnded(at: at(3)) == .closeOutput)
    }

    @Test func waitsTheDrainGraceOnAnIdleConnectionForARequestOnItsWay() {
        var state = opened()
        _ = serve(&state, at: 1)
        #expect(state.drainBegan(at: at(10)) == .none)
        #expect(state.deadline == at(11))
        state.bytesArrived(at: at(10.5))
        #expect(state.deadline == at(11))
        #expect(state.headReceived(keepAlive: true, at: at(10.6)) == .forward)
        _ = state.endReceived()
        #expect(state.responseHeadWritten() == true)
        #expect(state.responseEnded(at: at(12)) == .closeOutput)
        #expect(state.phase == .closing(until: at(11)))
    }

    @Test func closesAnIdleConnectionAtTheEndOfTheDrainGrace() {
        var state = opened()
        _ = serve(&state, at: 1)
        _ = state.drainBegan(at: at(10))
        #expect(state.timerFired(at: at(10.9)) == .none)
        #expect(state.timerFired(at: at(11)) == .close)
    }

    @Test func closesAnIdleConnectionAtOnceWithoutADrainGrace() {
        var timeouts = Self.timeouts
        timeouts.drainGrace = .zero
        var state = opened(timeouts)
        _ = serve(&state, at: 1)
        #expect(state.drainBegan(at: at(2)) == .close)
    }

    @Test func shortensAHalfClosedConnectionsWaitWhenTheDrainBegins() {
        var state = opened()
        _ = serve(&state, at: 1, keepAlive: false)
        #expect(state.deadline == at(11))
        _ = state.drainBegan(at: at(2))
        #expect(state.deadline == at(3))
    }

    @Test func beginsTheDrainOnce() {
        var state = opened()
        _ = serve(&state, at: 1)
        _ = state.drainBegan(at: at(2))
        _ = state.drainBegan(at: at(20))
        #expect(state.deadline == at(3))
    }

    @Test func forgetsEverythingOnceClosed() {
        var state = opened()
        state.connectionClosed()
        #expect(state.deadline == nil)
        #expect(state.headReceived(keepAlive: true, at: at(1)) == .drop)
        #expect(state.drainBegan(at: at(1)) == .none)
    }
}
