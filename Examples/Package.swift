// swift-tools-version: 6.2
import PackageDescription

// The Swift sides of every example, in one package that uses Crossbit the way an application would: a path
// dependency on the repository and the CrossbitIDLPlugin on each target, so only the IDL is in the tree.
// One package rather than one per example: SwiftPM builds a package's dependencies (SwiftNIO, the generator
// for the plugin) once per package, so each further package would cost CI the same build again.
// The C sides are built by each example's Makefile; scripts/run-examples.sh builds and runs them all.
/// Every import declared, as in the root package.
let strictImports: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "CrossbitExamples",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "crossbit", path: ".."),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // LegacyChecksum32: a 64-bit Swift client of a 32-bit C library's server; also reads ELF headers.
        .executableTarget(
            name: "checksum-client",
            dependencies: [
                .product(name: "CrossbitCore", package: "crossbit"),
                .product(name: "CrossbitTransport", package: "crossbit"),
                .product(name: "CrossbitELF", package: "crossbit"),
            ],
            path: "LegacyChecksum32/Client",
            swiftSettings: strictImports,
            plugins: [.plugin(name: "CrossbitIDLPlugin", package: "crossbit")]
        ),
        // SwiftService64: a 64-bit Swift service an unmodified 32-bit C client calls through the broker.
        .executableTarget(
            name: "probe-server",
            dependencies: [
                .product(name: "CrossbitCore", package: "crossbit"),
                .product(name: "CrossbitTransport", package: "crossbit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "SwiftService64/Server",
            swiftSettings: strictImports,
            plugins: [.plugin(name: "CrossbitIDLPlugin", package: "crossbit")]
        ),
        // SharedMemory32: a 64-bit Swift server reading a table a 32-bit C program wrote to shared memory.
        .executableTarget(
            name: "shm-server",
            dependencies: [
                .product(name: "CrossbitCore", package: "crossbit"),
                .product(name: "CrossbitSharedMemory", package: "crossbit"),
                .product(name: "CrossbitTransport", package: "crossbit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "SharedMemory32/Server",
            swiftSettings: strictImports,
            plugins: [.plugin(name: "CrossbitIDLPlugin", package: "crossbit")]
        ),
        // PluginExample: generated client and service in one process, in both layouts; no C side.
        .executableTarget(
            name: "PluginExample",
            dependencies: [.product(name: "CrossbitCore", package: "crossbit")],
            path: "PluginExample/Sources/PluginExample",
            swiftSettings: strictImports,
            plugins: [.plugin(name: "CrossbitIDLPlugin", package: "crossbit")]
        ),
    ]
)
