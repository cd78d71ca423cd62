import Foundation
import Hummingbird
import Logging
import NIOCore
import OnboardCore
import ServiceLifecycle
import UnixSignals

/// A pages server that is listening: where people and tests reach it.
public struct RunningWebServer: Sendable {
    /// The bound port (the real one when the configuration asked for 0).
    public let port: Int
    /// `http://127.0.0.1:PORT`, to print and to open.
    public let url: String
}

/// `onboard serve` as a Hummingbird application: read-only pages, JSON and metrics over any checkpoint store.
///
/// In the foreground until SIGINT or SIGTERM (`onboard serve`):
///
/// ```swift
/// try await WebServer.run(store: store, configuration: WebConfiguration(database: location)) { server in
///     print("serving \(server.url)")
/// }
/// ```
///
/// Around other work (`onboard batch --serve`, the tests), stopped gracefully when the work ends:
///
/// ```swift
/// try await WebServer.withRunning(store: store, configuration: configuration) { server in
///     try await runTheBatch()
/// }
/// ```
///
/// Metrics: the first server of the process makes Prometheus swift-metrics' backend (``PrometheusBackend``).
public enum WebServer {
    /// The application, for running as a service; `onServerRunning` is called once the port is bound.
    public static func makeApplication(
        store: any CheckpointStore, configuration: WebConfiguration, logger: Logger? = nil,
        onServerRunning: @escaping @Sendable (RunningWebServer) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        PrometheusBackend.bootstrap()
        let router = Router(context: BasicRequestContext.self)
        WebRoutes(context: PageContext(store: store, configuration: configuration)).register(on: router)
        let listen = configuration.listen
        return Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(listen.host, port: listen.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? listen.port
                await onServerRunning(RunningWebServer(port: port, url: listen.url(port: port)))
            },
            logger: logger ?? defaultLogger()
        )
    }

    /// Serves until SIGINT or SIGTERM, then stops gracefully (requests in flight are answered).
    public static func run(
        store: any CheckpointStore, configuration: WebConfiguration, logger: Logger? = nil,
        onServerRunning: @escaping @Sendable (RunningWebServer) async -> Void
    ) async throws {
        let application = makeApplication(
            store: store, configuration: configuration, logger: logger, onServerRunning: onServerRunning)
        try await application.runService(gracefulShutdownSignals: [.sigint, .sigterm])
    }

    /// Binds the server, runs `body` with its address, and shuts the server down when `body` returns or throws.
    /// Signals are left to the caller (`onboard batch` handles Ctrl-C itself).
    ///
    /// - Throws: What `body` threw, or the server's error when it could not bind.
    public static func withRunning<T: Sendable>(
        store: any CheckpointStore, configuration: WebConfiguration, logger: Logger? = nil,
        _ body: (RunningWebServer) async throws -> T
    ) async throws -> T {
        let logger = logger ?? defaultLogger()
        let (started, continuation) = AsyncStream.makeStream(of: RunningWebServer.self)
        let application = makeApplication(store: store, configuration: configuration, logger: logger) { running in
            continuation.yield(running)
            continuation.finish()
        }
        let serviceGroup = ServiceGroup(
            configuration: .init(services: [application], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await serviceGroup.run()
            }
            var iterator = started.makeAsyncIterator()
            guard let running = await iterator.next() else {
                try await group.next()
                throw WebServerError(address: configuration.listen)
            }
            do {
                let value = try await body(running)
                await serviceGroup.triggerGracefulShutdown()
                try await group.waitForAll()
                return value
            } catch {
                await serviceGroup.triggerGracefulShutdown()
                try? await group.waitForAll()
                throw error
            }
        }
    }

    private static func defaultLogger() -> Logger {
        var logger = Logger(label: "onboard.serve")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }
}

/// The server stopped before it was listening, without saying why.
public struct WebServerError: Error, CustomStringConvertible {
    public var address: ListenAddress
    public var description: String { "cannot listen on \(address) (in use, or not an address of this machine)" }
}
