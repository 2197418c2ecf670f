import ArgumentParser
import Core

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Creates, lists and revokes API keys.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Makes a key for a client and prints it, alone on the last line. It is never shown again.")

        @Argument(help: "The client's name.")
        var client: String

        @Option(help: "Comma-separated: orders:read, orders:write, or both.")
        var scopes: String = "orders:read,orders:write"

        @Option(help: "A note on what the key is for (at most 200 characters).")
        var label: String = ""

        func validate() throws {
            guard APIScope.parseList(scopes) != nil else {
                throw ValidationError("--scopes must list orders:read, orders:write or both, comma-separated; got \"\(scopes)\"")
            }
            guard label.count <= 200 else { throw ValidationError("--label may be at most 200 characters") }
        }

        func run() throws {
            let (key, record) = try writeModel().createKey(client: client, scopes: APIScope.parseList(scopes)!, label: label)
            print("created key \(record.keyID) for client \(record.clientID) (scopes \(record.scopes.joined(separator: ",")))")
            print("the key is shown only this once; keep it secret:")
            print(key.token)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lists a client's keys (never their secrets).")

        @Argument(help: "The client's name.")
        var client: String

        func run() throws {
            let rows = try writeModel().keys(client: client).map { key in
                [key.keyID, key.scopes.joined(separator: ","), key.createdAt, key.revokedAt ?? "-", key.label]
            }
            print(Table(["KEY", "SCOPES", "CREATED", "REVOKED", "LABEL"], rows))
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revokes a key; every service refuses it within 5 seconds.")

        @Argument(help: "The key id (the part after bo_, before the next _).")
        var keyID: String

        func run() throws {
            let (key, wasRevoked) = try writeModel().revokeKey(id: keyID)
            if wasRevoked {
                print("key \(key.keyID) of client \(key.clientID) was already revoked at \(key.revokedAt ?? "-")")
            } else {
                print("revoked key \(key.keyID) of client \(key.clientID)")
            }
        }
    }
}
