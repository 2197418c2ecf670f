import Core
import Logging
import Testing
import TestSupport

@testable import BTCPrice

@Suite struct SettingsTests {
    @Test func usesDocumentedDefaults() throws {
        let settings = try BTCPriceSettings(environment: EnvironmentReader([:]))
        #expect(settings.server.port == 8779)
        #expect(settings.server.host == "127.0.0.1")
        #expect(settings.source == .coinbase)
        #expect(settings.sourceURL == "https://api.coinbase.com/v2/prices")
        #expect(settings.maxAge == .seconds(10))
        #expect(settings.pollInterval == .seconds(1))
        #expect(settings.upstream.connectTimeout == .seconds(2))
        #expect(settings.upstream.timeout == .seconds(3))
        #expect(settings.upstream.maxResponseSize == 64 * 1024)
        #expect(!settings.upstream.followRedirects)
    }

    @Test func readsEveryVariable() throws {
        let settings = try BTCPriceSettings(
            environment: EnvironmentReader([
                "PORT": "18779", "HOST": "0.0.0.0", "PRICE_SOURCE": "simulated",
                "PRICE_SOURCE_URL": "http://127.0.0.1:9999/v2/prices/", "PRICE_MAX_AGE_S": "60",
                "PRICE_POLL_INTERVAL_MS": "250", "LOG_LEVEL": "debug",
            ]))
        #expect(settings.server.port == 18779)
        #expect(settings.server.host == "0.0.0.0")
        #expect(settings.server.logLevel == .debug)
        #expect(settings.source == .simulated)
        #expect(settings.sourceURL == "http://127.0.0.1:9999/v2/prices")
        #expect(settings.maxAge == .seconds(60))
        #expect(settings.pollInterval == .milliseconds(250))
    }

    @Test func pollsAtLeastTwicePerMaximumAgeByDefault() throws {
        let settings = try BTCPriceSettings(environment: EnvironmentReader(["PRICE_MAX_AGE_S": "1"]))
        #expect(settings.pollInterval == .milliseconds(500))
    }

    @Test(arguments: [
        ("PRICE_SOURCE", "binance"), ("PRICE_SOURCE", "Coinbase"),
        ("PRICE_MAX_AGE_S", "0"), ("PRICE_MAX_AGE_S", "3601"), ("PRICE_MAX_AGE_S", "ten"), ("PRICE_MAX_AGE_S", "1.5"),
        ("PRICE_SOURCE_URL", "ftp://example.com/prices"), ("PRICE_SOURCE_URL", "not a url"),
        ("PRICE_POLL_INTERVAL_MS", "10000"), ("PRICE_POLL_INTERVAL_MS", "0"), ("PORT", "70000"), ("LOG_LEVEL", "loud"),
    ])
    func refusesMalformedVariable(variable: String, value: String) throws {
        let error = #expect(throws: ConfigurationError.self) {
            try BTCPriceSettings(environment: EnvironmentReader([variable: value]))
        }
        #expect(error?.variable == variable)
        #expect(error?.actual == value)
    }
}
