import ArgumentParser
import CrossbitCommandLine
import CrossbitIDL
import Foundation

/// Diagnostics are printed as they come (`printError`), then a subcommand
/// throws `ExitCode.failure`; other errors reach ArgumentParser, which
/// prints them after "crossbit-idl: error: " (``CrossbitCommand`` has the
/// exit statuses).
@main
struct CrossbitIDLCommand: CrossbitCommand {
    static let configuration = CommandConfiguration(
        commandName: "crossbit-idl",
        abstract: "Check Crossbit IDL (.x) files and generate code from them.",
        subcommands: [Check.self, Layout.self, CABI.self, RPCL.self, SwiftCommand.self])

    static var _errorPrefix: String { "crossbit-idl: error: " }
}

/// Options every subcommand that reads IDL shares.
struct FrontEndArguments: ParsableArguments {
    @Option(name: .customShort("D"), help: "Define a preprocessor macro: NAME or NAME=VALUE.")
    var defines: [String] = []

    @Option(name: .customShort("I"), help: "Add a folder to the #include search path.")
    var includePaths: [String] = []

    var options: FrontEndOptions {
        var macros: [String: String] = [:]
        for define in defines {
            if let equals = define.firstIndex(of: "=") {
                macros[String(define[..<equals])] = String(define[define.index(after: equals)...])
            } else {
                macros[define] = "1"
            }
        }
        return FrontEndOptions(defines: macros, includePaths: includePaths)
    }

    /// Loads a file, printing its diagnostics to standard error; nil on errors.
    func load(_ path: String) -> IDLModule? {
        do {
            let module = try IDLFrontEnd.load(path: path, options: options)
            for warning in module.warnings { printError(warning.description) }
            return module
        } catch {
            printError(error.description)
            return nil
        }
    }
}

/// Prints a report as stable, readable JSON (sorted keys), as `layout --json` and `cabi --json` do.
func printJSON(_ report: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(report), as: UTF8.self))
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check IDL files; print diagnostics, exit 1 on any error.")

    @OptionGroup var frontEnd: FrontEndArguments

    @Argument(help: "The .x files to check.")
    var files: [String]

    func run() throws {
        var failed = false
        for file in files where frontEnd.load(file) == nil {
            failed = true
        }
        if failed { throw ExitCode.failure }
    }
}
