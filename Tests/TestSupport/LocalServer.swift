import Core
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

/// Runs `router` as a real HTTP server on 127.0.0.1 and a free port while `body` runs with that port.
/// Before shutting the server down it opens `gate`, so that handlers parked on it finish.
public func withLocalServer<Context: RequestContext & InitializableFromSource<ApplicationRequestContextSource>, T: Sendable>(
    _ router: Router<Context>, gate: Gate = Gate(), _ body: @Sendable (Int) async throws -> T
) async throws -> T {
    let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        router: router,
        configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0), serverName: "fake"),
        onServerRunning: { channel in
            portSink.yield(channel.localAddress?.port ?? 0)
            portSink.finish()
        },
        logger: TestServers.logger
    )
    return try await withThrowingTaskGroup(of: Void.self) { group in
        let services = ServiceGroup(configuration: .init(services: [app], logger: TestServers.logger))
        group.addTask { try await services.run() }
        do {
            guard let port = await ports.first(where: { _ in true }), port > 0 else {
                throw LocalServerError()
            }
            let value = try await body(port)
            gate.open()
            await services.triggerGracefulShutdown()
            return value
        } catch {
            gate.open()
            await services.triggerGracefulShutdown()
            throw error
        }
    }
}

/// Runs `app` as its builder made it (its own server, limits and connection bound: build it with port 0)
/// on a real socket while `body` runs with the running server, which can begin its graceful drain.
public func withLiveApplication<App: ApplicationProtocol, T: Sendable>(
    _ app: App, _ body: @Sendable (LiveApplication) async throws -> T
) async throws -> T {
    let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
    let reporting = PortReportingApplication(base: app) { port in
        portSink.yield(port)
        portSink.finish()
    }
    return try await withThrowingTaskGroup(of: Void.self) { group in
        let services = ServiceGroup(configuration: .init(services: [reporting], logger: TestServers.logger))
        group.addTask { try await services.run() }
        do {
            guard let port = await ports.first(where: { _ in true }), port > 0 else { throw LocalServerError() }
            let value = try await body(LiveApplication(port: port, services: services))
            await services.triggerGracefulShutdown()
            return value
        } catch {
            await services.triggerGracefulShutdown()
            throw error
        }
    }
}

/// A running application: its port, and the graceful shutdown SIGTERM would begin.
public struct LiveApplication: Sendable {
    public let port: Int
    let services: ServiceGroup

    public func beginGracefulShutdown() async {
        await services.triggerGracefulShutdown()
    }
}

/// `base` unchanged but for reporting the port its server bound.
private struct PortReportingApplication<Base: ApplicationProtocol>: ApplicationProtocol {
    typealias Responder = Base.Responder

    let base: Base
    let report: @Sendable (Int) -> Void

    var responder: Responder { get async throws { try await base.responder } }
    var server: HTTPServerBuilder { base.server }
    var eventLoopGroup: any EventLoopGroup { base.eventLoopGroup }
    var configuration: ApplicationConfiguration { base.configuration }
    var logger: Logger { base.logger }
    var services: [any Service] { base.services }
    var processesRunBeforeServerStart: [@Sendable () async throws -> Void] { base.processesRunBeforeServerStart }

    @Sendable func onServerRunning(_ channel: any Channel) async {
        await base.onServerRunning(channel)
        report(channel.localAddress?.port ?? 0)
    }
}

public struct LocalServerError: Error, CustomStringConvertible {
    public var description: String { "the local server did not report its port" }
}

/// Parks handlers (a server that hangs) until the test opens it.
public final class Gate: Sendable {
    private let isOpen = Atomic(false)

    public init() {}

    public func open() { isOpen.store(true, ordering: .relaxed) }

    /// Returns once open, or after `limit` in any case.
    public func wait(atMost limit: Duration = .seconds(30)) async {
        let deadline = ContinuousClock.now + limit
        while !isOpen.load(ordering: .relaxed), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// Polls `condition` until it holds or `limit` passes; true when it held.
public func eventually(within limit: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// Records an issue at the caller unless `condition` holds within `limit`.
public func expectEventually(
    within limit: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    if try await eventually(within: limit, condition) { return }
    Issue.record("condition did not hold within \(limit)", sourceLocation: sourceLocation)
}
