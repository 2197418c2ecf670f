import Core
import Foundation
import Testing

@Suite struct ConnectionOptionsTests {
    /// The query parameters of a conninfo URL, percent-decoded, by name.
    private static func parameters(_ conninfo: String) -> [String: String] {
        guard let query = conninfo.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
        var parameters: [String: String] = [:]
        for item in query.split(separator: "&") {
            let parts = item.split(separator: "=", maxSplits: 1)
            parameters[String(parts[0])] = parts.count > 1 ? String(parts[1]).removingPercentEncoding : ""
        }
        return parameters
    }

    @Test func servicesGetKeepalivesAUserTimeoutAndStatementAndLockTimeouts() throws {
        let conninfo = try ConnectionOptions.services.conninfo(for: PostgresURL("postgresql://postgres@db:5432/write_model"))
        #expect(conninfo.hasPrefix("postgresql://postgres@db:5432/write_model?"))
        #expect(
            Self.parameters(conninfo) == [
                "connect_timeout": "5", "keepalives": "1", "keepalives_idle": "10", "keepalives_interval": "5",
                "keepalives_count": "3", "tcp_user_timeout": "20000",
                "options": "-c lock_timeout=2000 -c plan_cache_mode=force_generic_plan -c statement_timeout=5000",
            ])
    }

    @Test func toolsGetNoStatementOrLockTimeout() throws {
        let parameters = Self.parameters(try ConnectionOptions().conninfo(for: PostgresURL("postgresql://db/write_model")))
        #expect(parameters["options"] == nil)
        #expect(parameters["keepalives_idle"] == "10")
    }

    @Test func aParameterTheURLSetsWinsAndItsOwnOptionsComeLast() throws {
        let url = try PostgresURL("postgresql://db/m?connect_timeout=30&keepalives_idle=60&options=-c%20statement_timeout%3D100")
        let parameters = Self.parameters(ConnectionOptions.services.conninfo(for: url))
        #expect(parameters["connect_timeout"] == "30")
        #expect(parameters["keepalives_idle"] == "60")
        #expect(parameters["keepalives_interval"] == "5")
        // PostgreSQL applies -c settings in order, so the URL's statement_timeout=100 overrides ours.
        #expect(
            parameters["options"]
                == "-c lock_timeout=2000 -c plan_cache_mode=force_generic_plan -c statement_timeout=5000 -c statement_timeout=100")
    }

    @Test func readsTheDBVariablesWithZeroMeaningNoLimit() throws {
        let options = try ConnectionOptions(
            EnvironmentReader([
                "DB_STATEMENT_TIMEOUT_MS": "0", "DB_LOCK_TIMEOUT_MS": "750", "DB_CONNECT_TIMEOUT_S": "3",
                "DB_KEEPALIVES_IDLE_S": "30", "DB_KEEPALIVES_INTERVAL_S": "2", "DB_KEEPALIVES_COUNT": "4",
                "DB_TCP_USER_TIMEOUT_MS": "9000",
            ]))
        #expect(options.statementTimeout == nil)
        #expect(options.lockTimeout == .milliseconds(750))
        #expect(options.connectTimeout == .seconds(3))
        #expect(options.keepalivesIdle == .seconds(30))
        #expect(options.keepalivesInterval == .seconds(2))
        #expect(options.keepalivesCount == 4)
        #expect(options.tcpUserTimeout == .milliseconds(9000))
        #expect(try ConnectionOptions(EnvironmentReader([:])) == .services)
        #expect(try DatabaseSettings.write(EnvironmentReader(["DB_LOCK_TIMEOUT_MS": "750"])).options.lockTimeout == .milliseconds(750))
    }

    @Test(arguments: [
        ("DB_STATEMENT_TIMEOUT_MS", "5s", "DB_STATEMENT_TIMEOUT_MS must be an integer from 0 to 86400000, got \"5s\""),
        ("DB_LOCK_TIMEOUT_MS", "-1", "DB_LOCK_TIMEOUT_MS must be an integer from 0 to 86400000, got \"-1\""),
        ("DB_CONNECT_TIMEOUT_S", "1", "DB_CONNECT_TIMEOUT_S must be an integer from 2 to 300, got \"1\""),
        ("DB_KEEPALIVES_COUNT", "0", "DB_KEEPALIVES_COUNT must be an integer from 1 to 100, got \"0\""),
    ])
    func refusesAMalformedValueNamingTheVariable(variable: String, value: String, message: String) {
        #expect {
            _ = try DatabaseSettings.read(EnvironmentReader([variable: value]))
        } throws: { error in
            (error as? ConfigurationError)?.description == message
        }
    }
}
