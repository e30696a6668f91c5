// swift-tools-version: 6.2
import PackageDescription

/// Every import declared and deliberate, as grpc-swift-2 does: a module's imports are internal unless a file
/// says `public import` (its public API shows the other module's types), and a member is visible only where
/// its module is imported.
let strictImports: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "crossbit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CrossbitCore", targets: ["CrossbitCore"]),
        .library(name: "CrossbitIDL", targets: ["CrossbitIDL"]),
        .library(name: "CrossbitCodeGen", targets: ["CrossbitCodeGen"]),
        .library(name: "CrossbitTransport", targets: ["CrossbitTransport"]),
        .library(name: "CrossbitBrokerControl", targets: ["CrossbitBrokerControl"]),
        .library(name: "CrossbitELF", targets: ["CrossbitELF"]),
        .library(name: "CrossbitSharedMemory", targets: ["CrossbitSharedMemory"]),
        .library(name: "CrossbitBroker", targets: ["CrossbitBroker"]),
        .library(name: "CrossbitDynamic", targets: ["CrossbitDynamic"]),
        .library(name: "CrossbitProcess", targets: ["CrossbitProcess"]),
        .executable(name: "crossbit-idl", targets: ["crossbit-idl"]),
        .executable(name: "crossbitd", targets: ["crossbitd"]),
        .executable(name: "crossbit", targets: ["crossbit"]),
        .plugin(name: "CrossbitIDLPlugin", targets: ["CrossbitIDLPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        // FilePath for swift-subprocess's executables (SystemPackage where the OS has no System module).
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // `make docs`: DocC archives of the library modules (a command plugin: built only when docs are made).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // The XDR runtime and the RPC abstractions: pure Swift, no libtirpc.
        .target(name: "CrossbitCore", swiftSettings: strictImports),
        // The IDL front end: lexer, preprocessor, parser, checker, layout model.
        .target(name: "CrossbitIDL", dependencies: ["CrossbitCore"], swiftSettings: strictImports),
        // Named shared regions (shm_open + mmap) of C structs, read through the generated views.
        .target(name: "CrossbitSharedMemory", dependencies: ["CrossbitCore"], swiftSettings: strictImports),
        // Code generation (Swift and RPC language) over the front end.
        .target(
            name: "CrossbitCodeGen",
            dependencies: ["CrossbitCore", "CrossbitIDL"],
            swiftSettings: strictImports
        ),
        // libtirpc, found through pkg-config, and a small C shim over it.
        .systemLibrary(
            name: "CTIRPC",
            pkgConfig: "libtirpc",
            providers: [.apt(["libtirpc-dev"])]
        ),
        .target(name: "CCrossbitShim", dependencies: ["CTIRPC"]),
        // ONC RPC clients and servers on SwiftNIO: record marking as a NIO
        // decoder, libtirpc for rpcbind (docs/server-concurrency.md says why).
        .target(
            name: "CrossbitTransport",
            dependencies: [
                "CrossbitCore", "CCrossbitShim",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictImports
        ),
        // How the three executables report errors and exit (ArgumentParser's way, Crossbit's statuses).
        .target(
            name: "CrossbitCommandLine",
            dependencies: ["CrossbitCore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictImports
        ),
        .executableTarget(
            name: "crossbit-idl",
            dependencies: [
                "CrossbitCore", "CrossbitIDL", "CrossbitCodeGen", "CrossbitCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictImports
        ),
        // The broker's control program (IDL/crossbit_broker.x): its generated client and
        // BrokerRegistration, for servers and tools that talk to a broker without linking it.
        .target(
            name: "CrossbitBrokerControl",
            dependencies: ["CrossbitCore", "CrossbitTransport"],
            swiftSettings: strictImports,
            plugins: ["CrossbitIDLPlugin"]
        ),
        // Child processes that run beside their owner, on swift-subprocess: the broker's activated servers,
        // the peers and tools of the tests and benchmarks.
        .target(
            name: "CrossbitProcess",
            dependencies: [
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictImports
        ),
        // Which layout an executable speaks, from its ELF header.
        .target(name: "CrossbitELF", dependencies: ["CrossbitCore"], swiftSettings: strictImports),
        // The broker as a library: configuration, routes, conversion, forwarding.
        .target(
            name: "CrossbitBroker",
            dependencies: [
                "CrossbitCore", "CrossbitIDL", "CrossbitTransport", "CrossbitBrokerControl", "CrossbitELF",
                "CrossbitProcess",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strictImports
        ),
        .executableTarget(
            name: "crossbitd",
            dependencies: [
                "CrossbitBroker", "CrossbitCommandLine", "CrossbitCore", "CrossbitTransport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictImports
        ),
        // JSON <-> XDR by IDL types, for `crossbit call`.
        .target(
            name: "CrossbitDynamic",
            dependencies: ["CrossbitCore", "CrossbitIDL"],
            swiftSettings: strictImports
        ),
        // The command-line client: call, ping, list.
        .executableTarget(
            name: "crossbit",
            dependencies: [
                "CrossbitCore", "CrossbitIDL", "CrossbitDynamic", "CrossbitTransport", "CrossbitBrokerControl",
                "CrossbitCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictImports
        ),
        .plugin(
            name: "CrossbitIDLPlugin",
            capability: .buildTool(),
            dependencies: ["crossbit-idl"]
        ),
        // The Swift sides of Examples/ (their C sides are built by each example's Makefile). Targets, not products:
        // an application that depends on Crossbit never builds them. They sit in this package rather than one of
        // their own because a package of their own builds SwiftNIO and the generator a second time (two minutes of
        // every `make test`); README.md's tutorial is the application's own package, on a path dependency.
        .executableTarget(
            name: "checksum-client",  // a 64-bit Swift client of a 32-bit C library's server; reads ELF headers
            dependencies: ["CrossbitCore", "CrossbitTransport", "CrossbitELF"],
            path: "Examples/LegacyChecksum32/Client",
            swiftSettings: strictImports,
            plugins: ["CrossbitIDLPlugin"]
        ),
        .executableTarget(
            name: "probe-server",  // a 64-bit Swift service an unmodified 32-bit C client calls through the broker
            dependencies: [
                "CrossbitCore", "CrossbitTransport", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/SwiftService64/Server",
            swiftSettings: strictImports,
            plugins: ["CrossbitIDLPlugin"]
        ),
        .executableTarget(
            name: "shm-server",  // a 64-bit Swift server reading a table a 32-bit C program wrote to shared memory
            dependencies: [
                "CrossbitCore", "CrossbitSharedMemory", "CrossbitTransport",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/SharedMemory32/Server",
            swiftSettings: strictImports,
            plugins: ["CrossbitIDLPlugin"]
        ),
        .executableTarget(
            name: "PluginExample",  // generated client and service in one process, in both layouts; no C side
            dependencies: ["CrossbitCore"],
            path: "Examples/PluginExample/Sources/PluginExample",
            swiftSettings: strictImports,
            plugins: ["CrossbitIDLPlugin"]
        ),
        .testTarget(
            name: "CrossbitCoreTests",
            dependencies: [
                "CrossbitCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strictImports
        ),
        .testTarget(
            name: "CrossbitIDLTests",
            dependencies: ["CrossbitCore", "CrossbitIDL", "CrossbitCodeGen", "CrossbitTestSupport"],
            resources: [.copy("BadInputs")],
            swiftSettings: strictImports
        ),
        .testTarget(
            name: "CrossbitCodeGenTests",
            dependencies: [
                "CrossbitCore", "CrossbitIDL", "CrossbitCodeGen", "CrossbitTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            // Interop/ holds the C peer; Golden/ the expected generator output.
            exclude: ["Interop", "Golden"],
            // Generates Swift from IDL/*.x (links to Tests/IDL and IDL) at build time.
            swiftSettings: strictImports,
            plugins: [.plugin(name: "CrossbitIDLPlugin")]
        ),
        // Helpers shared by the test targets: processes (crossbitd among them), rpcgen-built C peers, the
        // sample service (Swift generated from crossbit_sample.x, a link to IDL/).
        .target(
            name: "CrossbitTestSupport",
            dependencies: [
                "CrossbitCore", "CrossbitTransport", "CrossbitProcess", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/CrossbitTestSupport",
            swiftSettings: strictImports,
            plugins: ["CrossbitIDLPlugin"]
        ),
        // The sample service in a process of its own, for tests that start a Swift server executable.
        .executableTarget(
            name: "crossbit-test-server",
            dependencies: [
                "CrossbitCore", "CrossbitTransport", "CrossbitTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/CrossbitTestServer",
            swiftSettings: strictImports
        ),
        .testTarget(
            name: "CrossbitSharedMemoryTests",
            dependencies: [
                "CrossbitCore", "CrossbitSharedMemory",
            ],
            // Generates the views of shared_views.x (a link to Tests/IDL) at build time.
            swiftSettings: strictImports,
            plugins: [.plugin(name: "CrossbitIDLPlugin")]
        ),
        .testTarget(
            name: "CrossbitProcessTests", dependencies: ["CrossbitProcess"], swiftSettings: strictImports
        ),
        .testTarget(
            name: "CrossbitTransportTests",
            dependencies: [
                "CrossbitCore", "CrossbitELF", "CrossbitTransport", "CrossbitTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strictImports
        ),
        .testTarget(
            name: "CrossbitDynamicTests",
            dependencies: [
                "CrossbitCore", "CrossbitIDL", "CrossbitDynamic", "CrossbitTransport", "CrossbitTestSupport",
            ],
            swiftSettings: strictImports
        ),
        .testTarget(
            name: "CrossbitActivationTests",
            dependencies: [
                "CrossbitBroker", "CrossbitBrokerControl", "CrossbitCore", "CrossbitELF", "CrossbitTransport",
                "CrossbitTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictImports
        ),
        .testTarget(
            name: "CrossbitBrokerTests",
            dependencies: [
                "CrossbitBroker", "CrossbitBrokerControl", "CrossbitCore", "CrossbitIDL", "CrossbitTransport",
                "CrossbitTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictImports,
            plugins: ["CrossbitIDLPlugin"]
        ),
    ]
)
