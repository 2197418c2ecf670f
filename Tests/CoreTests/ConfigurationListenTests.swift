import Core
import Foundation
import NIOCore
import Testing

/// What `HOST` may hold, and the line a failed bind becomes.
@Suite struct ConfigurationListenTests {
    @Test(arguments: ["127.0.0.1", "0.0.0.0", "::", "::1", "fe80::1", "localhost", "db-1.example.com", "host.", "a1"])
    func acceptsAnAddressOrAHostName(host: String) throws {
        #expect(try HTTPServerSettings(environment: EnvironmentReader(["HOST": host]), defaultPort: 8777).host == host)
    }

    @Test(arguments: ["300.1.1.1", "1.2.3", "[::1]", "local host", "-bad.example", "bad-.example", "a..b", "127.0.0.1:8777", "http://x"])
    func refusesAMalformedHostNamingTheVariable(host: String) {
        #expect {
            _ = try HTTPServerSettings(environment: EnvironmentReader(["HOST": host]), defaultPort: 8777)
        } throws: { error in
            (error as? ConfigurationError)?.description
                == "HOST must be an IPv4 or IPv6 address or a host name to listen on, got \"\(host)\""
        }
    }

    @Test func namesThePortInUse() {
        let error = IOError(errnoCode: EADDRINUSE, reason: "bind(descriptor:ptr:bytes:)")
        #expect(
            ListenFailure(error, host: "127.0.0.1", port: 8777)?.description
                == "PORT 8777 is in use on HOST 127.0.0.1: stop what listens there, or set PORT to another port")
    }

    @Test func namesAHostThisMachineDoesNotHave() {
        let error = IOError(errnoCode: EADDRNOTAVAIL, reason: "bind(descriptor:ptr:bytes:)")
        #expect(
            ListenFailure(error, host: "192.0.2.1", port: 8777)?.description
                == "HOST 192.0.2.1 cannot be listened on: no interface of this machine has that address")
    }

    @Test func leavesOtherErrorsAlone() {
        #expect(ListenFailure(IOError(errnoCode: ECONNREFUSED, reason: "connect"), host: "127.0.0.1", port: 1) == nil)
        #expect(ListenFailure(CancellationError(), host: "127.0.0.1", port: 1) == nil)
    }
}
