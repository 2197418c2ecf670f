import Core
import Foundation
import Testing
import TestSupport

@testable import ReadModelSync

/// Clients and keys in the read model, which fetch-buy-orders checks keys against: verify names a
/// missing key or revocation, and rebuild copies them from the write model.
@Suite struct AccessRebuildTests {
    @Test func verifyNamesMissingKeysAndRevocationsAndRebuildCopiesThem() throws {
        let write = try TestDatabase.create(.writeModel)
        let read = try TestDatabase.create(.readModel)
        let admin = ReadModelAdmin(write: try write.connect(), read: try read.connect())
        #expect(try admin.verify() == nil)

        let key = APIKey.generate()
        try write.connect().query("INSERT INTO client (id, rate_limit_per_s, rate_limit_burst) VALUES ('acme', 2.5, 5)")
        try write.connect().query(
            """
            INSERT INTO api_key (key_id, client_id, secret_sha256, scopes)
            VALUES (\(key.keyID), 'acme', decode(\(key.secretHash.hex), 'hex'), '{orders:read}')
            """)
        #expect(try admin.verify() == "clients: write 2, read 1; API keys: write 1, read 0")

        let counts = try admin.rebuildAccess()
        #expect(counts.clients == 2 && counts.keys == 1)
        #expect(try admin.verify() == nil)
        let copied = try read.connect().query(
            """
            SELECT c.rate_limit_per_s::text AS per_s, c.rate_limit_burst::text AS burst, encode(k.secret_sha256, 'hex') AS hash,
                   array_to_string(k.scopes, ',') AS scopes
            FROM client c JOIN api_key k ON k.client_id = c.id WHERE c.id = 'acme'
            """
        ).first
        #expect(copied?["per_s"] == "2.500" && copied?["burst"] == "5")
        #expect(copied?["hash"] == key.secretHash.hex && copied?["scopes"] == "orders:read")

        try write.connect().query("UPDATE api_key SET revoked_at = now() WHERE key_id = \(key.keyID)")
        #expect(try admin.verify() == "revoked API keys: write 1, read 0")
        _ = try admin.rebuildAccess()
        #expect(try admin.verify() == nil)
        // The write model never un-revokes a key, and the read model keeps a revocation it saw.
        #expect(throws: PostgresError.self) {
            try write.connect().query("UPDATE api_key SET revoked_at = NULL WHERE key_id = \(key.keyID)")
        }
        try read.connect().query("UPDATE api_key SET revoked_at = NULL WHERE key_id = \(key.keyID)")
        _ = try admin.rebuildAccess()
        #expect(try read.connect().query("SELECT revoked_at IS NOT NULL AS revoked FROM api_key").first?["revoked"] == "t")
    }
}
