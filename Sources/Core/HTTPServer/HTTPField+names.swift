import HTTPTypes

extension HTTPField.Name {
    /// The client's idempotency key for a create request.
    public static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    /// Set on an answer that repeats the first answer for an idempotency key.
    public static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
}
