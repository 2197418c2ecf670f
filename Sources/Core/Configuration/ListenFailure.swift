import Foundation
import NIOCore

/// Why a service could not listen on its `HOST` and `PORT`: the one line printed at start.
public struct ListenFailure: Error, CustomStringConvertible, Equatable {
    public let description: String

    /// The failure when `error` is what binding `host`:`port` threw; nil for any other error.
    public init?(_ error: any Error, host: String, port: Int) {
        if let error = error as? IOError, "\(error)".contains("bind") {
            switch error.errnoCode {
            case EADDRINUSE:
                description = "PORT \(port) is in use on HOST \(host): stop what listens there, or set PORT to another port"
            case EADDRNOTAVAIL:
                description = "HOST \(host) cannot be listened on: no interface of this machine has that address"
            case EACCES:
                description = "PORT \(port) cannot be listened on: permission denied (ports below 1024 need privileges)"
            default:
                description = "HOST \(host) and PORT \(port) cannot be listened on: \(String(cString: strerror(error.errnoCode)))"
            }
        } else if let error = error as? SocketAddressError.UnknownHost {
            description = "HOST \(host) cannot be listened on: the name does not resolve (\(error.errorDescription))"
        } else {
            return nil
        }
    }
}

/// What `HOST` may hold.
enum ListenAddress {
    /// An IPv4 or IPv6 address (without brackets), or a host name of RFC 1123 labels.
    static func isWellFormed(_ text: String) -> Bool {
        isAddress(text, family: AF_INET) || isAddress(text, family: AF_INET6) || isHostName(text)
    }

    private static func isAddress(_ text: String, family: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(family, text, &buffer) == 1
    }

    private static func isHostName(_ text: String) -> Bool {
        let name = text.hasSuffix(".") ? text.dropLast() : Substring(text)
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        // Digits and dots alone are a mistyped IPv4 address (300.1.1.1), not a name.
        guard name.utf8.count <= 253, !name.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) else {
            return false
        }
        return labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { byte in
                    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
                        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                }
        }
    }
}
