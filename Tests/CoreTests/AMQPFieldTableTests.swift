import Testing

@testable import Core

@Suite struct AMQPFieldTableTests {
    @Test func fieldTablesSurviveARoundTripThroughC() throws {
        let fields: [String: AMQPFieldValue] = [
            "x-death-reason": "not JSON", "x-delivery-count": 3, "flag": true, "when": .timestamp(1_700_000_000),
            "raw": .bytes([0, 1, 255]), "nothing": .void,
            "nested": .table(["list": .array(["a", 1, .table(["deep": false])])]),
        ]
        let arena = AMQPArena()
        #expect(AMQPFieldTable.decode(try arena.table(fields)) == fields)
    }
}
