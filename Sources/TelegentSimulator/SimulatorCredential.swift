/// An AccountKey/AccountSecret pair the simulator accepts at its token endpoints: one distributor.
///
/// Everything a credential creates (accounts, routes, numbers, subscribers, messages, orders) belongs to it, and
/// other credentials see none of it, except that subscriber e-mail addresses are unique across all of them.
public struct SimulatorCredential: Sendable, Hashable {
    public var accountKey: String
    public var accountSecret: String

    public init(accountKey: String, accountSecret: String) {
        self.accountKey = accountKey
        self.accountSecret = accountSecret
    }

    /// The credential `telegent-sim` and `onboard demo` use unless told otherwise.
    public static let demo = SimulatorCredential(
        accountKey: "DID-onboard-demo",
        accountSecret: "demo-secret-not-for-production"
    )
}
