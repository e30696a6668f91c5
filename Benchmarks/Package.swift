// swift-tools-version: 6.2
import PackageDescription

// `make bench`: the generated Swift codecs, the transport and the broker
// measured side by side with rpcgen-built C from the same IDL (IDL/crossbit_bench.x).
let package = Package(
    name: "CrossbitBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "crossbit", path: ".."),
        // Built for the root package already; crossbit-bench's bare NIO server (the floor of group 2) uses it itself.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        // crossbit_bench.x is a link to IDL/: its Swift is generated at build time.
        .executableTarget(
            name: "crossbit-bench",
            dependencies: [
                .product(name: "CrossbitCore", package: "crossbit"),
                .product(name: "CrossbitTransport", package: "crossbit"),
                .product(name: "CrossbitSharedMemory", package: "crossbit"),
                .product(name: "CrossbitProcess", package: "crossbit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            plugins: [.plugin(name: "CrossbitIDLPlugin", package: "crossbit")]
        ),
        // `make soak`: crossbitd under checking clients of both widths while servers are killed and stopped
        // (IDL/crossbit_soak.x; Processes.swift is crossbit-bench's, linked).
        .executableTarget(
            name: "crossbit-soak",
            dependencies: [
                .product(name: "CrossbitCore", package: "crossbit"),
                .product(name: "CrossbitTransport", package: "crossbit"),
                .product(name: "CrossbitProcess", package: "crossbit"),
            ],
            plugins: [.plugin(name: "CrossbitIDLPlugin", package: "crossbit")]
        ),
    ]
)
