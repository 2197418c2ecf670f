import Core
import Foundation
import Testing

@Suite struct AMQPSettingsTests {
    @Test func parsesCredentialsHostPortAndEncodedVirtualHost() throws {
        let endpoint = try AMQPEndpoint(url: #require(URL(string: "amqp://relay:p%40ss@broker:5673/%2f")))
        #expect(endpoint == AMQPEndpoint(host: "broker", port: 5673, user: "relay", password: "p@ss", virtualHost: "/"))
    }

    @Test(arguments: [
        ("amqp://h", "/"), ("amqp://h/", "/"), ("amqp://h/orders", "orders"), ("amqp://h/a%2fb", "a/b"),
    ])
    func readsTheVirtualHostFromThePath(url: String, virtualHost: String) throws {
        let endpoint = try AMQPEndpoint(url: #require(URL(string: url)))
        #expect(endpoint.virtualHost == virtualHost)
        #expect(endpoint.port == 5672)
        #expect(endpoint.user == "guest")
    }

    @Test func defaultsToTheLocalBroker() throws {
        let settings = try AMQPSettings.from(EnvironmentReader([:]))
        #expect(settings.endpoint == AMQPEndpoint(host: "127.0.0.1"))
        #expect(settings.heartbeat == .seconds(30))
    }

    @Test func refusesAURLThatIsNotAMQPNamingTheVariable() {
        #expect(throws: ConfigurationError.self) {
            try AMQPSettings.from(EnvironmentReader(["AMQP_URL": "http://broker/"]))
        }
        #expect(throws: ConfigurationError.self) {
            try AMQPSettings.from(EnvironmentReader(["AMQP_URL": "amqp://broker/a/b"]))
        }
    }

    @Test func describesTheEndpointWithoutThePassword() throws {
        let endpoint = try AMQPEndpoint(url: #require(URL(string: "amqp://relay:secret@broker:5673/%2f")))
        #expect(endpoint.description == "amqp://relay@broker:5673/%2F")
    }

    // MARK: - Several brokers

    @Test func readsAListOfBrokersWhoseLaterURLsTakeTheFirstsUserPasswordAndVhost() throws {
        let settings = try AMQPSettings.from(
            EnvironmentReader(["AMQP_URL": "amqp://relay:s3cret@h1:5672/orders, amqp://h2:5673,amqp://relay@h3/orders"]))
        let first = AMQPEndpoint(host: "h1", port: 5672, user: "relay", password: "s3cret", virtualHost: "orders")
        #expect(settings.endpoint == first)
        #expect(
            settings.failoverEndpoints == [
                AMQPEndpoint(host: "h2", port: 5673, user: "relay", password: "s3cret", virtualHost: "orders"),
                AMQPEndpoint(host: "h3", port: 5672, user: "relay", password: "s3cret", virtualHost: "orders"),
            ])
        #expect(settings.endpoints.count == 3)
    }

    @Test func aCommaInsideAPasswordDoesNotSplitTheList() throws {
        let settings = try AMQPSettings.from(EnvironmentReader(["AMQP_URL": "amqp://u:a,b@h1/%2f,amqp://h2"]))
        #expect(settings.endpoint.password == "a,b")
        #expect(settings.failoverEndpoints.map(\.host) == ["h2"])
        #expect(settings.failoverEndpoints.first?.password == "a,b")
    }

    @Test(arguments: [
        ("amqp://u:Pw-91c2@h1/orders,amqp://h2/other", "URL 2 names another user, password or vhost than the first"),
        ("amqp://u:Pw-91c2@h1/orders,amqp://v:Pw-91c2@h2", "URL 2 names another user, password or vhost than the first"),
        ("amqp://u:Pw-91c2@h1/orders,amqp://u:other@h2", "URL 2 names another user, password or vhost than the first"),
        ("amqp://u:Pw-91c2@h1/orders,", "URL 2 is not one with a host and one percent-encoded vhost"),
        ("amqp://u:Pw-91c2@h1/orders,amqp://:5673", "URL 2 is not one with a host and one percent-encoded vhost"),
    ])
    func refusesAListThatIsNotOneClusterNamingTheVariableWithoutThePassword(value: String, reason: String) {
        #expect {
            _ = try AMQPSettings.from(EnvironmentReader(["AMQP_URL": value]))
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("AMQP_URL must be an amqp://user:password@host:port/vhost URL, or several separated by commas (\(reason)")
                && text.contains("u:***@h1") && !text.contains("Pw-91c2")
        }
    }
}
