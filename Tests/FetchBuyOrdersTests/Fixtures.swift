import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing
import TestSupport

@testable import FetchBuyOrders

/// The service over its own database, as `main` builds it.
func makeApplication(database: TestDatabase) async throws -> some ApplicationProtocol {
    let settings = FetchBuyOrdersSettings(server: HTTPServerSettings(port: 0), readDatabase: database.settings(), access: .anonymousDefault)
    return try await buildFetchBuyOrders(settings: settings, logger: TestServers.logger, metrics: PrometheusCollectorRegistry())
}

/// Orders written straight into the read model, as read-model-sync would project them.
struct OrderFixtures {
    let database: TestDatabase

    /// Inserts `count` orders for `client` in shuffled physical order: order `g` (0-based) has sequence
    /// `firstSequence + g` and `created_at = start + (g / perTimestamp) ms`, so each group of
    /// `perTimestamp` orders ties on `created_at`, and newest first means `sequence` descending.
    /// Currencies cycle USD, EUR, GBP by `g`.
    @discardableResult
    func insert(
        count: Int, client: String = "default", firstSequence: Int = 1, perTimestamp: Int = 1,
        start: String = "2026-01-01T00:00:00Z"
    ) throws -> [Order] {
        let rows = try database.connect().query(
            """
            INSERT INTO buy_order (id, sequence, client_id, currency, currency_amount, btc_rate, btc_amount,
                                   rate_source, rate_quoted_at, created_at)
            SELECT gen_random_uuid(), \(firstSequence) + g, \(client), (ARRAY['USD', 'EUR', 'GBP'])[1 + g % 3],
                   (g % 100000 + 1)::numeric / 100, 48478.88, 0.00254647, 'test',
                   \(start)::timestamptz, \(start)::timestamptz + (g / \(perTimestamp)) * interval '1 millisecond'
            FROM generate_series(0, \(count) - 1) AS g
            ORDER BY random()
            RETURNING id, sequence, currency, \(unsafeSQL: BuyOrderView.createdAtSQL("created_at")) AS created_at_text
            """)
        return try rows.map {
            Order(
                id: try $0.text("id"), sequence: try $0.int("sequence"), currency: try $0.text("currency"),
                createdAt: try $0.text("created_at_text"))
        }
    }

    /// One order with exactly these values.
    func insert(
        id: UUID = UUID(), client: String = "default", sequence: Int, currency: String = "USD",
        currencyAmount: String = "123.45", btcRate: String = "48478.88", btcAmount: String = "0.00254647",
        createdAt: String
    ) throws -> UUID {
        try database.connect().query(
            """
            INSERT INTO buy_order (id, sequence, client_id, currency, currency_amount, btc_rate, btc_amount,
                                   rate_source, rate_quoted_at, created_at)
            VALUES (\(id), \(sequence), \(client), \(currency), \(currencyAmount)::numeric, \(btcRate)::numeric,
                    \(btcAmount)::numeric, 'test', \(createdAt)::timestamptz, \(createdAt)::timestamptz)
            """)
        return id
    }

    struct Order: Sendable, Equatable {
        let id: String
        let sequence: Int64
        let currency: String
        let createdAt: String
    }
}

extension Array where Element == OrderFixtures.Order {
    /// The ids newest first, by construction of the fixtures: `sequence` descending.
    var newestFirst: [String] { sorted { $0.sequence > $1.sequence }.map(\.id) }
}

// MARK: - Response bodies

struct PageBody: Decodable, Sendable {
    struct Row: Decodable, Sendable, Equatable {
        let id: String
        let created_at: String
        let currency: String
        let currency_amount: String
        let btc_rate: String
        let btc_amount: String
    }

    let rows: [Row]
    let last_reference: String?
}

struct ProblemBody: Decodable, Sendable {
    struct FieldError: Decodable, Sendable {
        let field: String
        let message: String
    }

    let status: Int
    let errors: [FieldError]?

    var fields: [String] { errors?.map(\.field) ?? [] }
}

extension TestResponse {
    func decode<Body: Decodable>(_ type: Body.Type) throws -> Body {
        try JSONDecoder().decode(Body.self, from: Data(body.readableBytesView))
    }
}

extension TestClientProtocol {
    /// `GET uri`, expecting a page.
    func page(_ uri: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> PageBody {
        try await execute(uri: uri, method: .get) { response in
            #expect(response.status == .ok, "\(uri): \(String(buffer: response.body))", sourceLocation: sourceLocation)
            return try response.decode(PageBody.self)
        }
    }

    /// Follows `last_reference` from `uri` (which has a query), starting after `start` when given, until the
    /// last page; returns every id seen. `afterEachPage` runs between pages, to change the data under the walk.
    func walk(_ uri: String, after start: String? = nil, afterEachPage: () throws -> Void = {}) async throws
        -> [String]
    {
        var ids: [String] = []
        var page = try await self.page(start.map { "\(uri)&last_reference=\($0)" } ?? uri)
        ids += page.rows.map(\.id)
        while let reference = page.last_reference {
            #expect(reference == page.rows.last?.id)
            try afterEachPage()
            page = try await self.page("\(uri)&last_reference=\(reference)")
            ids += page.rows.map(\.id)
        }
        return ids
    }
}
