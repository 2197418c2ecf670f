import ArgumentParser
import Core
import Foundation

struct DeadLetters: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "Lists the messages parked in the dead-letter queue, or sends them back to the live queue.",
        discussion: "The broker is AMQP_URL's; the queues are read_model_sync.dead_letter and read_model_sync.",
        subcommands: [List.self, Redrive.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Shows how many messages are parked and each one's id, time and reason; leaves them all in place, in order.")

        func run() throws {
            try AdminCommand.run("dead-letters list") { environment in
                let letters = try AdminCommand.withDeadLetters(environment) { try $0.list() }
                print("\(letters.count) message(s) parked in \(AMQPTopology().deadLetterQueue)")
                for letter in letters { print(letter.line) }
            }
        }
    }

    struct Redrive: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sends parked messages back to the live queue.",
            discussion: """
                Each copy is confirmed by the broker before its dead letter is removed. A message that is still \
                invalid is parked again by the consumer. Exit status: 1 when no parked message has the id.
                """)

        @Flag(name: .long, help: "Every parked message.")
        var all = false

        @Option(name: .customLong("id"), help: ArgumentHelp("Only the message with this id (its event id).", valueName: "message-id"))
        var messageID: String?

        func validate() throws {
            switch (all, messageID) {
            case (true, _?): throw ValidationError("give either --all or --id MESSAGE_ID, not both")
            case (false, nil): throw ValidationError("give --all, or --id MESSAGE_ID for one message")
            default: break
            }
        }

        func run() throws {
            try AdminCommand.run("dead-letters redrive") { environment in
                let topology = AMQPTopology()
                let moved = try AdminCommand.withDeadLetters(environment) { queue in
                    try queue.redrive { all || $0.messageID == messageID }
                }
                if let messageID, moved.isEmpty {
                    AdminCommand.fail("dead-letters redrive", "no message with id \(messageID) is parked in \(topology.deadLetterQueue)")
                    throw ExitCode(1)
                }
                print("moved \(moved.count) message(s) from \(topology.deadLetterQueue) back to \(topology.queue)")
                for letter in moved { print(letter.line) }
            }
        }
    }
}
