import ArgumentParser
import Core
import Foundation

/// `buyorders export FILE.csv`: every order of the client as CSV, written atomically.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Writes every one of your orders to a CSV file.",
        discussion: """
            Pages through GET /v1/buy_orders (100 orders per request, newest first) and writes a CSV file \
            (RFC 4180) with the header \(Order.csvHeader) and one row per order, each value exactly the \
            API's string. A progress line on stderr shows the rows written and the rows per second. The \
            file appears only when complete: the rows go to a temporary file beside it, which is renamed \
            over FILE at the end; on failure, and on Ctrl-C (SIGINT) or SIGTERM (exit status 1), the partial \
            file is removed and FILE is left as it was.

            EXAMPLES
              buyorders export orders.csv
              buyorders export /tmp/orders-$(date +%F).csv

            \(Help.environment)

            \(Help.exitStatus)
            """)

    @Argument(help: "The CSV file to write (replaced if it exists).")
    var file: String

    static let pageSize = 100

    func validate() throws {
        guard !file.isEmpty, !file.hasSuffix("/") else { throw ValidationError("FILE must name a file") }
        var isDirectory: ObjCBool = false
        let folder = (file as NSString).deletingLastPathComponent
        guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isDirectory),
            isDirectory.boolValue
        else { throw ValidationError("the folder of FILE, \(folder), does not exist") }
    }

    func run() async throws {
        try await APIClient.with { api in
            let file = file
            do {
                try await Interruption.cancelling { try await Self.export(api, to: file) }
            } catch is CancellationError {
                throw CLIFailure.refused("interrupted: nothing written, \(file) is as it was")
            }
        }
    }

    static func export(_ api: APIClient, to file: String) async throws {
        let temporary = try TemporaryFile(beside: file)
        var progress = ExportProgress()
        do {
            try temporary.append(Order.csvHeader + "\n")
            try await api.walk(.fetchBuyOrders, "/v1/buy_orders", query: [], pageSize: pageSize) { page in
                var text = ""
                for row in page.rows { text += try Order(row).csvRow + "\n" }
                try temporary.append(text)
                progress.wrote(page.rows.count)
                return true
            }
            try temporary.commit()
        } catch {
            temporary.discard()
            progress.abandon()
            throw error
        }
        progress.finish(file: file)
    }
}

/// A file beside the target that becomes it only once complete: synced, then renamed over it.
final class TemporaryFile {
    let path: String
    let target: String
    private let descriptor: Int32

    init(beside target: String) throws(CLIFailure) {
        self.target = target
        path = target + ".partial-\(getpid())"
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .refused("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    func append(_ text: String) throws(CLIFailure) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw .refused("cannot write \(path): \(String(cString: strerror(errno)))") }
            bytes = bytes.dropFirst(written)
        }
    }

    func commit() throws(CLIFailure) {
        guard fsync(descriptor) == 0, close(descriptor) == 0 else {
            throw .refused("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        guard rename(path, target) == 0 else {
            throw .refused("cannot rename \(path) to \(target): \(String(cString: strerror(errno)))")
        }
    }

    func discard() {
        close(descriptor)
        unlink(path)
    }
}

/// The progress line on stderr: rows so far and rows per second, redrawn in place on a terminal, else
/// a line at most once a second.
struct ExportProgress {
    private let start = ContinuousClock.now
    private var lastShown = ContinuousClock.now
    private(set) var rows = 0
    private let redraw = Output.isStderrTerminal

    mutating func wrote(_ count: Int) {
        rows += count
        let now = ContinuousClock.now
        if redraw {
            Output.write("\rbuyorders: exporting: \(rows) orders, \(rate) rows/s", to: STDERR_FILENO)
        } else if now - lastShown >= .seconds(1) {
            lastShown = now
            Output.note("exporting: \(rows) orders, \(rate) rows/s")
        }
    }

    /// Rows per second so far, in integers (a count over a time, never money).
    var rate: Int {
        let elapsed = ContinuousClock.now - start
        let milliseconds = max(1, elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        return Int(Int64(rows) * 1000 / milliseconds)
    }

    func finish(file: String) {
        if redraw { Output.write("\n", to: STDERR_FILENO) }
        let elapsed = ContinuousClock.now - start
        let tenths = elapsed.components.seconds * 10 + elapsed.components.attoseconds / 100_000_000_000_000_000
        Output.note("exported \(rows) orders to \(file) in \(tenths / 10).\(tenths % 10) s (\(rate) rows/s)")
    }

    func abandon() {
        if redraw { Output.write("\n", to: STDERR_FILENO) }
    }
}
