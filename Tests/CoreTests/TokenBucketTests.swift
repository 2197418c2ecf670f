@testable import Core
import Testing

@Suite struct TokenBucketTests {
    static let second: Int64 = 1_000_000_000

    @Test func allowsABurstThenRefusesUntilATokenFlowsIn() throws {
        let limit = try #require(RateLimit(milliPerSecond: 2_000, burst: 3))
        var bucket = TokenBucket(limit: limit, now: 0)
        #expect(bucket.take(now: 0) == .init(allowed: true, remaining: 2, secondsUntilNext: 0, secondsUntilFull: 1))
        #expect(bucket.take(now: 0).allowed)
        #expect(bucket.take(now: 0) == .init(allowed: true, remaining: 0, secondsUntilNext: 1, secondsUntilFull: 2))
        #expect(bucket.take(now: 0) == .init(allowed: false, remaining: 0, secondsUntilNext: 1, secondsUntilFull: 2))
        // Two tokens per second: one is back after half a second.
        #expect(!bucket.take(now: Self.second / 2 - 1).allowed)
        #expect(bucket.take(now: Self.second / 2).allowed)
    }

    @Test func neverHoldsMoreThanTheBurst() throws {
        var bucket = TokenBucket(limit: try #require(RateLimit(milliPerSecond: 1_000, burst: 2)), now: 0)
        let after = 3_600 * Self.second
        #expect(bucket.take(now: after).remaining == 1)
        #expect(bucket.take(now: after).remaining == 0)
        #expect(!bucket.take(now: after).allowed)
    }

    @Test func slowRatesRefillExactly() throws {
        // Half a token per second: one every two seconds.
        var bucket = TokenBucket(limit: try #require(RateLimit(milliPerSecond: 500, burst: 1)), now: 0)
        #expect(bucket.take(now: 0).allowed)
        let refused = bucket.take(now: Self.second)
        #expect(!refused.allowed)
        #expect(refused.secondsUntilNext == 1)
        #expect(bucket.take(now: 2 * Self.second).allowed)
    }

    @Test func aNewShapeTakesEffectKeepingTheTokensUpToTheNewBurst() throws {
        var bucket = TokenBucket(limit: try #require(RateLimit(milliPerSecond: 1_000, burst: 10)), now: 0)
        bucket.reshape(try #require(RateLimit(milliPerSecond: 1_000, burst: 2)), now: 0)
        #expect(bucket.take(now: 0).remaining == 1)
        #expect(bucket.take(now: 0).remaining == 0)
        #expect(!bucket.take(now: 0).allowed)
    }

    @Test func aClockThatGoesBackDoesNotMintTokens() throws {
        var bucket = TokenBucket(limit: try #require(RateLimit(milliPerSecond: 1_000, burst: 1)), now: 10 * Self.second)
        #expect(bucket.take(now: 10 * Self.second).allowed)
        #expect(!bucket.take(now: 0).allowed)
        #expect(!bucket.take(now: 10 * Self.second).allowed)
    }

    @Test func parsesAndRendersRatesExactly() {
        #expect(RateLimit.parsePerSecond("200") == 200_000)
        #expect(RateLimit.parsePerSecond("0.5") == 500)
        #expect(RateLimit.parsePerSecond("1.25") == 1_250)
        #expect(RateLimit.parsePerSecond("200.000") == 200_000)
        for bad in ["", "0", "0.0", "-1", "1.2345", "1e3", " 1", "1.", ".5", "abc", "9999999999"] {
            #expect(RateLimit.parsePerSecond(bad) == nil, "\(bad)")
        }
        #expect(RateLimit(milliPerSecond: 500, burst: 1)?.perSecondText == "0.5")
        #expect(RateLimit(milliPerSecond: 200_000, burst: 1)?.perSecondText == "200")
        #expect(RateLimit(milliPerSecond: 1_250, burst: 1)?.perSecondText == "1.25")
    }

    @Test func eachClientHasItsOwnBucket() throws {
        let limiter = RateLimiter(defaultLimit: try #require(RateLimit(milliPerSecond: 1_000, burst: 1)), clock: { 0 })
        #expect(limiter.take(client: "a", limit: nil).decision.allowed)
        #expect(!limiter.take(client: "a", limit: nil).decision.allowed)
        #expect(limiter.take(client: "b", limit: nil).decision.allowed)
        let own = try #require(RateLimit(milliPerSecond: 1_000, burst: 5))
        #expect(limiter.take(client: "c", limit: own).decision.remaining == 4)
    }
}
