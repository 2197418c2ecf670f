import Synchronization

/// Why a request was not let in.
public enum AuthenticationFailure: Error, Sendable, Equatable {
    /// No `Authorization` header (and no `ANONYMOUS_CLIENT`).
    case missing
    /// An `Authorization` header that is not `Bearer bo_<key id>_<secret>`.
    case malformed
    /// A well-formed key that is unknown, revoked or has the wrong secret: told apart only in logs.
    case invalid(reason: String)
    /// The keys could not be read (the database is unreachable).
    case unavailable
}

/// Checks `Authorization: Bearer <key>` against the keys of one database, with a cache whose entries
/// live `ttl`, so a lookup costs no round trip per request and a revocation is seen within `ttl` plus
/// the time it takes to reach this database. While that database cannot answer, an entry up to
/// `staleLimit` old is still used: the same database holds the orders, so nothing can be done with a
/// revoked key meanwhile, and the request gets the service's own answer to the outage.
public final class Authenticator: Sendable {
    private struct Entry {
        /// nil: no such key (or client), cached too, so unknown ids do not each cost a query.
        let record: APIKeyRecord?
        let anonymous: (exists: Bool, rateLimit: RateLimit?)?
        let expires: Int64
    }

    private let store: AccessStore
    private let anonymousClient: String?
    private let ttl: Int64
    private let staleLimit: Int64 = 60 * 1_000_000_000
    private let capacity: Int
    private let clock: @Sendable () -> Int64
    private let cache = Mutex<[String: Entry]>([:])

    public init(
        store: AccessStore, anonymousClient: String?, ttl: Duration = .seconds(2), capacity: Int = 10_000,
        clock: @escaping @Sendable () -> Int64 = RateLimiter.monotonicNanoseconds
    ) {
        self.store = store
        self.anonymousClient = anonymousClient
        self.ttl = Int64(ttl.components.seconds) * 1_000_000_000 + ttl.components.attoseconds / 1_000_000_000
        self.capacity = capacity
        self.clock = clock
    }

    /// The principal of a request with this `Authorization` header value.
    public func authenticate(authorization: String?) async throws(AuthenticationFailure) -> Principal {
        guard let authorization else {
            guard let anonymousClient else { throw .missing }
            return try await anonymous(anonymousClient)
        }
        guard let token = Self.bearerToken(authorization), let key = APIKey(token: token) else { throw .malformed }
        let record = try await lookUp(key.keyID)
        guard let record else { throw .invalid(reason: "unknown key") }
        guard record.secretHash.matches(key.secretHash) else { throw .invalid(reason: "wrong secret") }
        guard !record.isRevoked else { throw .invalid(reason: "revoked") }
        return Principal(clientID: record.clientID, keyID: record.keyID, scopes: record.scopes, rateLimit: record.rateLimit)
    }

    /// `Bearer <token>`: the scheme in any case (RFC 9110 §11.1), one or more spaces, one token.
    static func bearerToken(_ value: String) -> Substring? {
        let text = Substring(value)
        guard text.utf8.count > 7, text.prefix(6).lowercased() == "bearer", text.dropFirst(6).first == " " else {
            return nil
        }
        let token = text.dropFirst(6).drop { $0 == " " }
        var end = token
        while end.last == " " || end.last == "\t" { end.removeLast() }
        return end.isEmpty || end.contains(" ") ? nil : end
    }

    private func anonymous(_ client: String) async throws(AuthenticationFailure) -> Principal {
        let now = clock()
        let cached = cache.withLock { $0["client " + client] }
        let found: (exists: Bool, rateLimit: RateLimit?)
        if let cached, cached.expires > now, let anonymous = cached.anonymous {
            found = anonymous
        } else {
            do {
                found = try await store.client(id: client)
            } catch {
                // Only the client's own rate limit is at stake: the configured client goes on with the
                // default one, and the request meets the outage where it needs the database.
                let usable = cached.flatMap { $0.expires + staleLimit > now ? $0.anonymous : nil }
                return Principal(
                    clientID: client, keyID: nil, scopes: Set(APIScope.allCases), rateLimit: usable?.rateLimit)
            }
            remember("client " + client, Entry(record: nil, anonymous: found, expires: now + ttl))
        }
        guard found.exists else { throw .invalid(reason: "ANONYMOUS_CLIENT \(client) does not exist") }
        return Principal(clientID: client, keyID: nil, scopes: Set(APIScope.allCases), rateLimit: found.rateLimit)
    }

    private func lookUp(_ keyID: String) async throws(AuthenticationFailure) -> APIKeyRecord? {
        let now = clock()
        let cached = cache.withLock { $0[keyID] }
        if let cached, cached.expires > now {
            return cached.record
        }
        do {
            let record = try await store.key(id: keyID)
            remember(keyID, Entry(record: record, anonymous: nil, expires: now + ttl))
            return record
        } catch {
            guard let cached, cached.expires + staleLimit > now else { throw .unavailable }
            return cached.record
        }
    }

    /// Keeps the cache within `capacity`: when full, expired entries go first, then everything.
    private func remember(_ key: String, _ entry: Entry) {
        let now = clock()
        cache.withLock { cache in
            if cache.count >= capacity, cache[key] == nil {
                cache = cache.filter { $0.value.expires > now }
                if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            }
            cache[key] = entry
        }
    }
}
