import HTTPTypes
import Testing

@testable import Core

@Suite struct ProblemUnavailableTests {
    @Test(arguments: [
        (PostgresError(code: .connectionFailed, message: "refused") as any Error, "the database is not reachable"),
        (PostgresError(code: .connectionLost, message: "closed"), "the database is not reachable"),
        (PostgresError(code: .lockNotAvailable, sqlState: "55P03", message: "lock timeout"), "the database is busy: a lock was not granted in time"),
        (PostgresError(code: .queryCanceled, sqlState: "57014", message: "statement timeout"), "the database did not answer in time"),
        (PostgresError(code: .readOnly, sqlState: "25006", message: "read-only transaction"),
         "the database takes no writes now (a failover to another server)"),
        (PoolClosedError(), "the service is shutting down"),
        (CancellationError(), "the service is shutting down"),
    ])
    func aDatabaseThatCannotAnswerNowOrAShutdownIsARetryable503(error: any Error, reason: String) throws {
        let problem = try #require(Problem.unavailable(for: error, retryAfterSeconds: 2, consequence: "nothing was stored"))
        #expect(problem.status == .serviceUnavailable)
        #expect(problem.headers[.retryAfter] == "2")
        #expect(problem.detail == "\(reason); nothing was stored")
    }

    @Test func anyOtherErrorIsNotMapped() {
        #expect(Problem.unavailable(for: PostgresError(code: .uniqueViolation, sqlState: "23505", message: "duplicate")) == nil)
        struct Other: Error {}
        #expect(Problem.unavailable(for: Other()) == nil)
    }
}
