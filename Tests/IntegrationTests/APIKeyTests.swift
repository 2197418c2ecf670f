import Core
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import BuyOrdersAdmin

/// Keys, scopes, isolation, revocation and rate limits, through both API services with real servers.
@Suite struct APIKeyTests {
    /// Every way to come without a valid key, at both services: 401, a problem body, a Bearer challenge.
    @Test func refusesEveryRequestWithoutAValidKeyAtBothServices() async throws {
        try await KeyedCluster.run { cluster in
            try cluster.makeClient("acme")
            let good = try cluster.makeKey(for: "acme")
            let revoked = try cluster.makeKey(for: "acme")
            _ = try cluster.admin.revokeKey(id: APIKey(token: revoked[...])!.keyID)
            let goodKey = APIKey(token: good[...])!
            let forged = "bo_\(goodKey.keyID)_" + String(APIKey.generate().token.suffix(43))
            let unknown = APIKey.generate().token
            try await cluster.awaitProjected(revoked)
            try await Task.sleep(for: .milliseconds(300))
            let attempts: [(String, HTTPFields)] = [
                ("no header", [:]),
                ("garbage", [.authorization: "garbage"]),
                ("Basic", [.authorization: "Basic YWNtZTpzZWNyZXQ="]),
                ("Bearer without a key", [.authorization: "Bearer "]),
                ("not our key format", [.authorization: "Bearer abc.def.ghi"]),
                ("unknown key", KeyedCluster.bearer(unknown)),
                ("forged secret", KeyedCluster.bearer(forged)),
                ("revoked", KeyedCluster.bearer(revoked)),
            ]
            for (what, headers) in attempts {
                for response in [
                    try await cluster.put(cluster.creates[0], headers: headers),
                    try await cluster.get(cluster.fetches[0], "/buy_orders", headers: headers),
                    try await cluster.get(cluster.fetches[0], "/v1/buy_orders/\(UUID().lowercaseText)", headers: headers),
                ] {
                    #expect(response.status == .unauthorized, "\(what)")
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true, "\(what)")
                    #expect(response.headers[.contentType] == "application/problem+json", "\(what)")
                    #expect(response.json["type"] as? String == "/problems/unauthorized", "\(what)")
                    #expect(!response.text.contains(String(forged.suffix(43))) && !response.text.contains(String(good.suffix(43))))
                }
            }
            // Nothing was stored by any of them; the good key works at both.
            #expect(try cluster.write.connect().query("SELECT count(*) AS n FROM buy_order").first?["n"] == "0")
            #expect(try await cluster.put(cluster.creates[1], headers: KeyedCluster.bearer(good)).status == .ok)
            try await cluster.awaitProjected(good)
            try await expectEventually {
                try await cluster.get(cluster.fetches[1], "/buy_orders", headers: KeyedCluster.bearer(good)).status == .ok
            }
        }
    }

    @Test func aKeyWithoutTheRoutesScopeIsForbidden() async throws {
        try await KeyedCluster.run { cluster in
            try cluster.makeClient("acme")
            let reader = try cluster.makeKey(for: "acme", scopes: [.ordersRead])
            let writer = try cluster.makeKey(for: "acme", scopes: [.ordersWrite])
            try await cluster.awaitProjected(writer)
            let put = try await cluster.put(cluster.creates[0], headers: KeyedCluster.bearer(reader))
            #expect(put.status == .forbidden)
            #expect(put.json["type"] as? String == "/problems/forbidden")
            #expect(put.headers[.wwwAuthenticate]?.contains(#"error="insufficient_scope""#) == true)
            #expect(try await cluster.put(cluster.creates[0], headers: KeyedCluster.bearer(writer)).status == .ok)
            let get = try await cluster.get(cluster.fetches[0], "/buy_orders", headers: KeyedCluster.bearer(writer))
            #expect(get.status == .forbidden)
            try await expectEventually {
                try await cluster.get(cluster.fetches[0], "/buy_orders", headers: KeyedCluster.bearer(reader)).status == .ok
            }
        }
    }

    /// Two clients with one idempotency key make two orders; each sees only its own, and another
    /// client's order id answers exactly like a missing one.
    @Test func clientsNeverSeeEachOthersOrdersOrKeys() async throws {
        try await KeyedCluster.run { cluster in
            try cluster.makeClient("alpha")
            try cluster.makeClient("beta")
            let alpha = KeyedCluster.bearer(try cluster.makeKey(for: "alpha"))
            let beta = KeyedCluster.bearer(try cluster.makeKey(for: "beta"))
            let shared = UUID()
            let first = try await cluster.put(cluster.creates[0], headers: alpha, amount: "10.00", key: shared)
            let second = try await cluster.put(cluster.creates[1], headers: beta, amount: "20.00", key: shared)
            #expect(first.status == .ok && second.status == .ok)
            #expect(second.headers[.idempotentReplayed] == nil)
            let alphaOrder = try #require((first.json["buy_order"] as? [String: Any])?["id"] as? String)
            let betaOrder = try #require((second.json["buy_order"] as? [String: Any])?["id"] as? String)
            #expect(alphaOrder != betaOrder)
            // A replay stays within its client.
            let replay = try await cluster.put(cluster.creates[1], headers: alpha, amount: "10.00", key: shared)
            #expect(replay.headers[.idempotentReplayed] == "true")
            #expect((replay.json["buy_order"] as? [String: Any])?["id"] as? String == alphaOrder)

            try await expectEventually(within: .seconds(20)) {
                try cluster.read.connect().query("SELECT count(*) AS n FROM buy_order").first?["n"] == "2"
            }
            for (headers, own, other) in [(alpha, alphaOrder, betaOrder), (beta, betaOrder, alphaOrder)] {
                let page = try await cluster.get(cluster.fetches[0], "/buy_orders", headers: headers)
                let ids = (page.json["rows"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                #expect(ids == [own])
                #expect(try await cluster.get(cluster.fetches[1], "/buy_orders/\(own)", headers: headers).status == .ok)
                let foreign = try await cluster.get(cluster.fetches[1], "/buy_orders/\(other)", headers: headers)
                let missingID = UUID().lowercaseText
                let missing = try await cluster.get(cluster.fetches[1], "/buy_orders/\(missingID)", headers: headers)
                #expect(foreign.status == .notFound && missing.status == .notFound)
                #expect(foreign.text.replacingOccurrences(of: other, with: missingID) == missing.text)
                let reference = try await cluster.get(
                    cluster.fetches[0], "/buy_orders?last_reference=\(other)", headers: headers)
                #expect(reference.status == .unprocessableContent)
            }
        }
    }

    /// Every instance of both services refuses a revoked key within 5 s, caches warm. The four are
    /// asked at once, each with a request that only the key check lets through and that writes nothing
    /// (a PUT whose body is refused, a page): on a loaded machine, an order written with the key while
    /// its cache entry still lived took seconds, and was counted against the next instance.
    @Test func aRevokedKeyIsRefusedByEveryInstanceWithinFiveSeconds() async throws {
        try await KeyedCluster.run { cluster in
            try cluster.makeClient("acme")
            let token = try cluster.makeKey(for: "acme")
            let headers = KeyedCluster.bearer(token)
            try await cluster.awaitProjected(token)
            let instances = cluster.creates.map { (create: true, client: $0) } + cluster.fetches.map { (create: false, client: $0) }
            @Sendable func probe(_ instance: (create: Bool, client: any TestClientProtocol)) async throws -> HTTPResponse.Status {
                var fields = headers
                fields[.contentType] = "application/json"
                return instance.create
                    ? try await instance.client.execute(uri: "/buy_order", method: .put, headers: fields, body: ByteBuffer(string: "{}")).status
                    : try await cluster.get(instance.client, "/buy_orders", headers: headers).status
            }
            for instance in instances {
                try await expectEventually {
                    try await probe(instance) == (instance.create ? .unprocessableContent : .ok)
                }
            }
            let revokedAt = ContinuousClock.now
            _ = try cluster.admin.revokeKey(id: APIKey(token: token[...])!.keyID)
            let refusedAfter = try await withThrowingTaskGroup(of: (Int, Duration?).self) { group in
                for (index, instance) in instances.enumerated() {
                    group.addTask {
                        let refused = try await eventually(within: .seconds(10)) { try await probe(instance) == .unauthorized }
                        return (index, refused ? ContinuousClock.now - revokedAt : nil)
                    }
                }
                return try await group.reduce(into: [Duration?](repeating: nil, count: instances.count)) { $0[$1.0] = $1.1 }
            }
            #expect(refusedAfter.allSatisfy { $0 != nil }, "an instance still takes the revoked key: \(refusedAfter)")
            // Bounded by the key cache (2 s) and, at fetch-buy-orders, the projection of the revocation.
            #expect(refusedAfter.allSatisfy { $0.map { $0 <= .seconds(5) } ?? false }, "refused after \(refusedAfter)")
        }
    }

    @Test func aClientOverItsRateLimitGets429WithTheDraftsFieldsAndOthersAreUnaffected() async throws {
        try await KeyedCluster.run(access: AccessSettings(defaultRateLimit: RateLimit(milliPerSecond: 1_000_000, burst: 1000)!)) {
            cluster in
            try cluster.makeClient("eager")
            try cluster.makeClient("calm")
            _ = try cluster.admin.setRateLimit(client: "eager", RateLimit(milliPerSecond: 1_000, burst: 4)!)
            let eager = KeyedCluster.bearer(try cluster.makeKey(for: "eager"))
            let calm = KeyedCluster.bearer(try cluster.makeKey(for: "calm"))
            // The answers carry the client's own policy once the instance saw it (its key lookup).
            let first = try await cluster.put(cluster.creates[0], headers: eager)
            #expect(first.status == .ok)
            #expect(first.headers[.rateLimitPolicy] == #""client";q=4;w=4"#)
            #expect(first.headers[.rateLimit] == #""client";r=3;t=1"#)

            // Twelve at once: three tokens are left and one flows in per second, so however slow the
            // machine, at most 3 + the seconds the burst took get through, and the rest are 429s.
            let started = ContinuousClock.now
            let responses = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for _ in 0..<12 { group.addTask { try await cluster.put(cluster.creates[0], headers: eager) } }
                return try await group.reduce(into: [TestResponse]()) { $0.append($1) }
            }
            let took = (ContinuousClock.now - started) / .seconds(1)
            let statuses = responses.map(\.status)
            #expect(statuses.allSatisfy { $0 == .ok || $0 == .tooManyRequests }, "\(statuses)")
            #expect(Double(statuses.filter { $0 == .ok }.count) <= 3 + took.rounded(.up), "\(statuses) in \(took) s")
            let refused = try #require(responses.first { $0.status == .tooManyRequests }, "\(statuses) in \(took) s")
            #expect(refused.json["type"] as? String == "/problems/rate-limited")
            #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(refused.headers[.rateLimitPolicy] == #""client";q=4;w=4"#)
            #expect(refused.headers[.rateLimit]?.hasPrefix(#""client";r=0;t="#) == true)
            // Each instance counts on its own: the other one still has a full bucket.
            #expect(try await cluster.put(cluster.creates[1], headers: eager).status == .ok)
            // Another client is not held back.
            for _ in 0..<10 { #expect(try await cluster.put(cluster.creates[0], headers: calm).status == .ok) }
            // A token a second flows back in.
            try await Task.sleep(for: .milliseconds(1200))
            #expect(try await cluster.put(cluster.creates[0], headers: eager).status == .ok)
        }
    }

    /// A new per-client limit is seen by a running instance within 5 s.
    @Test func aChangedRateLimitReachesRunningInstancesWithinFiveSeconds() async throws {
        try await KeyedCluster.run { cluster in
            try cluster.makeClient("acme")
            let headers = KeyedCluster.bearer(try cluster.makeKey(for: "acme"))
            #expect(try await cluster.put(cluster.creates[0], headers: headers).headers[.rateLimitPolicy] == #""client";q=400;w=2"#)
            _ = try cluster.admin.setRateLimit(client: "acme", RateLimit(milliPerSecond: 50_000, burst: 100)!)
            try await expectEventually(within: .seconds(5)) {
                try await cluster.put(cluster.creates[0], headers: headers).headers[.rateLimitPolicy] == #""client";q=100;w=2"#
            }
        }
    }

    /// Only the key id and the hash of the secret are kept: a dump of both databases holds no secret.
    @Test func noSecretIsInEitherDatabase() async throws {
        try await KeyedCluster.run { cluster in
            try cluster.makeClient("acme")
            let token = try cluster.makeKey(for: "acme")
            try await cluster.awaitProjected(token)
            let secret = String(token.suffix(43))
            let hash = APIKey(token: token[...])!.secretHash.hex
            for database in [cluster.write, cluster.read] {
                let dump = try await onOwnThread {
                    try CommandOutput.run(
                        "/usr/lib/postgresql/15/bin/pg_dump", ["--data-only", "--dbname", database.url.absoluteString])
                }
                #expect(dump.termination == .exited(0), "\(dump.stderr)")
                #expect(!dump.stdout.contains(secret) && !dump.stdout.contains(token))
                #expect(dump.stdout.contains(hash) || database.name == cluster.write.name, "the read model keeps the hash")
            }
        }
    }
}
