import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A simulator that is listening: where to reach it, and its world for in-process assertions.
public struct RunningSimulator: Sendable {
    /// The bound port (the real one when the configuration asked for 0).
    public let port: Int
    public let world: SimulatorWorld
    /// The host clients connect to: the bound host, or loopback when bound to every interface.
    public let host: String

    /// `http://127.0.0.1:PORT`, what a client's base URL should be (paths carry `/v1.0`).
    public var baseURL: String { "http://\(host):\(port)" }
}

/// The Telegent mPaaS API simulator as a Hummingbird application.
///
/// Tests run it in-process on an ephemeral port and shut it down when done:
///
/// ```swift
/// try await TelegentSimulator.withRunning(SimulatorConfiguration(rateLimitPerMinute: nil)) { simulator in
///     // point a client at simulator.baseURL ...
///     #expect(simulator.world.ledger().purchases == 1)
/// }
/// ```
///
/// `telegent-sim` runs the application from ``makeApplication(_:world:logger:onServerRunning:)`` in the foreground.
public enum TelegentSimulator {
    /// Binds the simulator, runs `body` with its address, and shuts the server down when `body` returns or throws.
    ///
    /// - Parameters:
    ///   - configuration: The simulator's settings; port 0 binds a free port.
    ///   - logger: Where the server logs; by default warnings and errors only (or `LOG_LEVEL`).
    ///   - body: Work to do while the simulator listens.
    /// - Returns: What `body` returned.
    /// - Throws: What `body` threw, or the server's error when it could not bind.
    public static func withRunning<T: Sendable>(
        _ configuration: SimulatorConfiguration,
        logger: Logger? = nil,
        _ body: @Sendable (RunningSimulator) async throws -> T
    ) async throws -> T {
        let logger = logger ?? defaultLogger()
        let (started, continuation) = AsyncStream.makeStream(of: RunningSimulator.self)
        let application = makeApplication(configuration, logger: logger) { running in
            continuation.yield(running)
            continuation.finish()
        }
        let serviceGroup = ServiceGroup(
            configuration: .init(services: [application], gracefulShutdownSignals: [], logger: logger)
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await serviceGroup.run()
            }
            var iterator = started.makeAsyncIterator()
            guard let running = await iterator.next() else {
                // The server stopped before listening: surface its error.
                try await group.next()
                throw SimulatorStartError(host: configuration.host, port: configuration.port)
            }
            do {
                let value = try await body(running)
                await serviceGroup.triggerGracefulShutdown()
                try await group.waitForAll()
                return value
            } catch {
                // Let the server finish its graceful shutdown before the group cancels what is left.
                await serviceGroup.triggerGracefulShutdown()
                try? await group.waitForAll()
                throw error
            }
        }
    }

    /// The simulator as a Hummingbird application, for running in the foreground:
    ///
    /// ```swift
    /// let app = TelegentSimulator.makeApplication(configuration) { print("listening on \($0.baseURL)") }
    /// try await app.runService()  // until SIGINT or SIGTERM
    /// ```
    ///
    /// - Parameters:
    ///   - configuration: The simulator's settings.
    ///   - world: The state to serve; a new one from `configuration` by default.
    ///   - logger: Where the server logs; by default warnings and errors only (or `LOG_LEVEL`).
    ///   - onServerRunning: Called once the port is bound.
    public static func makeApplication(
        _ configuration: SimulatorConfiguration,
        world: SimulatorWorld? = nil,
        logger: Logger? = nil,
        onServerRunning: @escaping @Sendable (RunningSimulator) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let world = world ?? SimulatorWorld(configuration: configuration)
        let reachableHost = ["0.0.0.0", "::", ""].contains(configuration.host) ? "127.0.0.1" : configuration.host
        return Application(
            responder: SimulatorResponder(world: world),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                await onServerRunning(RunningSimulator(port: port, world: world, host: reachableHost))
            },
            logger: logger ?? defaultLogger()
        )
    }

    private static func defaultLogger() -> Logger {
        var logger = Logger(label: "telegent-sim")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }
}

/// The server stopped before it was listening, without saying why.
public struct SimulatorStartError: Error, CustomStringConvertible {
    public var host: String
    public var port: Int

    public var description: String { "the simulator could not listen on \(host):\(port)" }
}
