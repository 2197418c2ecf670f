import Foundation

/// A process a test starts, signals and reaps itself, through posix_spawn and waitpid: a service
/// binary to kill with SIGKILL, or a control script.
///
/// Not Foundation's `Process`: it learns of the exit through a pipe that a daemon the child starts
/// inherits, so it would wait for the daemon too. Used by one task at a time; if the test ends
/// without reaping it (a failed expectation), `deinit` kills and reaps it.
public final class ChildProcess {
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        public var description: String {
            switch self {
            case .exited(let code): "exited with status \(code)"
            case .signaled(let signal): "killed by signal \(signal)"
            }
        }
    }

    public let pid: pid_t
    public private(set) var termination: Termination?

    /// Starts `executable` with `arguments` and the test's environment plus `environment`. Stdin is
    /// /dev/null, stdout is appended to `output`, stderr to `errors` (nil: the test's own stderr).
    public init(
        _ executable: String, _ arguments: [String] = [], environment: [String: String] = [:],
        output: String = "/dev/null", errors: String? = nil
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if let errors { posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_APPEND, 0o644) }
        // Nothing else of the test process's: its sockets (hundreds under a full run) would count against
        // the child's own limit; PostgreSQL refuses to start when too few descriptors are left.
        Self.closeFrom3(&actions)
        // The test process may ignore or block signals; the child starts with the defaults.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let variables = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0)=\($1)" }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = variables.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard status == 0 else { throw SpawnFailed(command: executable, error: status) }
        self.pid = pid
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc module
    /// does not declare.
    private static let addCloseFrom = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: AddCloseFrom.self)
    }

    private static func closeFrom3(_ actions: inout posix_spawn_file_actions_t) {
        _ = addCloseFrom?(&actions, 3)
    }

    /// Runs the command to its end; throws unless it exits with status 0.
    public static func run(
        _ executable: String, _ arguments: [String] = [], environment: [String: String] = [:],
        output: String = "/dev/null", errors: String? = nil
    ) throws {
        let child = try ChildProcess(executable, arguments, environment: environment, output: output, errors: errors)
        let termination = child.wait()
        guard termination == .exited(0) else {
            throw Failed(command: ([executable] + arguments).joined(separator: " "), termination: termination)
        }
    }

    /// Sends `signal` while the process is not yet reaped.
    public func send(_ signal: Int32) {
        guard termination == nil else { return }
        kill(pid, signal)
    }

    /// Blocks until the process ends and returns how.
    @discardableResult
    public func wait() -> Termination {
        while termination == nil, !reap(options: 0) {}
        return termination!
    }

    /// Waits up to `limit` for the process to end; nil if it still runs.
    public func wait(within limit: Duration) -> Termination? {
        let deadline = ContinuousClock.now + limit
        while termination == nil, !reap(options: WNOHANG), ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        return termination
    }

    /// One waitpid; true once the process is reaped.
    private func reap(options: Int32) -> Bool {
        var status: Int32 = 0
        let result = waitpid(pid, &status, options)
        if result == 0 || (result == -1 && errno == EINTR) { return false }
        precondition(result == pid, "waitpid(\(pid)) failed with errno \(errno): not a child of this process")
        // The wait-status macros are not imported into Swift: the low 7 bits hold the signal, 0 on a normal exit.
        let signal = status & 0x7f
        termination = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
        return true
    }

    deinit {
        if termination == nil {
            kill(pid, SIGKILL)
            wait()
        }
    }

    public struct SpawnFailed: Error, CustomStringConvertible {
        public let command: String
        public let error: Int32
        public var description: String { "could not start \(command): \(String(cString: strerror(error)))" }
    }

    public struct Failed: Error, CustomStringConvertible {
        public let command: String
        public let termination: Termination
        public var description: String { "\(command) \(termination)" }
    }
}

/// Runs blocking `body` on a thread of its own, so that it never holds a thread of the cooperative pool.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// The package's executables, built beside the test binary by `swift build --build-tests`.
public enum BuiltProducts {
    /// The path of executable `name`; throws naming the build command when it is missing.
    public static func executable(_ name: String) throws -> String {
        let folders = [
            URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent(),
            TestServers.repositoryRoot.appendingPathComponent(".build/debug"),
        ]
        for folder in folders {
            let path = folder.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw Missing(name: name)
    }

    public struct Missing: Error, CustomStringConvertible {
        public let name: String
        public var description: String { "\(name) is not built: run swift build --build-tests (./test.sh does)" }
    }
}
