import Testing

@testable import CreateBuyOrder

@Suite struct ContentTypeTests {
    @Test(arguments: [
        "application/json", "Application/JSON", "application/json; charset=utf-8", " application/json ;charset=UTF-8",
        "\tapplication/json",
    ])
    func acceptsJSONInAnyCaseWithParameters(contentType: String) {
        #expect(JSONRequestBody.isJSON(contentType))
    }

    @Test(arguments: [
        "", "text/plain", "application/jsonx", "application/json-patch+json", "application/x-www-form-urlencoded",
        "application/ json", "json", ";application/json",
    ])
    func refusesEveryOtherMediaType(contentType: String) {
        #expect(!JSONRequestBody.isJSON(contentType))
    }
}
