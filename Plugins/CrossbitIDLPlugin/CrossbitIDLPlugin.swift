import Foundation
import PackagePlugin

/// Generates Swift from the `.x` files of a target at build time, with
/// `crossbit-idl swift`, so that no generated code lives in the package.
///
/// Options come from an optional `crossbit-idl.json` in the target's folder:
/// `{"accessLevel": "public", "client": true, "server": false}` (the default
/// is internal access, clients and services).
@main
struct CrossbitIDLPlugin: BuildToolPlugin {
    struct Configuration: Decodable {
        var accessLevel: String?
        var client: Bool?
        var server: Bool?
    }

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let idlFiles = target.sourceFiles(withSuffix: "x").map(\.url).sorted { $0.path < $1.path }
        guard !idlFiles.isEmpty else { return [] }

        let output = context.pluginWorkDirectoryURL.appending(path: "GeneratedSources")
        var arguments = ["swift"] + idlFiles.map(\.path) + ["--out", output.path]
        var inputs = idlFiles
        let configurationFile = target.directoryURL.appending(path: "crossbit-idl.json")
        if let data = FileManager.default.contents(atPath: configurationFile.path) {
            let configuration = try JSONDecoder().decode(Configuration.self, from: data)
            if let accessLevel = configuration.accessLevel { arguments += ["--access-level", accessLevel] }
            if configuration.client == true { arguments.append("--client") }
            if configuration.server == true { arguments.append("--server") }
            inputs.append(configurationFile)
        }
        let outputs = idlFiles.map { file in
            output.appending(path: file.deletingPathExtension().lastPathComponent + ".xdr.swift")
        }
        return [
            .buildCommand(
                displayName: "Generating Swift from \(idlFiles.count) IDL file(s) for \(target.name)",
                executable: try context.tool(named: "crossbit-idl").url,
                arguments: arguments,
                inputFiles: inputs,
                outputFiles: outputs)
        ]
    }
}
