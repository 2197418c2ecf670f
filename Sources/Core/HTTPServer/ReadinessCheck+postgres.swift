extension ReadinessCheck {
    /// The database answers and holds every migration the service needs. A connection found broken is
    /// replaced and the check asked again at once, so the first check after a restart is not a failure.
    public static func database(_ name: String, client: PostgresClient, requires migrations: RequiredMigrations)
        -> ReadinessCheck
    {
        ReadinessCheck(name) {
            let missing: [String]
            do {
                missing = try await client.withConnection(idempotent: true) { try migrations.missing(on: $0) }
            } catch let error as PostgresError {
                throw NotReady("\(error.code): \(error.message)")
            }
            guard missing.isEmpty else {
                throw NotReady("migrations not applied: \(missing.joined(separator: ", "))")
            }
        }
    }
}
