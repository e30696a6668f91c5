// swift-tools-version: 6.2
import PackageDescription

// `make fuzz`: libFuzzer targets over every decoder that reads bytes from outside (the IDL front end, the
// generated codecs, the broker's conversion plans, the transport's record marking and headers, the JSON of
// `crossbit call`), and one differential target against rpcgen's C. scripts/fuzz.sh builds this package with
// AddressSanitizer and libFuzzer's coverage; each target's check (the `*Check.swift` files) is also compiled
// into the root package's test suites, which replay Corpus/ with no libFuzzer.
let crossbit: [Target.Dependency] = [.product(name: "CrossbitCore", package: "crossbit")]

let package = Package(
    name: "CrossbitFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "crossbit", path: ".."),
        // The record decoder works on NIO's ByteBuffer.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        // libFuzzer's driver, called from each target's main.swift.
        .target(name: "FuzzDriver"),
        .executableTarget(
            name: "fuzz-idl",
            dependencies: ["FuzzDriver", .product(name: "CrossbitIDL", package: "crossbit")]),
        // Swift generated from IDL/crossbit_sample.x and /usr/include/rpcsvc/*.x (links) by the build plugin.
        .executableTarget(
            name: "fuzz-sample",
            dependencies: ["FuzzDriver"] + crossbit,
            plugins: [.plugin(name: "CrossbitIDLPlugin", package: "crossbit")]),
        .executableTarget(
            name: "fuzz-rpcsvc",
            dependencies: ["FuzzDriver"] + crossbit,
            plugins: [.plugin(name: "CrossbitIDLPlugin", package: "crossbit")]),
        // nis.x and what it includes, apart: their enum aliases warn, so the root package's replay leaves them out.
        .executableTarget(
            name: "fuzz-nis",
            dependencies: ["FuzzDriver"] + crossbit,
            plugins: [.plugin(name: "CrossbitIDLPlugin", package: "crossbit")]),
        .executableTarget(
            name: "fuzz-plan",
            dependencies: ["FuzzDriver", .product(name: "CrossbitBroker", package: "crossbit")] + crossbit),
        .executableTarget(
            name: "fuzz-record",
            dependencies: [
                "FuzzDriver", .product(name: "CrossbitTransport", package: "crossbit"),
                .product(name: "NIOCore", package: "swift-nio"),
            ] + crossbit),
        .executableTarget(
            name: "fuzz-json",
            dependencies: [
                "FuzzDriver", .product(name: "CrossbitDynamic", package: "crossbit"),
                .product(name: "CrossbitIDL", package: "crossbit"),
            ] + crossbit),
        // Writes the seeds of Corpus/ (`swift run fuzz-seeds`; no libFuzzer).
        .executableTarget(
            name: "fuzz-seeds",
            dependencies: [
                .product(name: "CrossbitTransport", package: "crossbit"),
                .product(name: "CrossbitDynamic", package: "crossbit"),
                .product(name: "CrossbitIDL", package: "crossbit"),
            ] + crossbit,
            plugins: [.plugin(name: "CrossbitIDLPlugin", package: "crossbit")]),
        // rpcgen's XDR routines for crossbit_sample.x in both layouts (scripts/generate-c.sh writes them).
        .target(
            name: "CSampleXDR",
            cSettings: [.unsafeFlags(["-I/usr/include/tirpc"])],
            linkerSettings: [.linkedLibrary("tirpc")]),
        .executableTarget(
            name: "fuzz-differential",
            dependencies: ["FuzzDriver", "CSampleXDR"] + crossbit,
            plugins: [.plugin(name: "CrossbitIDLPlugin", package: "crossbit")]),
    ]
)
