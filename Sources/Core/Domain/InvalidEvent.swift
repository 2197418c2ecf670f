/// Why a message is not a valid event; `description` is the dead-letter reason.
public struct InvalidEvent: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}
