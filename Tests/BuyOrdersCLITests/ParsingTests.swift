import Core
import Foundation
import Testing

@testable import BuyOrdersCLI

/// The pure parts of `buyorders`: the event-stream parser, the settings, the table and CSV rows.
@Suite struct ParsingTests {
    @Test func splitsEventsAcrossChunksAndLineEndings() {
        var parser = ServerSentEventParser()
        let text = ": buy orders of client demo\nretry: 1000\nid: 7\n\nid: 8\r\nevent: buy_order\r\ndata: {\"a\":1}\r\n\r\n: keep-alive\rid: 9\r\r"
        var events: [ServerSentEventParser.Event] = []
        var seen: [String] = []
        for byte in text.utf8 {
            events += parser.feed([byte])
            seen.append(parser.lastEventID)
        }
        #expect(events == [.init(type: "buy_order", data: #"{"a":1}"#, id: "8")])
        #expect(parser.lastEventID == "9")
        #expect(seen.contains("7"))
    }

    @Test func joinsDataLinesAndKeepsTheIDWithoutData() {
        var parser = ServerSentEventParser(lastEventID: "3")
        #expect(parser.feed(Array("data: one\ndata:two\n\n".utf8)) == [.init(type: "message", data: "one\ntwo", id: "3")])
        #expect(parser.feed(Array("id: 4\n\n".utf8)).isEmpty)
        #expect(parser.lastEventID == "4")
        #expect(parser.feed(Array("data: partial".utf8)).isEmpty)
    }

    @Test func validatesEachVariableByName() throws {
        let settings = try CLISettings(environment: ["BUYORDERS_CREATE_URL": "https://orders.example.com/api/"])
        #expect(settings.createURL == "https://orders.example.com/api")
        #expect(settings.fetchURL == "http://127.0.0.1:8778" && settings.priceURL == "http://127.0.0.1:8779")
        #expect(throws: CLIFailure.usage(#"BUYORDERS_PRICE_URL must be an http:// or https:// URL such as http://127.0.0.1:8779, got "127.0.0.1:8779""#)) {
            try CLISettings(environment: ["BUYORDERS_PRICE_URL": "127.0.0.1:8779"])
        }
        let token = APIKey.generate().token
        #expect(try CLISettings(environment: ["BUYORDERS_API_KEY": token]).authorization() == ["Authorization": "Bearer \(token)"])
        do {
            _ = try CLISettings(environment: ["BUYORDERS_API_KEY": token + "!"])
            Issue.record("a malformed key was accepted")
        } catch {
            #expect(error.exitStatus == 2 && !error.description.contains(token))
        }
    }

    @Test func alignsNumbersRightAndQuotesCSVOnlyWhereNeeded() throws {
        let table = Table(columns: [.init("ID"), .init("AMOUNT", alignRight: true)], rows: [["a", "5.00"], ["bbb", "123.45"]])
        #expect(table.description == "ID   AMOUNT\na      5.00\nbbb  123.45")
        #expect(Order.csvField("plain") == "plain")
        #expect(Order.csvField(#"a,"b""#) == #""a,""b""""#)
    }

    @Test func refusesAnOrderWithAMalformedFigure() throws {
        let good = #"{"id":"b6b90e35-1eaf-459c-9310-3a20379a5257","created_at":"2026-12-01T16:25:18.904620Z","currency":"USD","currency_amount":"123.45","btc_rate":"48032.63","btc_amount":"0.00257013"}"#
        let order = try Order(try JSONParser().parseObject(Array(good.utf8)))
        #expect(order.view.json == good)
        #expect(order.csvRow == "b6b90e35-1eaf-459c-9310-3a20379a5257,2026-12-01T16:25:18.904620Z,USD,123.45,48032.63,0.00257013,")
        let bad = good.replacingOccurrences(of: #""0.00257013""#, with: "0.00257013")
        #expect(throws: CLIFailure.self) { try Order(try JSONParser().parseObject(Array(bad.utf8))) }
    }
}
