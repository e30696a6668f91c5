import ArgumentParser
import CrossbitCommandLine
import CrossbitCore
import CrossbitDynamic
import CrossbitIDL
import CrossbitTransport
import Foundation

/// `crossbit call`: one procedure, arguments and result as JSON.
struct Call: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Call a procedure with JSON arguments and print its result as JSON.",
        discussion: """
            PROCEDURE is PROGRAM.VERSION.PROCEDURE, each an IDL name or a number. ARGUMENTS is a JSON array \
            of the arguments in order (one argument may be given bare; none: omit it), or - to read it from \
            standard input. The JSON mapping: structs are objects keyed by IDL field names, unions \
            {"<discriminant>": value, "<arm>": value}, enums case names, optional data null or the value, \
            opaque base64, integers and width-dependent types exact numbers (see docs/json-mapping.md).
            """)

    @Option(help: ArgumentHelp("The .x file that defines the program.", valueName: "file"))
    var idl: String

    @Option(
        help: ArgumentHelp(
            "The server's wire layout: ilp32 or lp64; when left out, a broker endpoint is asked its own.",
            valueName: "layout"))
    var layout: WireLayout?

    @Option(
        name: .customShort("I"), help: ArgumentHelp("A folder to search for #include (repeatable).", valueName: "dir"))
    var includePaths: [String] = []

    @Flag(help: "Print the result on one line.")
    var compact = false

    @Flag(
        help: """
            Fail when the reply has bytes after the result (by default they are ignored, as rpcgen clients do, \
            and a note says how many).
            """)
    var refuseTrailingBytes = false

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: ArgumentHelp("PROGRAM.VERSION.PROCEDURE (names or numbers).", valueName: "procedure"))
    var procedure: String

    /// The JSON text; collected as unrecognized input so that a negative number is not taken for an option.
    @Argument(
        parsing: .allUnrecognized,
        help: ArgumentHelp(
            "The arguments as JSON, or - for standard input.", valueName: "arguments"))
    var arguments: [String] = []

    /// The JSON texts given, without a `--` that ends the options.
    private var jsonTexts: [String] { arguments.filter { $0 != "--" } }

    func validate() throws {
        if let option = jsonTexts.first(where: { $0.hasPrefix("--") }) {
            throw ValidationError("Unknown option '\(option)'")
        }
        guard jsonTexts.count <= 1 else {
            throw ValidationError("expected one JSON text of the arguments, found \(jsonTexts.count): quote it")
        }
    }

    func run() async throws {
        let module: IDLModule
        do {
            module = try IDLFrontEnd.load(path: idl, options: FrontEndOptions(includePaths: includePaths))
        } catch {
            throw RuntimeError.usage("\(idl): invalid IDL\n\(error.description)")
        }
        let codec = DynamicCodec(module: module)
        let encoded: [UInt8], target: DynamicProcedure
        do {
            target = try DynamicProcedure(procedure, in: module)
        } catch {
            throw RuntimeError.usage(error.description)
        }
        let layout: WireLayout
        if let written = self.layout { layout = written } else { layout = try await connection.brokerLayout() }
        let text = argumentText()
        do {
            encoded = try codec.encodeArguments(try JSONValue(parsing: text), of: target, layout: layout)
        } catch {
            throw RuntimeError.usage("the arguments of \(target.name): \(error)\(Self.quotingHint(text))")
        }
        let client = try connection.client(layout: layout)
        defer { client.close() }
        let reply = try await client.call(target.id, arguments: encoded, options: .defaults)
        do {
            let (result, trailing) = try codec.decodeResult(
                reply, of: target, layout: layout, trailingBytes: refuseTrailingBytes ? .refuse : .ignore)
            print(result.text(pretty: !compact))
            if trailing > 0 {
                printError("note: ignored \(trailing) bytes after the result")
            }
        } catch {
            throw RPCError(code: .decodingFailed, message: "the result of \(target) does not decode", cause: error)
        }
    }

    /// For arguments that start like a bare word (the shell removed the
    /// quotes of `"hi"`): how to quote a string so that it stays JSON.
    static func quotingHint(_ text: String) -> String {
        guard let first = text.first, first.isLetter || first == "_",
            !["true", "false", "null"].contains(where: text.hasPrefix)
        else { return "" }
        let word = text.prefix { !$0.isWhitespace && $0 != "," && $0 != "]" && $0 != "}" }
        return "; a string must be JSON-quoted: write '\"\(word)\"' "
            + "(the single quotes keep the double ones from the shell)"
    }

    /// The JSON text: the argument, standard input for -, null when there is none.
    private func argumentText() -> String {
        guard let text = jsonTexts.first else { return "null" }
        guard text == "-" else { return text }
        guard let data = try? FileHandle.standardInput.readToEnd() else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}
