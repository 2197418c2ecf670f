import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import FetchBuyOrders

/// Events written straight into the read model's activity, as read-model-sync keeps them.
struct ActivityFixtures {
    let database: TestDatabase

    struct Event: Sendable, Equatable {
        let id: String
        let type: String
        let occurredAt: String
    }

    static let types = ["buy_order.created", "api_key.created", "client.rate_limit_changed"]

    /// `count` events of `client`, types cycling through `types`, two per millisecond from `start`.
    @discardableResult
    func insert(count: Int, client: String? = "default", start: String = "2026-01-01T00:00:00Z") throws -> [Event] {
        let rows = try database.connect().query(
            """
            INSERT INTO activity (event_id, type, client_id, occurred_at, body)
            SELECT id, type, \(client), at,
                   json_build_object('event_id', id, 'type', type, 'occurred_at', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                                     'api_key', json_build_object('key_id', 'k', 'secret_sha256', 'ab12'))::text
            FROM (SELECT gen_random_uuid() AS id, (\(Self.types)::text[])[1 + g % 3] AS type,
                         \(start)::timestamptz + (g / 2) * interval '1 millisecond' AS at
                  FROM generate_series(0, \(count) - 1) AS g) e
            RETURNING event_id::text AS id, type, \(unsafeSQL: BuyOrderView.createdAtSQL("occurred_at")) AS at
            """)
        return try rows.map { Event(id: try $0.text("id"), type: try $0.text("type"), occurredAt: try $0.text("at")) }
    }
}

extension Array where Element == ActivityFixtures.Event {
    /// Newest first: `occurred_at` descending, then the event id descending.
    var newestFirst: [String] { sorted { ($0.occurredAt, $0.id) > ($1.occurredAt, $1.id) }.map(\.id) }
}

@Suite struct ActivityRouteTests {
    struct Page: Decodable {
        let rows: [[String: AnyDecodable]]
        let last_reference: String?
        var ids: [String] { rows.compactMap { $0["event_id"]?.text } }
    }

    /// Just enough of a JSON value to read an event's fields.
    struct AnyDecodable: Decodable {
        let text: String?
        let object: [String: AnyDecodable]?
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            text = try? container.decode(String.self)
            object = try? container.decode([String: AnyDecodable].self)
        }
    }

    static func walk(_ client: some TestClientProtocol, _ uri: String) async throws -> [String] {
        var ids: [String] = []
        var next: String? = uri
        while let current = next {
            let page = try await client.execute(uri: current, method: .get) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                return try response.decode(Page.self)
            }
            ids += page.ids
            #expect(page.last_reference == nil || page.last_reference == page.ids.last)
            next = page.last_reference.map { "\(uri)&last_reference=\($0)" }
        }
        return ids
    }

    @Test func walkReturnsEveryEventOfTheClientOnceNewestFirst() async throws {
        let database = try TestDatabase.create(.readModel)
        let fixtures = ActivityFixtures(database: database)
        let events = try fixtures.insert(count: 500)
        try fixtures.insert(count: 50, client: "someone-else")
        try fixtures.insert(count: 5, client: nil)  // the operator's: nobody's
        try await makeApplication(database: database).test(.router) { client in
            let small = try await Self.walk(client, "/v1/activity?page_size=7")
            let large = try await Self.walk(client, "/v1/activity?page_size=100")
            #expect(small == events.newestFirst)
            #expect(large == events.newestFirst)
            let first = try await client.execute(uri: "/v1/activity", method: .get) { try $0.decode(Page.self) }
            #expect(first.ids == Array(events.newestFirst.prefix(10)))
        }
    }

    @Test func filtersByOneOrSeveralTypesAndByTime() async throws {
        let database = try TestDatabase.create(.readModel)
        let events = try ActivityFixtures(database: database).insert(count: 300)
        try await makeApplication(database: database).test(.router) { client in
            let orders = events.filter { $0.type == "buy_order.created" }
            let one = try await Self.walk(client, "/v1/activity?page_size=9&type=buy_order.created")
            #expect(one == orders.newestFirst)
            let two = events.filter { $0.type != "api_key.created" }
            let listed = try await Self.walk(client, "/v1/activity?page_size=9&type=buy_order.created,client.rate_limit_changed")
            let repeated = try await Self.walk(client, "/v1/activity?page_size=9&type=buy_order.created&type=client.rate_limit_changed")
            #expect(listed == two.newestFirst)
            #expect(repeated == two.newestFirst)
            let (from, to) = ("2026-01-01T00:00:00.020Z", "2026-01-01T00:00:00.100Z")
            let window = events.filter { $0.occurredAt >= "2026-01-01T00:00:00.020000Z" && $0.occurredAt < "2026-01-01T00:00:00.100000Z" }
            let timed = try await Self.walk(client, "/v1/activity?page_size=8&from=\(from)&to=\(to)")
            let typedAndTimed = try await Self.walk(client, "/v1/activity?page_size=8&type=api_key.created&from=\(from)&to=\(to)")
            #expect(timed == window.newestFirst)
            #expect(typedAndTimed == window.filter { $0.type == "api_key.created" }.newestFirst)
        }
    }

    @Test func aKeyEventIsShownWithoutTheHashOfItsSecret() async throws {
        let database = try TestDatabase.create(.readModel)
        try ActivityFixtures(database: database).insert(count: 3)
        try await makeApplication(database: database).test(.router) { client in
            try await client.execute(uri: "/v1/activity?type=api_key.created", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#""key_id""#) && !text.contains("secret_sha256") && !text.contains("ab12"), "\(text)")
            }
            try await client.execute(uri: "/v1/activity?type=buy_order.created", method: .get) { response in
                #expect(String(buffer: response.body).contains("secret_sha256"))  // only key events are trimmed
            }
        }
    }

    @Test func badFiltersAre422sNamingThem() async throws {
        let database = try TestDatabase.create(.readModel)
        let mine = try ActivityFixtures(database: database).insert(count: 3)
        let theirs = try ActivityFixtures(database: database).insert(count: 1, client: "someone-else")
        try await makeApplication(database: database).test(.router) { client in
            for (query, field) in [
                ("type=limit.changed", "type"), ("type=nope", "type"), ("from=yesterday", "from"), ("to=1", "to"),
                ("page_size=101", "page_size"), ("last_reference=x", "last_reference"),
                ("last_reference=\(theirs[0].id)", "last_reference"), ("last_reference=\(UUID().uuidString)", "last_reference"),
            ] {
                let (status, fields) = try await client.execute(uri: "/v1/activity?\(query)", method: .get) { response in
                    (response.status, try response.decode(ProblemBody.self).fields)
                }
                #expect(status == .unprocessableContent && fields == [field], "\(query)")
            }
            // The client's own last event is a reference to an empty last page.
            let oldest = try #require(mine.newestFirst.last)
            try await client.execute(uri: "/v1/activity?last_reference=\(oldest)", method: .get) { response in
                #expect(response.status == .ok && String(buffer: response.body) == #"{"rows":[],"last_reference":null}"#)
            }
        }
    }
}
