import Foundation

/// Writes to stdout and stderr at once, unbuffered, so that `watch` and progress lines show as they
/// happen, also through a pipe.
enum Output {
    static func line(_ text: String) {
        write(text + "\n", to: STDOUT_FILENO)
    }

    /// A message for the person at the terminal (progress, retries, hints), never mixed into stdout.
    static func note(_ text: String) {
        write("buyorders: " + text + "\n", to: STDERR_FILENO)
    }

    static func write(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }

    static var isStderrTerminal: Bool { isatty(STDERR_FILENO) == 1 }
    static var isStdinTerminal: Bool { isatty(STDIN_FILENO) == 1 }
}
