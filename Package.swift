// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "crossbit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CrossbitCore", targets: ["CrossbitCore"]),
        .library(name: "CrossbitIDL", targets: ["CrossbitIDL"]),
        .library(name: "CrossbitCodeGen", targets: ["CrossbitCodeGen"]),
        .library(name: "CrossbitTransport", targets: ["CrossbitTransport"]),
        .executable(name: "crossbit-idl", targets: ["crossbit-idl"]),
        .plugin(name: "CrossbitIDLPlugin", targets: ["CrossbitIDLPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // The XDR runtime and the RPC abstractions: pure Swift, no libtirpc.
        .target(name: "CrossbitCore"),
        // The IDL front end: lexer, preprocessor, parser, checker, layout model.
        .target(name: "CrossbitIDL", dependencies: ["CrossbitCore"]),
        // Code generation (Swift and RPC language) over the front end.
        .target(name: "CrossbitCodeGen", dependencies: ["CrossbitIDL"]),
        // libtirpc, found through pkg-config, and a small C shim over it.
        .systemLibrary(
            name: "CTIRPC",
            pkgConfig: "libtirpc",
            providers: [.apt(["libtirpc-dev"])]
        ),
        .target(name: "CCrossbitShim", dependencies: ["CTIRPC"]),
        // ONC RPC clients and servers over libtirpc.
        .target(
            name: "CrossbitTransport",
            dependencies: [
                "CrossbitCore", "CCrossbitShim",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "crossbit-idl",
            dependencies: [
                "CrossbitIDL", "CrossbitCodeGen",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .plugin(
            name: "CrossbitIDLPlugin",
            capability: .buildTool(),
            dependencies: ["crossbit-idl"]
        ),
        .testTarget(
            name: "CrossbitCoreTests",
            dependencies: [
                "CrossbitCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "CrossbitIDLTests",
            dependencies: ["CrossbitIDL", "CrossbitCodeGen"],
            resources: [.copy("BadInputs")]
        ),
        .testTarget(
            name: "CrossbitCodeGenTests",
            dependencies: [
                "CrossbitCore", "CrossbitIDL", "CrossbitCodeGen",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "CrossbitTransportTests",
            dependencies: ["CrossbitCore", "CrossbitTransport"]
        ),
    ]
)
