import Core
import Foundation
import Prometheus
import Testing
import TestSupport

@testable import FetchBuyOrders

/// A stream whose reader stops reading: its socket buffers fill, then its mailbox, and it is closed,
/// while a stream of the same client that reads gets every order, in order.
@Suite struct StreamBackpressureTests {
    @Test func aReaderThatDoesNotReadIsClosedAndDoesNotHoldBackAnother() async throws {
        let database = try TestDatabase.create(.readModel, on: .streams)
        let projected = ProjectedOrders(database: database)
        var settings = StreamSettings()
        settings.bufferEvents = 1000
        let metrics = PrometheusCollectorRegistry()
        let (batches, perBatch) = (60, 250)
        try await withStreamingService(database: database, stream: settings, metrics: metrics) { live in
            let stalled = try await EventStreamConnection.open(
                port: live.port, path: StreamRouteTests.path, receiveBuffer: 4096)
            let reading = try await EventStreamConnection.open(port: live.port, path: StreamRouteTests.path)
            async let received = reading.orders(batches * perBatch, within: .seconds(60))
            var expected: [String] = []
            for _ in 0..<batches {
                expected += try projected.project(perBatch).map(\.id)
                try await Task.sleep(for: .milliseconds(20))
            }
            let got = try await received
            #expect(got.count == expected.count)
            // Not `==` on the arrays: a failure would print a diff of 15,000 ids.
            let firstDifference = zip(got.map(\.orderID), expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(firstDifference == nil, "the first order out of place is number \(firstDifference ?? 0)")
            try await expectEventually(within: .seconds(30)) {
                MetricsReading(metrics).value("streams_fell_behind_total") ?? 0 >= 1
            }
            // Reading it now: what the buffers held, then the connection cut, never every order.
            let rest = try await stalled.rest(within: .seconds(60))
            #expect(stalled.ending == .cut)
            #expect(rest.filter { $0.event == "buy_order" }.count < expected.count)
            reading.close()
        }
    }
}
