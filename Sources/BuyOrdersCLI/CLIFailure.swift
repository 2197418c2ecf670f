/// Why a command did not do its job, with its exit status: printed as `buyorders: <message>` on stderr.
enum CLIFailure: Error, Equatable, CustomStringConvertible {
    /// The API refused the request (a 4xx), or the command could not do its job here (a file it cannot
    /// write, a question nobody can answer): exit 1.
    case refused(String)
    /// The command line or the environment is wrong: exit 2.
    case usage(String)
    /// No answer, a dropped connection, a 5xx or an answer that makes no sense: exit 3.
    case unavailable(String)

    var exitStatus: Int32 {
        switch self {
        case .refused: 1
        case .usage: 2
        case .unavailable: 3
        }
    }

    var description: String {
        switch self {
        case .refused(let message), .usage(let message), .unavailable(let message): message
        }
    }
}
