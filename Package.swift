// swift-tools-version: 6.1
import PackageDescription

/// Settings every target shares: Swift 6 language mode with complete concurrency checking is the default of
/// tools-version 6; these add the upcoming features the style guide asks for.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "onboard",
    platforms: [.macOS(.v15)],  // Synchronization.Mutex
    products: [
        .executable(name: "onboard", targets: ["onboard"]),
        .executable(name: "telegent-sim", targets: ["telegent-sim"]),
        .library(name: "OnboardCore", targets: ["OnboardCore"]),
        .library(name: "TelegentSimulator", targets: ["TelegentSimulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // UnixSignals: SIGINT/SIGTERM as an async sequence (already resolved through Hummingbird).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        // The shared store (issue 12): PostgreSQL through its connection pool (`PostgresClient`).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // The pages of `onboard serve`: templates, and /metrics in Prometheus text format.
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // The engine: workflow definitions, templates, the run state machine, retry policy, rate limiter,
        // manifests, and the two protocols (store, transport) through which it reaches the outside world.
        .target(
            name: "OnboardCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                // SHA-256 for digests of definitions, inputs and requests (Foundation has none on Linux).
                .product(name: "Crypto", package: "swift-crypto"),
                // Counters and timers through whatever backend the process bootstraps (OnboardMetrics).
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // The SQLite checkpoint store (GRDB, WAL); the schema's home is the top-level migrations/ folder.
        .target(
            name: "OnboardSQLite",
            dependencies: [
                "OnboardCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // The PostgreSQL checkpoint store, shared by processes on many machines; its schema's home is
        // migrations/postgres/. Leases, claims, locks and the request budget use the server's clock and locks.
        .target(
            name: "OnboardPostgres",
            dependencies: [
                "OnboardCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                // TLS settings for the connection (`sslmode`).
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP transport to the Telegent API: token cache per endpoint path, error classification.
        .target(
            name: "TelegentClient",
            dependencies: [
                "OnboardCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                // Transport errors are classified by their types (NIOConnectionError, IOError, NIOSSLError).
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Telegent API simulator as a library, so tests and `onboard demo` run it in-process.
        .target(
            name: "TelegentSimulator",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // The composition root: turns `--db` into a store and puts store, transport and runner together, for the
        // CLI, the tests and the benchmarks alike. The only module that names a backend.
        .target(
            name: "OnboardRuntime",
            dependencies: [
                "OnboardCore", "OnboardSQLite", "OnboardPostgres", "TelegentClient",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // `onboard serve`: read-only pages over any checkpoint store (Hummingbird, Mustache templates embedded as
        // strings), the `/api/...` JSON of the CLI's `--json`, and `/metrics` (Prometheus text).
        .target(
            name: "OnboardWeb",
            dependencies: [
                "OnboardCore", "OnboardRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The `onboard` commands, as a library so tests can drive them in-process.
        .target(
            name: "OnboardCLI",
            dependencies: [
                "OnboardCore", "OnboardRuntime", "OnboardWeb", "TelegentClient", "TelegentSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "onboard",
            dependencies: ["OnboardCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "telegent-sim",
            dependencies: [
                "TelegentSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        // Benchmarks (issue figures are measured here, never by timed assertions in tests).
        .executableTarget(
            name: "onboard-bench",
            dependencies: [
                "OnboardCLI", "OnboardCore", "OnboardPostgres", "OnboardRuntime", "OnboardSQLite", "OnboardWeb",
                "TelegentClient", "TelegentSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The crash/fault torture driver: drives the built `onboard` and `telegent-sim` binaries, SIGKILLs onboard
        // at random instants, and checks the simulator's ledger and the database.
        .executableTarget(
            name: "onboard-torture",
            dependencies: [
                "OnboardCore", "OnboardPostgres", "OnboardRuntime", "OnboardSQLite", "TelegentSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The libFuzzer target for the loaders of user files (TESTING.md, "Fuzzing"); a plain build replays inputs.
        .executableTarget(
            name: "onboard-fuzz",
            dependencies: ["OnboardCore", "CLibFuzzer", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // Calls libFuzzer's driver in a fuzz build (-Xcc -DONBOARD_FUZZING); a no-op otherwise.
        .target(name: "CLibFuzzer"),
        // Yams is here as the reference the event reader is compared with (YAMLCompatibilityTests).
        .testTarget(
            name: "OnboardCoreTests", dependencies: ["OnboardCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "OnboardSQLiteTests",
            dependencies: [
                "OnboardSQLite", "OnboardCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SHA-256 for the pins of shipped migrations.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OnboardPostgresTests",
            dependencies: [
                "OnboardPostgres", "OnboardCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // SHA-256 for the pins of shipped migrations.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The store contract, run against every backend (parameterised over store factories); OnboardPostgres only
        // for a fresh database per test.
        .testTarget(
            name: "StoreContractTests",
            dependencies: ["OnboardCore", "OnboardRuntime", "OnboardPostgres"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TelegentSimulatorTests",
            dependencies: [
                "TelegentSimulator",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OnboardTests",
            dependencies: [
                "OnboardCLI", "OnboardCore", "OnboardPostgres", "OnboardRuntime", "OnboardSQLite", "OnboardWeb",
                "TelegentClient",
                "TelegentSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
