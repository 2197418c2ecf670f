import Core
import Foundation
import Testing

/// A password the tests put in URLs, to look for afterwards.
private let password = "Pw-7f3c9e"

/// A password never reaches a configuration error or a redacted URL.
@Suite struct ConfigurationSecretsTests {
    @Test(arguments: [
        ("postgresql://user:\(password)@db:5432/write_model", "postgresql://user:***@db:5432/write_model"),
        ("amqp://guest:\(password)@127.0.0.1:5672/%2f", "amqp://guest:***@127.0.0.1:5672/%2f"),
        // Not URLs Foundation parses: an unencoded @, / or ? in the password, no host, no scheme separator.
        ("postgresql://user:pa@\(password)@db/x", "postgresql://user:***@db/x"),
        ("postgresql://user:a/\(password)?b@db/x", "postgresql://user:***@db/x"),
        ("postgresql://user:\(password)@/x", "postgresql://user:***@/x"),
        ("amqp:user:\(password)@host", "amqp:***@host"),
        ("postgresql://u:\(password)@h1:5432,h2:5432/db?target_session_attrs=read-write",
         "postgresql://u:***@h1:5432,h2:5432/db?target_session_attrs=read-write"),
        ("postgresql://db/x?sslmode=require&password=\(password)&user=u", "postgresql://db/x?sslmode=require&password=***&user=u"),
        ("postgresql://db/x?PASSWORD=\(password)", "postgresql://db/x?PASSWORD=***"),
        ("host=db password=\(password) dbname=x", "host=db password=*** dbname=x"),
        ("host=db password='a b \(password)' dbname=x", "host=db password=*** dbname=x"),
    ])
    func hidesThePasswordOfAnyURLText(text: String, redacted: String) {
        #expect(URL.redactingPassword(in: text) == redacted)
        #expect(!URL.redactingPassword(in: text).contains(password))
    }

    @Test(arguments: [
        "postgresql://user@db:5432/write_model", "postgresql://db:5432/x?sslmode=require", "amqp://127.0.0.1/%2f",
        "postgresql://db/x?passfile=/p",
    ])
    func leavesAURLWithoutPasswordAsItIs(text: String) {
        #expect(URL.redactingPassword(in: text) == text)
    }

    @Test(arguments: ["WRITE_DB_URL", "READ_DB_URL"])
    func reportsAMalformedDatabaseURLWithoutItsPassword(variable: String) {
        for value in ["mysql://user:\(password)@db/x", "postgresql://user:\(password)@/x", "postgresql://user:a@\(password)@/x"] {
            let environment = EnvironmentReader([variable: value])
            #expect {
                _ = variable == "WRITE_DB_URL" ? try DatabaseSettings.write(environment) : try DatabaseSettings.read(environment)
            } throws: { error in
                let text = "\(error)"
                return text.hasPrefix("\(variable) must be") && text.contains("user:***@") && !text.contains(password)
            }
        }
    }

    @Test(arguments: [
        "amqp://guest:\(password)@127.0.0.1:5672/a/b",  // parses as a URL, but the path is not one vhost
        "http://guest:\(password)@127.0.0.1:5672/%2f",
        "amqp://guest:\(password)@:5672/%2f",
    ])
    func reportsAMalformedAMQPURLWithoutItsPassword(value: String) {
        #expect {
            _ = try AMQPSettings.from(EnvironmentReader(["AMQP_URL": value]))
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("AMQP_URL must be") && text.contains("guest:***@") && !text.contains(password)
        }
    }
}
