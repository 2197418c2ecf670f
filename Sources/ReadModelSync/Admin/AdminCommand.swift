import ArgumentParser
import Core
import Foundation

/// What the operator's commands share: settings from the environment, and one line per failure.
enum AdminCommand {
    /// Runs `body`. A configuration error is one line and exit 2; an unreachable database or broker, or
    /// any other failure, one line and exit 3. No message carries a password.
    static func run(_ name: String, _ body: (EnvironmentReader) throws -> Void) throws {
        do {
            try body(EnvironmentReader())
        } catch let error as ExitCode {
            throw error
        } catch let error as ConfigurationError {
            fail(name, "\(error)")
            throw ExitCode(2)
        } catch {
            fail(name, describe(error))
            throw ExitCode(3)
        }
    }

    static func fail(_ name: String, _ message: String) {
        FileHandle.standardError.write(Data("read-model-sync \(name): \(message)\n".utf8))
    }

    /// The detail of a database or broker error (which names hosts, never passwords).
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as PostgresError: error.debugDescription
        case let error as AMQPError: error.debugDescription
        default: "\(error)"
        }
    }

    /// Both models, from WRITE_DB_URL and READ_DB_URL.
    static func models(_ environment: EnvironmentReader) throws -> ReadModelAdmin {
        let (write, read) = (try DatabaseSettings.write(environment).forTools, try DatabaseSettings.read(environment).forTools)
        return ReadModelAdmin(write: try PostgresConnection(settings: write), read: try PostgresConnection(settings: read))
    }

    /// The dead-letter queue on the first broker of AMQP_URL that answers, over a connection that is
    /// closed afterwards.
    static func withDeadLetters<T>(_ environment: EnvironmentReader, _ body: (DeadLetterAdmin) throws -> T) throws -> T {
        let connection = try AMQPConnection.toFirstAnswering(
            AMQPSettings.from(environment, connectionName: "read-model-sync dead-letters"))
        defer { connection.close() }
        return try body(DeadLetterAdmin(connection: connection, topology: AMQPTopology()))
    }
}
