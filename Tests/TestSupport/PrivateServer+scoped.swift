/// Runs `body` with a server of its own, started and stopped on a thread of their own: stopping a
/// broker takes seconds, which must not hold a thread of the cooperative pool that other tests share.
public func withPrivateServer<T: Sendable>(
    _ kind: PrivateServer.Kind, environment: [String: String] = [:], _ body: @Sendable (PrivateServer) async throws -> T
) async throws -> T {
    let server = try await onOwnThread { try PrivateServer.start(kind, environment: environment) }
    do {
        let value = try await body(server)
        _ = try? await onOwnThread { server.stop() }
        return value
    } catch {
        _ = try? await onOwnThread { server.stop() }
        throw error
    }
}
