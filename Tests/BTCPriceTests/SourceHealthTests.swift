import Testing
import TestSupport

@testable import BTCPrice

@Suite struct SourceHealthTests {
    @Test func reportsOnlyChangesOfState() {
        var health = SourceHealth()
        #expect(health.failed(kind: "timeout") == .failing(kind: "timeout"))
        #expect(health.failed(kind: "timeout") == nil)
        #expect(health.failed(kind: "timeout") == nil)
        #expect(health.failed(kind: "status") == .failing(kind: "status"))
        #expect(health.succeeded() == .recovered(failedPolls: 4))
        #expect(health.succeeded() == nil)
        #expect(health.failed(kind: "status") == .failing(kind: "status"))
    }

    @Test func reportsFirstQuote() {
        var health = SourceHealth()
        #expect(health.succeeded() == .firstQuote)
        #expect(health.succeeded() == nil)
    }
}
