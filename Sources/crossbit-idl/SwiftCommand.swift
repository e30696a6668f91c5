public import ArgumentParser
import CrossbitCodeGen
import CrossbitCommandLine
import CrossbitIDL
import Foundation

extension SwiftGeneratorOptions.AccessLevel: ExpressibleByArgument {}

/// `crossbit-idl swift FILE... --out DIR`: Swift types, XDR coding in both
/// layouts, clients and services.
struct SwiftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swift",
        abstract: "Generate Swift: one type per IDL type with XDR coding for both layouts, "
            + "and a client and a service protocol per program version.")

    @OptionGroup var frontEnd: FrontEndArguments

    @Argument(help: "The .x files; types one uses from another resolve when both are given.")
    var files: [String]

    @Option(help: "The folder to write <file>.xdr.swift files into (created if missing).")
    var out: String

    @Option(help: "The access level of generated declarations: public, package or internal.")
    var accessLevel: SwiftGeneratorOptions.AccessLevel = .internal

    @Flag(help: "Generate clients (without --client or --server, both are generated).")
    var client = false

    @Flag(help: "Generate service protocols and dispatchers.")
    var server = false

    func run() throws {
        var modules: [IDLModule] = []
        for file in files {
            guard let module = frontEnd.load(file) else { throw ExitCode.failure }
            modules.append(module)
        }
        let both = !client && !server
        let options = SwiftGeneratorOptions(accessLevel: accessLevel, client: client || both, server: server || both)
        let generated: [GeneratedSwiftFile]
        do {
            generated = try SwiftGenerator.generate(modules, options: options)
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for file in generated {
            let path = out + "/" + file.name
            let data = Data(file.contents.utf8)
            // Unchanged output keeps its timestamp, so builds that use it stay up to date.
            if FileManager.default.contents(atPath: path) == data { continue }
            guard FileManager.default.createFile(atPath: path, contents: data) else {
                printError("error: cannot write \(path)")
                throw ExitCode.failure
            }
        }
    }
}
