// swift-tools-version: 6.2
import PackageDescription

// A user's package: the `.x` file in Sources/PluginExample is turned into
// Swift by the CrossbitIDLPlugin at build time; no generated code is checked in.
let package = Package(
    name: "PluginExample",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "crossbit", path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "PluginExample",
            dependencies: [.product(name: "CrossbitCore", package: "crossbit")],
            plugins: [.plugin(name: "CrossbitIDLPlugin", package: "crossbit")]
        )
    ]
)
