public import ArgumentParser
import CrossbitCodeGen
import CrossbitCommandLine
import CrossbitCore
import Foundation

extension WireLayout: ExpressibleByArgument {}

struct RPCL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpcl",
        abstract: "Print plain RPC language for rpcgen, with width-dependent types lowered to one layout.")

    @OptionGroup var frontEnd: FrontEndArguments

    @Option(help: "The layout to lower to: ilp32 (int, unsigned int) or lp64 (hyper, unsigned hyper).")
    var layout: WireLayout

    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
    var output: String?

    @Argument(help: "The .x file.")
    var file: String

    func run() throws {
        guard let module = frontEnd.load(file) else { throw ExitCode.failure }
        let text = RPCLPrinter.print(module, layout: layout)
        guard let output else {
            print(text, terminator: "")
            return
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output))
        } catch {
            printError("\(output): error: cannot write file: \(error.localizedDescription)")
            throw ExitCode.failure
        }
    }
}
