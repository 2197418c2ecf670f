import Foundation

/// A command run to its end (a built executable or a script), with what it printed on stdout and stderr.
public struct CommandOutput: Sendable, CustomStringConvertible {
    public let termination: ChildProcess.Termination
    public let stdout: String
    public let stderr: String

    /// Runs `executable` with the test's environment plus `environment` (an empty value unsets a
    /// setting for the services); one still running after `limit` is killed with SIGKILL.
    public static func run(
        _ executable: String, _ arguments: [String] = [], environment: [String: String] = [:],
        within limit: Duration = .seconds(60)
    ) throws -> CommandOutput {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("command-\(UUID().uuidString.prefix(8))")
        let (out, err) = (base.path + ".out", base.path + ".err")
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        let child = try ChildProcess(executable, arguments, environment: environment, output: out, errors: err)
        let termination = child.wait(within: limit) ?? {
            child.send(SIGKILL)
            return child.wait()
        }()
        return CommandOutput(
            termination: termination,
            stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    /// Runs a built product of the package (see `BuiltProducts`) on a thread of its own.
    public static func product(
        _ name: String, _ arguments: [String] = [], environment: [String: String] = [:],
        within limit: Duration = .seconds(60)
    ) async throws -> CommandOutput {
        let executable = try BuiltProducts.executable(name)
        return try await onOwnThread {
            try run(executable, arguments, environment: environment, within: limit)
        }
    }

    public var description: String { "\(termination)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
}
