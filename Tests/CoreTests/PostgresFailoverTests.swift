import Core
import Foundation
import HTTPTypes
import Testing
import TestSupport

/// A private primary with a streaming standby (scripts/postgres_standby.sh), and pools on a multi-host
/// URL of both, as WRITE_DB_URL and READ_DB_URL take it.
@Suite(.serialized) struct PostgresFailoverTests {
    /// `postgresql://postgres@127.0.0.1:A,127.0.0.1:B/write_model` with `query` appended.
    static func url(_ ports: [Int], _ query: String = "") -> String {
        "postgresql://postgres@" + ports.map { "127.0.0.1:\($0)" }.joined(separator: ",") + "/write_model" + query
    }

    static func writePool(_ ports: [Int], poolSize: Int = 2, logs: LogRecorder = LogRecorder()) throws -> PostgresClient {
        var settings = try DatabaseSettings.write(EnvironmentReader(["WRITE_DB_URL": url(ports)]))
        settings.poolSize = poolSize
        return PostgresClient(settings: settings, logger: logs.logger())
    }

    /// The port of the server that answered, and whether it is a standby.
    static func server(_ client: PostgresClient) async throws -> (port: Int, standby: Bool) {
        let row = try #require(
            try await client.query("SELECT inet_server_port() AS port, pg_is_in_recovery()::text AS standby").first)
        return (Int(try row.text("port")) ?? 0, try row.text("standby") == "true")
    }

    static func insert(_ client: PostgresClient) async throws -> Int {
        let row = try #require(
            try await client.query("INSERT INTO failover_probe (n) VALUES (1) RETURNING inet_server_port() AS port").first)
        return Int(try row.text("port")) ?? 0
    }

    /// A primary with table `failover_probe`, and its standby once that table reached it.
    static func withPair(_ body: @Sendable (PrivateServer, PrivateStandby) async throws -> Void) async throws {
        try await withPrivateServer(.postgres) { primary in
            try primary.database("write_model").connect().query("CREATE TABLE failover_probe (n int)")
            let standby = try await onOwnThread { try PrivateStandby.start(of: primary) }
            defer { standby.stop() }
            let replica = try PrivateStandbyDatabase(port: standby.port)
            try await expectEventually(within: .seconds(30)) {
                (try? replica.connect().query("SELECT count(*) AS n FROM failover_probe")) != nil
            }
            try await body(primary, standby)
        }
    }

    @Test func aReadWritePoolReachesThePrimaryWhicheverHostIsListedFirst() async throws {
        try await Self.withPair { primary, standby in
            for ports in [[standby.port, primary.port], [primary.port, standby.port]] {
                let client = try Self.writePool(ports)
                let server = try await Self.server(client)
                #expect(server.port == primary.port && !server.standby, "hosts \(ports)")
                await client.close()
            }
            // A reader asking for a standby gets one, whichever host is listed first.
            for ports in [[primary.port, standby.port], [standby.port, primary.port]] {
                let settings = try DatabaseSettings.read(
                    EnvironmentReader(["READ_DB_URL": Self.url(ports, "?target_session_attrs=prefer-standby")]), writes: false)
                let client = PostgresClient(settings: settings, logger: TestServers.logger)
                let server = try await Self.server(client)
                #expect(server.port == standby.port && server.standby, "hosts \(ports)")
                await client.close()
            }
        }
    }

    @Test func theWritePoolFollowsTheStandbyPromotedAfterThePrimaryStopped() async throws {
        try await Self.withPair { primary, standby in
            let logs = LogRecorder()
            let client = try Self.writePool([primary.port, standby.port], logs: logs)
            #expect(try await Self.insert(client) == primary.port)

            try await onOwnThread { try primary.pause() }
            await #expect(throws: PostgresError.self) { _ = try await Self.insert(client) }
            // Not promoted yet: the standby is no read-write host, so nothing is written there.
            await #expect(throws: PostgresError.self) { _ = try await Self.insert(client) }

            try await onOwnThread { try standby.promote() }
            try await expectEventually(within: .seconds(20)) {
                (try? await Self.insert(client)) == standby.port
            }
            let server = try await Self.server(client)
            #expect(server.port == standby.port && !server.standby)
            #expect(logs.count("database reachable again") == 1)
            await client.close()
        }
    }

    @Test func aPooledConnectionWhoseServerRefusedAWriteIsReplacedByOneToAReadWriteHost() async throws {
        try await Self.withPair { primary, standby in
            // Two servers that take writes; then the first turns read-only under the pool's open connection,
            // as a primary does that is being demoted.
            try await onOwnThread { try standby.promote() }
            let client = try Self.writePool([primary.port, standby.port], poolSize: 1)
            #expect(try await Self.insert(client) == primary.port)
            let admin = try primary.database("write_model").connect()
            try admin.query("ALTER SYSTEM SET default_transaction_read_only = on")
            try admin.query("SELECT pg_reload_conf()")
            try await expectEventually(within: .seconds(10)) {
                try primary.database("write_model").connect().query("SHOW default_transaction_read_only").first?[
                    "default_transaction_read_only"] == "on"
            }

            let refused = await #expect(throws: PostgresError.self) { _ = try await Self.insert(client) }
            #expect(refused?.code == .readOnly)
            #expect(refused.flatMap { Problem.unavailable(for: $0) }?.status.code == 503)
            // The connection that met the refusal was dropped: libpq picks the read-write host.
            #expect(try await Self.insert(client) == standby.port)
            #expect(try await Self.insert(client) == standby.port)
            await client.close()
        }
    }
}

/// The standby's write_model, for looking at what reached it.
private struct PrivateStandbyDatabase {
    let url: URL

    init(port: Int) throws {
        url = URL(string: "postgresql://postgres@127.0.0.1:\(port)/write_model")!
    }

    func connect() throws -> PostgresConnection { try PostgresConnection(url: url) }
}
