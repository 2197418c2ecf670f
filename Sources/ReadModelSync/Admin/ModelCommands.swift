import ArgumentParser
import Core
import Foundation

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compares the read model with the write model, and names what is parked in the dead-letter queue.",
        discussion: """
            Compares count, sum of btc_amount and a checksum of the order ids. When they differ, it lists the \
            orders missing from the read model, each with whether its event is parked in the dead-letter \
            queue. A broker it cannot reach is reported, and the models are compared all the same. \
            Exit status: 0 the models match, 1 they differ.
            """)

    func run() throws {
        try AdminCommand.run("verify") { environment in
            guard try VerifyReport.run(AdminCommand.models(environment), environment) else { throw ExitCode(1) }
        }
    }
}

struct Rebuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copies every client, key and order of the write model into the read model, then verifies.",
        discussion: "Idempotent upserts: safe while the consumer runs. Exit status as verify's.")

    func run() throws {
        try AdminCommand.run("rebuild") { environment in
            let admin = try AdminCommand.models(environment)
            let access = try admin.rebuildAccess()
            let copied = try admin.rebuild()
            print("rebuild: copied \(access.clients) clients, \(access.keys) keys and \(copied) orders from the write model into the read model")
            guard try VerifyReport.run(admin, environment) else { throw ExitCode(1) }
        }
    }
}

/// What `verify` prints.
enum VerifyReport {
    /// Missing orders named one by one, at most.
    static let missingListed = 100

    /// Prints the comparison and the dead letters; true when the models match.
    static func run(_ admin: ReadModelAdmin, _ environment: EnvironmentReader) throws -> Bool {
        let topology = AMQPTopology()
        let parked = Result { try AdminCommand.withDeadLetters(environment) { try $0.list() } }
        let difference = try admin.verify()
        if let difference {
            print("verify: read model differs from write model: \(difference)")
            let missing = try admin.missingOrders(limit: missingListed)
            if missing.count > 0 {
                let shown = missing.count > missing.ids.count ? ", the first \(missing.ids.count) by id" : ""
                print("verify: \(missing.count) order(s) of the write model missing from the read model\(shown):")
                for id in missing.ids {
                    print("  order \(id.lowercaseText): \(whereIs(id, in: parked, queue: topology.deadLetterQueue))")
                }
            }
        } else {
            print("verify: read model matches write model (\(try ReadModelAdmin.summary(admin.read)))")
        }
        switch parked {
        case .success(let letters) where letters.isEmpty:
            print("verify: no message parked in \(topology.deadLetterQueue)")
        case .success(let letters):
            print("verify: \(letters.count) message(s) parked in \(topology.deadLetterQueue):")
            for letter in letters {
                let event = letter.orderID.map { "order \($0.lowercaseText)" } ?? "not a valid \(BuyOrderCreatedEvent.type) event"
                print("  \(letter.line)  (\(event))")
            }
        case .failure(let error as AMQPError) where [.connectionFailed, .timeout, .authenticationFailed].contains(error.code):
            print("verify: dead letters not checked: cannot reach the broker (\(error.debugDescription))")
        case .failure(let error):
            print("verify: dead letters not checked: \(AdminCommand.describe(error))")
        }
        return difference == nil
    }

    private static func whereIs(_ order: UUID, in parked: Result<[DeadLetter], any Error>, queue: String) -> String {
        guard case .success(let letters) = parked else { return "the dead-letter queue could not be checked" }
        guard let letter = letters.first(where: { $0.orderID == order }) else {
            return "its event is not in \(queue)"
        }
        return "its event is parked in \(queue): \(letter.line)"
    }
}
