import Core
import Foundation

/// Runs `verify` or `rebuild` against WRITE_DB_URL and READ_DB_URL; returns the exit code.
enum AdminCommand {
    static func run(_ command: String) -> Int32 {
        do {
            let environment = EnvironmentReader()
            let admin = ReadModelAdmin(
                write: try PostgresConnection(url: try DatabaseSettings.write(environment).url),
                read: try PostgresConnection(url: try DatabaseSettings.read(environment).url))
            if command == "rebuild" {
                let copied = try admin.rebuild()
                print("rebuild: copied \(copied) orders from the write model into the read model")
            }
            if let difference = try admin.verify() {
                print("verify: read model differs from write model: \(difference)")
                return 1
            }
            print("verify: read model matches write model (\(try ReadModelAdmin.summary(admin.read)))")
            return 0
        } catch let error as PostgresError {
            FileHandle.standardError.write(Data("read-model-sync \(command): \(error.debugDescription)\n".utf8))
        } catch {
            FileHandle.standardError.write(Data("read-model-sync \(command): \(error)\n".utf8))
        }
        return 2
    }
}
