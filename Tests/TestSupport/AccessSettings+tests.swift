import Core

extension AccessSettings {
    /// Requests without a key act as the seeded client `default`: for tests of what happens after
    /// authentication. Tests of keys themselves use `AccessSettings()`.
    public static let anonymousDefault = AccessSettings(anonymousClient: "default")
}
