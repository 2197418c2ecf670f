import Foundation

extension URL {
    /// The URL with any password replaced by `***`, for logs and messages.
    public var redactingPassword: String {
        guard password != nil, var components = URLComponents(url: self, resolvingAgainstBaseURL: false) else {
            return absoluteString
        }
        components.password = "***"
        return components.string ?? absoluteString
    }
}
