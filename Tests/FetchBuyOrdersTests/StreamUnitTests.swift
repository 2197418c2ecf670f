import Core
import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import Testing

@testable import FetchBuyOrders

@Suite struct StreamPositionTests {
    @Test func readsWhatItWritesAndOrdersByTransactionThenSequence() {
        let position = StreamPosition(xid: 748_123, sequence: 905)
        #expect(position.description == "748123-905")
        #expect(StreamPosition(text: "748123-905") == position)
        #expect(StreamPosition(xid: 1, sequence: 99) < StreamPosition(xid: 2, sequence: 1))
        #expect(StreamPosition(xid: 2, sequence: 1) < StreamPosition(xid: 2, sequence: 2))
        #expect(StreamPosition(horizon: 7) < StreamPosition(xid: 7, sequence: 1))
    }

    @Test(arguments: ["", "1", "1-", "-1", "1-2-3", "a-1", "1-b", " 1-2", "+1-2", "1-99999999999999999999", "18446744073709551616-1"])
    func refusesAnythingElse(text: String) {
        #expect(StreamPosition(text: text) == nil)
    }
}

@Suite struct StreamRequestTests {
    static func query(_ text: String) -> FlatDictionary<Substring, Substring> {
        URI("/v1/buy_orders/stream?\(text)").queryParameters
    }

    static func fields(_ text: String, header: String? = nil) -> [String] {
        do {
            _ = try StreamRequest(query: query(text), lastEventID: header)
            return []
        } catch {
            return error.errors.map(\.field)
        }
    }

    @Test func theHeaderWinsOverTheParameter() throws {
        let request = try StreamRequest(query: Self.query("last_event_id=5-1&currency=EUR"), lastEventID: "9-2")
        #expect(request == StreamRequest(currency: .eur, resume: StreamPosition(xid: 9, sequence: 2)))
        #expect(try StreamRequest(query: Self.query("last_event_id=5-1"), lastEventID: nil).resume == StreamPosition(xid: 5, sequence: 1))
        #expect(try StreamRequest(query: Self.query(""), lastEventID: "").resume == nil)
    }

    @Test func namesEveryBadParameter() {
        #expect(Self.fields("currency=BTC&last_event_id=x", header: "y") == ["currency", "last_event_id", "Last-Event-ID"])
        #expect(Self.fields("currency=USD&currency=EUR") == ["currency"])
    }
}

@Suite struct StreamMailboxTests {
    static func delivery(_ sequences: [Int64], xid: UInt64 = 10) -> StreamDelivery {
        let frames = sequences.map { ByteBuffer(string: "\($0);") }
        var combined = ByteBuffer()
        for frame in frames { combined.writeImmutableBuffer(frame) }
        return StreamDelivery(positions: sequences.map { StreamPosition(xid: xid, sequence: $0) }, frames: frames, combined: combined)
    }

    @Test func takesWhatWasPushedInOrderOnce() {
        var mailbox = StreamMailbox(capacity: 10)
        #expect(!mailbox.hasWork)
        #expect(mailbox.push(Self.delivery([1, 2])) == .accepted)
        #expect(mailbox.push(Self.delivery([3])) == .accepted)
        mailbox.tick(heartbeat: true)
        let take = mailbox.take()
        #expect(take.deliveries.flatMap(\.positions).map(\.sequence) == [1, 2, 3])
        #expect(take.heartbeat && take.probe && take.closing == nil)
        #expect(!mailbox.hasWork)
        #expect(mailbox.take().deliveries.isEmpty)
    }

    @Test func aReaderThatFallsBehindIsClosedAndWhatWaitedIsDropped() {
        var mailbox = StreamMailbox(capacity: 3)
        #expect(mailbox.push(Self.delivery([1, 2])) == .accepted)
        #expect(mailbox.push(Self.delivery([3, 4])) == .overflowed)
        #expect(mailbox.push(Self.delivery([5])) == .dropped)
        let take = mailbox.take()
        #expect(take.closing == .fellBehind && take.deliveries.isEmpty)
    }

    @Test func aProbeIsNoHeartbeat() {
        var mailbox = StreamMailbox(capacity: 2)
        mailbox.tick(heartbeat: false)
        let take = mailbox.take()
        #expect(take.probe && !take.heartbeat)
    }

    @Test func oneReadMayBringMoreThanTheCapacityIntoAnEmptyMailbox() {
        var mailbox = StreamMailbox(capacity: 2)
        #expect(mailbox.push(Self.delivery([1, 2, 3])) == .accepted)
        #expect(mailbox.push(Self.delivery([4])) == .overflowed)
    }

    @Test func takingFreesRoom() {
        var mailbox = StreamMailbox(capacity: 2)
        #expect(mailbox.push(Self.delivery([1, 2])) == .accepted)
        _ = mailbox.take()
        #expect(mailbox.push(Self.delivery([3, 4])) == .accepted)
    }

    @Test func atShutdownWhatWaitsIsStillTaken() {
        var mailbox = StreamMailbox(capacity: 5)
        _ = mailbox.push(Self.delivery([1]))
        mailbox.close(.shutdown)
        let take = mailbox.take()
        #expect(take.closing == .shutdown && take.deliveries.count == 1)
    }

    @Test func aDeliveryGivesOnlyWhatComesAfterAPosition() {
        let delivery = Self.delivery([1, 2, 3])
        #expect(delivery.bytes(after: StreamPosition(xid: 9, sequence: 50)).map { String(buffer: $0) } == "1;2;3;")
        #expect(delivery.bytes(after: StreamPosition(xid: 10, sequence: 1)).map { String(buffer: $0) } == "2;3;")
        #expect(delivery.bytes(after: StreamPosition(xid: 10, sequence: 3)) == nil)
    }
}

@Suite struct EventStreamFrameTests {
    @Test func anOrderIsOneEventWithItsPosition() {
        let order = BuyOrderView(
            id: "da971768-e644-4630-b339-9425146c7528", createdAt: "2026-11-23T21:41:02.823904Z", currency: "USD",
            currencyAmount: "123.45", btcRate: "47998.07", btcAmount: "0.00257198")
        let frame = EventStreamFrame.order(StreamedOrder(position: StreamPosition(xid: 5, sequence: 7), clientID: "demo", order: order))
        #expect(String(buffer: frame) == "id: 5-7\nevent: buy_order\ndata: \(order.json)\n\n")
    }

    @Test func theOpeningNamesThePositionOnlyForAStreamThatStartsNow() {
        let fresh = String(buffer: EventStreamFrame.opening(client: "demo", retry: .seconds(2), start: StreamPosition(horizon: 9)))
        #expect(fresh == ": buy orders of client demo\nretry: 2000\nid: 9-0\n\n")
        let resumed = String(buffer: EventStreamFrame.opening(client: "demo", retry: .seconds(2), start: nil))
        #expect(!resumed.contains("id:"))
        #expect(String(buffer: EventStreamFrame.heartbeat(passed: nil)) == ": keep-alive\n\n")
    }
}

@Suite struct EventBodyTests {
    static let key =
        #"{"api_key":{"client_id":"demo","created_at":"2026-11-23T21:41:02.823904Z","key_id":"k1","label":"\"secret_sha256\":\"x\" {[","scopes":["orders:read"],"secret_sha256":"ab12"},"client_id":"demo","event_id":"e","occurred_at":"t","type":"api_key.created","version":1}"#

    @Test func aKeyEventLeavesOutTheHashAndNothingElse() throws {
        let shown = EventBody.forClient(type: "api_key.created", body: Self.key)
        #expect(shown == Self.key.replacingOccurrences(of: #","secret_sha256":"ab12""#, with: ""))
        #expect(try JSONSerialization.jsonObject(with: Data(shown.utf8)) is [String: Any])
    }

    @Test(arguments: [
        (#"{"api_key":{"secret_sha256":"ab","b":1},"x":2}"#, #"{"api_key":{"b":1},"x":2}"#),
        (#"{"api_key":{"secret_sha256":"ab"}}"#, #"{"api_key":{}}"#),
        (#"{"a":[1,{"secret_sha256":"no"}],"api_key":{"a":{"secret_sha256":"keep"},"secret_sha256":"ab"}}"#,
         #"{"a":[1,{"secret_sha256":"no"}],"api_key":{"a":{"secret_sha256":"keep"}}}"#),
        (#"{"api_key":{"label":"x"}}"#, #"{"api_key":{"label":"x"}}"#),
    ])
    func removesOnlyTheMemberOfTheKeyObject(body: String, expected: String) {
        #expect(EventBody.forClient(type: "api_key.revoked", body: body) == expected)
    }

    @Test func otherEventsAreShownAsStored() {
        let body = #"{"secret_sha256":"x","type":"client.created"}"#
        #expect(EventBody.forClient(type: "client.created", body: body) == body)
    }
}

@Suite struct ActivityRequestTests {
    static func query(_ text: String) -> FlatDictionary<Substring, Substring> {
        URI("/v1/activity?\(text)").queryParameters
    }

    @Test func typesComeRepeatedOrAsAListAndAreSortedAndUnique() throws {
        let request = try ActivityRequest(query: Self.query("type=buy_order.created,api_key.created&type=buy_order.created"))
        #expect(request.types == ["api_key.created", "buy_order.created"])
    }

    @Test func namesEveryBadFilter() {
        do {
            _ = try ActivityRequest(query: Self.query("type=limit.changed&from=yesterday&page_size=0&last_reference=x"))
            Issue.record("accepted")
        } catch {
            #expect(error.errors.map(\.field).sorted() == ["from", "last_reference", "page_size", "type"])
        }
        #expect(Self.refused("type="))
        #expect(Self.refused("type=buy_order.created,"))
        #expect(Self.refused("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z"))
    }

    static func refused(_ text: String) -> Bool {
        do {
            _ = try ActivityRequest(query: query(text))
            return false
        } catch {
            return true
        }
    }
}

@Suite struct StreamSettingsTests {
    @Test func theFanOutWaitsLongerBetweenReadsTheMoreStreamsAreOpen() {
        let settings = StreamSettings()
        #expect(settings.coalesce(streams: 0) == .milliseconds(10))
        #expect(settings.coalesce(streams: 100) == .milliseconds(10))
        #expect(settings.coalesce(streams: 500) == .milliseconds(50))
        #expect(settings.coalesce(streams: 1000) == .milliseconds(100))
        #expect(settings.coalesce(streams: 100_000) == .milliseconds(100))
    }
}
