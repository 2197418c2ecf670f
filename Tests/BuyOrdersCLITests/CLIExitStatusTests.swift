import Core
import Foundation
import Testing
import TestSupport

@testable import BuyOrdersAdmin

/// `buyorders`' exit statuses, each made for real: a 4xx from a running cluster (1), a bad command line
/// or environment (2), a port nothing listens on (3).
@Suite(.serialized) struct CLIExitStatusTests {
    @Test func refusalsExitWithOneAndShowTheProblem() async throws {
        try await CLICluster.run { cluster in
            let key = try await cluster.client("cli-refused")
            let environment = cluster.environment(key: key)

            let missing = try await CLIRun.buyorders(["order", UUID().lowercaseText], environment: environment)
            #expect(missing.status == 1, "\(missing)")
            #expect(missing.err.hasPrefix("buyorders: fetch-buy-orders refused: Not found (404): No buy order "), "\(missing)")

            // a 422 names its fields, one line each
            let badType = try await CLIRun.buyorders(["activity", "--type", "order.teleported"], environment: environment)
            #expect(badType.status == 1, "\(badType)")
            #expect(badType.err.contains("Invalid request (422)\n  type: must be one or more of api_key.created"), "\(badType)")

            // the BTC limit: a 409 with what is left
            _ = try cluster.admin.setLimit(BTCAmount(satoshis: 1))
            let overLimit = try await CLIRun.buyorders(["buy", "USD", "100"], environment: environment)
            #expect(overLimit.status == 1, "\(overLimit)")
            #expect(overLimit.err.contains("create-buy-order refused: ") && overLimit.err.contains("(409)"), "\(overLimit)")

            // a key without the scope: 403; a revoked key: 401, and the key never shows
            let reader = try await cluster.key(for: "cli-refused", scopes: [.ordersRead])
            let forbidden = try await CLIRun.buyorders(["buy", "USD", "1"], environment: cluster.environment(key: reader))
            #expect(forbidden.status == 1 && forbidden.err.contains("(403)"), "\(forbidden)")
            _ = try cluster.admin.revokeKey(id: APIKey(token: key[...])!.keyID)
            try await expectEventually(within: .seconds(20)) {
                try await CLIRun.buyorders(["orders"], environment: environment).status == 1
            }
            let revoked = try await CLIRun.buyorders(["orders"], environment: environment)
            #expect(revoked.err.contains("Unauthorized (401)"), "\(revoked)")
            let secret = String(key.split(separator: "_").last!)
            #expect(!(revoked.out + revoked.err + forbidden.out + forbidden.err).contains(secret))
        }
    }

    @Test func usageErrorsExitWithTwo() async throws {
        let environment = ["BUYORDERS_API_KEY": APIKey.generate().token]
        for arguments in [
            ["buy", "USD", "1.234"], ["buy", "USD", "-5"], ["buy", "XBT", "10"], ["buy", "USD"],
            ["buy", "USD", "10", "--idempotency-key", "again"], ["orders", "--page-size", "0"],
            ["orders", "--from", "yesterday"], ["orders", "--from", "2026-12-02T00:00:00Z", "--to", "2026-12-01T00:00:00Z"],
            ["order", "not-a-uuid"], ["teleport"], ["price"], ["export"],
        ] {
            let run = try await CLIRun.buyorders(arguments, environment: environment)
            #expect(run.status == 2, "\(arguments): \(run)")
            #expect(!run.err.isEmpty && run.out.isEmpty, "\(arguments): \(run)")
        }
        let amount = try await CLIRun.buyorders(["buy", "USD", "1.234"], environment: environment)
        #expect(amount.err.contains("AMOUNT must have at most 2 decimal places, got \"1.234\""), "\(amount)")

        // the environment: one line naming the variable, never the key's value
        let badURL = try await CLIRun.buyorders(["orders"], environment: ["BUYORDERS_FETCH_URL": "ftp://example.com"])
        #expect(badURL.status == 2)
        #expect(badURL.err == "buyorders: BUYORDERS_FETCH_URL must be an http:// or https:// URL such as http://127.0.0.1:8778, got \"ftp://example.com\"\n")
        let badKey = try await CLIRun.buyorders(["orders"], environment: ["BUYORDERS_API_KEY": "sk_live_s3cr3t-value"])
        #expect(badKey.status == 2 && badKey.err.contains("BUYORDERS_API_KEY does not hold an API key"), "\(badKey)")
        #expect(!badKey.err.contains("s3cr3t"))
        let noKey = try await CLIRun.buyorders(["orders"], environment: ["BUYORDERS_API_KEY": ""])
        #expect(noKey.status == 2 && noKey.err.contains("BUYORDERS_API_KEY is not set"), "\(noKey)")
    }

    @Test func helpReadsLikeAManPage() async throws {
        let root = try await CLIRun.buyorders(["--help"], environment: [:])
        #expect(root.status == 0)
        for section in ["OVERVIEW:", "EXAMPLES", "ENVIRONMENT", "BUYORDERS_API_KEY", "BUYORDERS_PRICE_URL", "EXIT STATUS", "SUBCOMMANDS:"] {
            #expect(root.out.contains(section), "\(section): \(root)")
        }
        for command in ["buy", "orders", "order", "watch", "activity", "price", "export"] {
            let help = try await CLIRun.buyorders([command, "--help"], environment: [:])
            #expect(help.status == 0)
            #expect(help.out.contains("EXAMPLES") && help.out.contains("EXIT STATUS") && help.out.contains("BUYORDERS_"), "\(command)")
        }
    }

    @Test func noAnswerExitsWithThree() async throws {
        let closed = try PrivateServer.freePort()
        let key = APIKey.generate().token
        let environment = [
            "BUYORDERS_API_KEY": key, "BUYORDERS_CREATE_URL": "http://127.0.0.1:\(closed)",
            "BUYORDERS_FETCH_URL": "http://127.0.0.1:\(closed)", "BUYORDERS_PRICE_URL": "http://127.0.0.1:\(closed)",
        ]
        for arguments in [["orders"], ["order", UUID().lowercaseText], ["activity"], ["price", "EUR"], ["watch"]] {
            let run = try await CLIRun.buyorders(arguments, environment: environment)
            #expect(run.status == 3, "\(arguments): \(run)")
            #expect(run.err.contains("could not connect"), "\(arguments): \(run)")
            #expect(!run.err.contains(key))
        }

        // buy tries again with the same key, says so, then gives up naming the key to use
        let buy = try await CLIRun.buyorders(["buy", "USD", "10"], environment: environment)
        #expect(buy.status == 3, "\(buy)")
        #expect(buy.err.components(separatedBy: "sending the order again with the same idempotency key").count == 5, "\(buy)")
        #expect(buy.err.contains("after 5 attempts; the order may or may not exist"), "\(buy)")

        // a failed export leaves the file as it was, and no partial file beside it
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().lowercaseText)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("orders.csv").path
        try "earlier export\n".write(toFile: file, atomically: true, encoding: .utf8)
        let export = try await CLIRun.buyorders(["export", file], environment: environment)
        #expect(export.status == 3, "\(export)")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "earlier export\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["orders.csv"])
    }
}
