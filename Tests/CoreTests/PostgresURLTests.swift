import Core
import Foundation
import Testing

/// A password the tests put in URLs, to look for afterwards.
private let password = "Pw-3b81d0"

/// libpq's connection URIs, the multi-host form included, as WRITE_DB_URL and READ_DB_URL take them.
@Suite struct PostgresURLTests {
    @Test func readsEveryHostOfTheMultiHostForm() throws {
        let url = try PostgresURL(
            "postgresql://app:\(password)@db-1:5432,db-2,[::1]:6543/write_model?target_session_attrs=read-write&sslmode=require")
        #expect(
            url.hosts == [
                PostgresURL.Host(name: "db-1", port: 5432), PostgresURL.Host(name: "db-2", port: nil),
                PostgresURL.Host(name: "::1", port: 6543),
            ])
        #expect(url.hostList == "db-1:5432,db-2,[::1]:6543")
        #expect(url.database == "write_model")
        #expect(url.value(of: "target_session_attrs") == "read-write")
        #expect(url.value(of: "sslmode") == "require")
        #expect(!url.description.contains(password))
        #expect(url.description.hasPrefix("postgresql://app:***@db-1:5432,db-2"))
    }

    @Test func foundationRefusesWhatLibpqTakes() {
        // Why the settings hold a PostgresURL and not a URL.
        #expect(URL(string: "postgresql://h1:5432,h2:5432/db")?.host == nil)
    }

    @Test func aPasswordWithAnEncodedAtOrASlashLeavesTheHostsAlone() throws {
        let url = try PostgresURL("postgresql://u:p%40ss%2F1@h1:5432/db")
        #expect(url.hosts == [PostgresURL.Host(name: "h1", port: 5432)])
        #expect(url.database == "db")
    }

    @Test(arguments: [
        ("mysql://db/x", "the scheme is not postgresql:// or postgres://"),
        ("postgresql:///x", "an entry of the host list is not a host name or address"),
        ("postgresql://h1,/x", "an entry of the host list is not a host name or address"),
        ("postgresql://h1:0/x", "a port is not from 1 to 65535"),
        ("postgresql://h1:54x/x", "a port is not from 1 to 65535"),
        ("postgresql://[::1/x", "an IPv6 address lacks its closing ]"),
        ("postgresql://h1/x?sslmode", "a query parameter is not name=value"),
        ("postgresql://h1/x?target_session_attrs=primary-first",
         "target_session_attrs is not one of any, read-write, read-only, primary, standby, prefer-standby"),
    ])
    func refusesWhatLibpqWouldRefuseSayingWhy(text: String, reason: String) {
        #expect {
            try PostgresURL(text)
        } throws: { error in
            (error as? PostgresURL.Invalid)?.description == reason
        }
    }

    @Test(arguments: ["WRITE_DB_URL", "READ_DB_URL"])
    func namesTheVariableAndHidesThePasswordOfAMalformedList(variable: String) {
        let environment = EnvironmentReader([variable: "postgresql://u:\(password)@h1:5432,:5433/db"])
        #expect {
            _ = variable == "WRITE_DB_URL" ? try DatabaseSettings.write(environment) : try DatabaseSettings.read(environment)
        } throws: { error in
            "\(error)"
                == "\(variable) must be a postgresql or postgres URL with a host, or several as host:port,host:port "
                + "(an entry of the host list is not a host name or address), got \"postgresql://u:***@h1:5432,:5433/db\""
        }
    }

    @Test func theWriteModelAndTheReadModelsWritersAskForAReadWriteSession() throws {
        let environment = EnvironmentReader([
            "WRITE_DB_URL": "postgresql://h1:5432,h2:5432/write_model",
            "READ_DB_URL": "postgresql://h1:5432,h2:5432/read_model",
        ])
        for settings in [try DatabaseSettings.write(environment), try DatabaseSettings.read(environment)] {
            let conninfo = settings.options.conninfo(for: settings.url)
            #expect(conninfo.hasPrefix("postgresql://h1:5432,h2:5432/"))
            #expect(conninfo.contains("&target_session_attrs=read-write"))
        }
    }

    @Test func aReaderTakesWhatTheURLAsksForAndTheURLWinsOverTheDefault() throws {
        let standbyFirst = try DatabaseSettings.read(
            EnvironmentReader(["READ_DB_URL": "postgresql://ro:5432,rw:5432/read_model?target_session_attrs=prefer-standby"]),
            writes: false)
        let conninfo = standbyFirst.options.conninfo(for: standbyFirst.url)
        #expect(conninfo.components(separatedBy: "target_session_attrs=").count == 2)
        #expect(conninfo.contains("target_session_attrs=prefer-standby"))
        let plain = try DatabaseSettings.read(EnvironmentReader([:]), writes: false)
        #expect(!plain.options.conninfo(for: plain.url).contains("target_session_attrs"))
        let any = try DatabaseSettings.write(EnvironmentReader(["WRITE_DB_URL": "postgresql://db/w?target_session_attrs=any"]))
        #expect(any.options.conninfo(for: any.url).components(separatedBy: "target_session_attrs=").count == 2)
    }

    @Test func toolsKeepTheChoiceOfServerWithoutTheTimeouts() throws {
        let tools = try DatabaseSettings.write(EnvironmentReader([:])).forTools
        #expect(tools.options.statementTimeout == nil && tools.options.lockTimeout == nil)
        #expect(tools.options.targetSessionAttributes == "read-write")
    }
}
