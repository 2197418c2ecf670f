/// A command the data refuses: printed as one line, exit status 1.
enum AdminRefusal: Error, CustomStringConvertible, Equatable {
    case invalidClientName(String)
    case clientExists(String)
    case unknownClient(String)
    case unknownKey(String)
    case limitBelowTotal(limit: String, total: String)

    var description: String {
        switch self {
        case .invalidClientName(let name):
            "client names are 1 to 64 of a-z, 0-9, _ and -; \"\(name)\" is not one"
        case .clientExists(let name): "client \(name) already exists"
        case .unknownClient(let name): "no client \(name) (buyorders-admin client list shows them)"
        case .unknownKey(let id): "no key \(id)"
        case .limitBelowTotal(let limit, let total):
            "the limit cannot be \(limit) BTC: \(total) BTC are already sold, and the limit is never below that"
        }
    }
}
