import OnboardCore

/// The transport of a runner that only plans: reading the database is all it may do, so any send is a bug.
struct OfflineTransport: APITransport {
    func send(_ request: APIRequest, willSend: @Sendable () async throws -> Void) async throws -> APIResponse {
        throw TransportError(
            kind: .other, host: "(none)", message: "planning sends nothing (\(request.method) \(request.path))",
            mayHaveArrived: false)
    }
}

extension Engine {
    /// A runner over `store` that can plan (`Runner.planItem`), create runs (pinned to `target`) and read, but
    /// never sends a request.
    public static func planner(definition: WorkflowDefinition, store: any CheckpointStore, target: String? = nil) -> Runner {
        Runner(definition: definition, store: store, transport: OfflineTransport(), configuration: .init(target: target))
    }
}
