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
}
