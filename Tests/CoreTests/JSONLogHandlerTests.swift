import Core
import Foundation
import Logging
import Testing

@Suite struct JSONLogHandlerTests {
    @Test func writesOneJSONObjectPerLine() throws {
        let output = LogOutput.capture()
        var logger = Logger(label: "test") { _ in JSONLogHandler(service: "btc-price", level: .info, output: output) }
        logger[metadataKey: "request.id"] = "r-1"
        logger.info("quote refreshed", metadata: ["currency": "USD", "note": "line\nbreak \"quoted\""])
        logger.debug("not written at info")

        let lines = output.captured
        #expect(lines.count == 1)
        let object = try #require(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["service"] as? String == "btc-price")
        #expect(object["level"] as? String == "info")
        #expect(object["event"] as? String == "quote refreshed")
        #expect((object["time"] as? String)?.hasSuffix("Z") == true)
        let fields = try #require(object["fields"] as? [String: Any])
        #expect(fields["request.id"] as? String == "r-1")
        #expect(fields["note"] as? String == "line\nbreak \"quoted\"")
        #expect(!lines[0].contains("\n"))
    }
}
