import Core
import Testing

@Suite struct HTTPServerSettingsTests {
    @Test func defaultsBoundEveryLimit() throws {
        let settings = try HTTPServerSettings(environment: EnvironmentReader([:]), defaultPort: 8777, openFileLimit: 20000)
        #expect(settings.port == 8777 && settings.host == "127.0.0.1")
        #expect(settings.headerTimeout == .seconds(10))
        #expect(settings.idleTimeout == .seconds(75))
        #expect(settings.maxConnections == 1024)
        #expect(settings.drainGrace == .seconds(1))
    }

    @Test func readsEveryLimitFromTheEnvironment() throws {
        let settings = try HTTPServerSettings(
            environment: EnvironmentReader([
                "HTTP_HEADER_TIMEOUT_S": "3", "HTTP_IDLE_TIMEOUT_S": "30", "HTTP_MAX_CONNECTIONS": "5000",
                "HTTP_DRAIN_GRACE_MS": "0",
            ]), defaultPort: 8777, openFileLimit: 20000)
        #expect(settings.headerTimeout == .seconds(3))
        #expect(settings.idleTimeout == .seconds(30))
        #expect(settings.maxConnections == 5000)
        #expect(settings.drainGrace == .zero)
    }

    @Test func keepsTheDefaultBoundBelowTheOpenFileLimit() throws {
        #expect(HTTPServerSettings.defaultMaxConnections(openFileLimit: 1024) == 512)
        #expect(HTTPServerSettings.defaultMaxConnections(openFileLimit: 1_048_576) == 1024)
        #expect(HTTPServerSettings.defaultMaxConnections(openFileLimit: 1) == 1)
        #expect(HTTPServerSettings.openFileLimit() > 0)
    }

    @Test(arguments: [
        ("HTTP_HEADER_TIMEOUT_S", "0", "an integer from 1 to 600"), ("HTTP_HEADER_TIMEOUT_S", "2s", "an integer from 1 to 600"),
        ("HTTP_IDLE_TIMEOUT_S", "-1", "an integer from 1 to 3600"), ("HTTP_MAX_CONNECTIONS", "0", "an integer from 1 to 960"),
        ("HTTP_MAX_CONNECTIONS", "1000", "an integer from 1 to 960"), ("HTTP_DRAIN_GRACE_MS", "3001", "an integer from 0 to 3000"),
    ])
    func refusesAMalformedLimitNamingIt(variable: String, value: String, expected: String) {
        do {
            _ = try HTTPServerSettings(environment: EnvironmentReader([variable: value]), defaultPort: 8777, openFileLimit: 1024)
            Issue.record("\(variable)=\(value) was accepted")
        } catch {
            #expect("\(error)" == "\(variable) must be \(expected), got \"\(value)\"")
        }
    }
}
