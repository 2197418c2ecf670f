import Core
import Foundation
import Logging
import Testing

@Suite struct ConfigurationTests {
    @Test func usesDefaultsWhenNothingIsSet() throws {
        let environment = EnvironmentReader([:])
        let server = try HTTPServerSettings(environment: environment, defaultPort: 8778)
        #expect(server.host == "127.0.0.1")
        #expect(server.port == 8778)
        #expect(server.logLevel == .info)
        #expect(try DatabaseSettings.write(environment).url.text == DatabaseSettings.defaultWriteURL)
        #expect(try DatabaseSettings.read(environment).url.text == DatabaseSettings.defaultReadURL)
    }

    @Test func readsEveryVariableItIsGiven() throws {
        let environment = EnvironmentReader([
            "HOST": "0.0.0.0", "PORT": "9000", "LOG_LEVEL": "DEBUG",
            "READ_DB_URL": "postgres://reader@db:6543/read_model", "READ_DB_POOL_SIZE": "32",
        ])
        let server = try HTTPServerSettings(environment: environment, defaultPort: 8778)
        let database = try DatabaseSettings.read(environment)
        #expect(server.host == "0.0.0.0")
        #expect(server.port == 9000)
        #expect(server.logLevel == .debug)
        #expect(database.url.hosts == [PostgresURL.Host(name: "db", port: 6543)])
        #expect(database.poolSize == 32)
    }

    @Test(arguments: [
        ("PORT", "abc", "PORT must be an integer from 1 to 65535, got \"abc\""),
        ("PORT", "70000", "PORT must be an integer from 1 to 65535, got \"70000\""),
        ("LOG_LEVEL", "loud", "LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical, got \"loud\""),
        ("WRITE_DB_URL", "mysql://x/y",
         "WRITE_DB_URL must be a postgresql or postgres URL with a host, or several as host:port,host:port (the scheme is not postgresql:// or postgres://), got \"mysql://x/y\""),
        ("WRITE_DB_POOL_SIZE", "0", "WRITE_DB_POOL_SIZE must be an integer from 1 to 256, got \"0\""),
    ])
    func refusesAMalformedValueNamingTheVariable(variable: String, value: String, message: String) {
        let environment = EnvironmentReader([variable: value])
        #expect {
            _ = try HTTPServerSettings(environment: environment, defaultPort: 8777)
            _ = try DatabaseSettings.write(environment)
        } throws: { error in
            (error as? ConfigurationError)?.description == message
        }
    }

    @Test func treatsAnEmptyValueAsUnset() throws {
        let server = try HTTPServerSettings(environment: EnvironmentReader(["PORT": ""]), defaultPort: 8779)
        #expect(server.port == 8779)
    }

    @Test func offersOnlyTheAllowedChoices() {
        #expect(throws: ConfigurationError.self) {
            try EnvironmentReader(["PRICE_SOURCE": "bloomberg"]).choice(
                "PRICE_SOURCE", default: "coinbase", among: ["coinbase", "simulated"])
        }
    }
}
