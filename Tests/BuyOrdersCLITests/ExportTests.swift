import Core
import Foundation
import Testing
import TestSupport

/// `buyorders export` of thousands of orders, compared with what the API returns page by page.
@Suite(.serialized) struct ExportTests {
    @Test func exportsEveryOrderExactlyAsTheAPIReturnsThem() async throws {
        try await CLICluster.run { cluster in
            let key = try await cluster.client("cli-export")
            let count = 2_500
            try Self.insertOrders(count, client: "cli-export", into: cluster.read)

            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().lowercaseText)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("orders.csv").path
            let run = try await CLIRun.buyorders(["export", file], environment: cluster.environment(key: key))
            #expect(run.status == 0, "\(run)")
            #expect(run.err.contains("exported \(count) orders to \(file) in ") && run.err.contains(" rows/s)"), "\(run)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["orders.csv"])

            // the API's own pages, walked here, rendered as the CSV must hold them
            var expected = ["id,created_at,currency,currency_amount,btc_rate,btc_amount,quote_id"]
            var reference: String?
            repeat {
                let page = try await cluster.getJSON(
                    "/v1/buy_orders?page_size=100" + (reference.map { "&last_reference=\($0)" } ?? ""), key: key)
                for row in page["rows"] as? [[String: String]] ?? [] {
                    expected.append(
                        ["id", "created_at", "currency", "currency_amount", "btc_rate", "btc_amount", "quote_id"]
                            .map { row[$0] ?? "" }.joined(separator: ","))
                }
                reference = page["last_reference"] as? String
            } while reference != nil
            let csv = try String(contentsOfFile: file, encoding: .utf8)
            #expect(expected.count == count + 1)
            #expect(csv == expected.joined(separator: "\n") + "\n")
        }
    }

    /// Orders written straight into the read model, as read-model-sync would project them: amounts
    /// 0.01 upward, rates with 2 to 8 decimals, every currency.
    static func insertOrders(_ count: Int, client: String, into read: TestDatabase) throws {
        try read.connect().query(
            """
            INSERT INTO buy_order (id, sequence, client_id, currency, currency_amount, btc_rate, btc_amount,
                                   rate_source, rate_quoted_at, created_at)
            SELECT gen_random_uuid(), 1000 + g, \(client), (ARRAY['USD', 'EUR', 'GBP'])[1 + g % 3],
                   (g % 100000 + 1)::numeric / 100, 48478.88 + g::numeric / 100000000, 0.00254647, 'test',
                   '2026-01-01T00:00:00Z'::timestamptz,
                   '2026-01-01T00:00:00Z'::timestamptz + (g / 3) * interval '1 millisecond'
            FROM generate_series(0, \(count) - 1) AS g
            """)
    }
}
