import CrossbitCore
import FoundationEssentials

/// Options of the front end.
public struct FrontEndOptions: Sendable {
    /// Macros for the preprocessor, as `-D NAME=VALUE` would give them.
    /// `RPC_HDR` is always defined (the front end reads a file as rpcgen's header pass does).
    public var defines: [String: String]
    /// Folders searched by `#include`, after the including file's own folder.
    public var includePaths: [String]

    public init(defines: [String: String] = [:], includePaths: [String] = []) {
        self.defines = defines
        self.includePaths = includePaths
    }
}

/// The IDL front end: reads, preprocesses, parses and checks `.x` files.
public enum IDLFrontEnd {
    /// Reads, preprocesses, parses and checks a file.
    public static func load(path: String, options: FrontEndOptions = .init()) throws(DiagnosticsError) -> IDLModule {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw Self.failure(path, "cannot read file: no such file")
        }
        guard !isDirectory else { throw Self.failure(path, "cannot read file: it is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Self.failure(path, "cannot read file: permission denied or I/O error")
        }
        return try load(bytes: [UInt8](data), file: path, options: options)
    }

    /// Preprocesses, parses and checks IDL text; `file` names it in diagnostics
    /// and anchors relative `#include`s.
    public static func load(
        source: String, file: String, options: FrontEndOptions = .init()
    ) throws(DiagnosticsError) -> IDLModule {
        try load(bytes: Array(source.utf8), file: file, options: options)
    }

    static func load(
        bytes: [UInt8], file: String, options: FrontEndOptions, importing: [String] = []
    ) throws(DiagnosticsError) -> IDLModule {
        let lexer = Lexer.tokenize(source: bytes, file: file, options: options)
        var diagnostics = lexer.diagnostics
        var parser = Parser.parse(tokens: lexer.tokens)
        diagnostics.append(contentsOf: parser.diagnostics)
        parser.diagnostics = DiagnosticSink()
        if !diagnostics.hasErrors && parser.definitions.isEmpty {
            diagnostics.error(
                "no definitions; expected 'const', 'typedef', 'enum', 'struct', 'union' or 'program'",
                at: SourceLocation(file: file, line: 1, column: 1))
        }
        if diagnostics.hasErrors { throw DiagnosticsError(diagnostics: sorted(diagnostics.diagnostics)) }
        let passConditions = Dictionary(
            lexer.tokens.compactMap { token in token.passCondition.map { (token.location, $0) } },
            uniquingKeysWith: { first, _ in first })
        let imported = imports(of: parser.definitions, file: file, options: options, importing: importing + [file])
        var checker = Checker(
            specification: Specification(file: file, definitions: parser.definitions, comment: lexer.fileComment),
            imports: imported.types, importedValues: imported.values)
        checker.check()
        diagnostics.append(contentsOf: checker.diagnostics)
        if diagnostics.hasErrors { throw DiagnosticsError(diagnostics: sorted(diagnostics.diagnostics)) }
        return IDLModule(checker: checker, passConditions: passConditions, warnings: diagnostics.warnings)
    }

    /// The types and values of the `.x` files behind the headers a file
    /// `%#include`s: `%#include <rpcsvc/nis.h>` imports `nis.x` from the file's
    /// own folder or an include path, if there is one. rpcgen leaves such types to
    /// the C compiler; the front end needs them to check names and sizes.
    private static func imports(
        of definitions: [Definition], file: String, options: FrontEndOptions, importing: [String]
    ) -> (types: [String: TypeDefinition], values: [String: Int128]) {
        var types: [String: TypeDefinition] = [:]
        var values: [String: Int128] = [:]
        guard importing.count <= 8 else { return (types, values) }
        let folder = Path.directory(of: file)
        for definition in definitions {
            guard case .passThrough(let text, _) = definition else { continue }
            let words = text.split(whereSeparator: { " \t<>\"".contains($0) })
            guard words.count == 2, words[0] == "#include", words[1].hasSuffix(".h") else { continue }
            let name = Path.lastComponent(of: String(words[1].dropLast(2))) + ".x"
            let candidates = ([folder.isEmpty ? "." : folder] + options.includePaths).map { $0 + "/" + name }
            guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }),
                !importing.contains(path), let data = FileManager.default.contents(atPath: path),
                let module = try? load(bytes: [UInt8](data), file: path, options: options, importing: importing)
            else { continue }
            types.merge(module.allTypes) { first, _ in first }
            values.merge(module.allValues) { first, _ in first }
        }
        return (types, values)
    }

    private static func failure(_ path: String, _ message: String) -> DiagnosticsError {
        DiagnosticsError(diagnostics: [Diagnostic(.error, at: SourceLocation(file: path, line: 1, column: 1), message)])
    }

    /// Errors in source order, each file's together; "too many errors" last.
    private static func sorted(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        let stop = diagnostics.filter { $0.message == "too many errors; stopping" }
        let rest = diagnostics.filter { $0.message != "too many errors; stopping" }
        return rest.enumerated().sorted { a, b in
            a.element.location == b.element.location ? a.offset < b.offset : a.element.location < b.element.location
        }.map(\.element) + stop
    }
}

/// A named type of a checked specification, with its AST node.
public enum TypeDefinition: Sendable, Hashable {
    case typedef(TypedefDefinition)
    case `enum`(EnumDefinition)
    case `struct`(StructDefinition)
    case union(UnionDefinition)

    public var name: String {
        switch self {
        case .typedef(let definition): definition.name
        case .enum(let definition): definition.name
        case .struct(let definition): definition.name
        case .union(let definition): definition.name
        }
    }

    public var location: SourceLocation {
        switch self {
        case .typedef(let definition): definition.location
        case .enum(let definition): definition.location
        case .struct(let definition): definition.location
        case .union(let definition): definition.location
        }
    }
}

/// A checked specification with resolved names.
///
/// In ``specification``, enum cases written without a value (as rpcgen allows)
/// carry their implied value as a literal.
public struct IDLModule: Sendable {
    public let specification: Specification
    public let warnings: [Diagnostic]
    /// The width-dependent layout of every type and procedure.
    public let layout: LayoutModel
    /// The file's types resolved: typedefs followed, values, bounds, union discriminants. The Swift generator,
    /// the dynamic codec and the broker's plan compiler read their types through it.
    public let resolver: TypeResolver

    private let types: [String: TypeDefinition]
    private let values: [String: Int128]
    private let passConditions: [SourceLocation: String]

    init(checker: Checker, passConditions: [SourceLocation: String], warnings: [Diagnostic]) {
        specification = checker.specification
        types = checker.types
        values = checker.resolvedValues
        self.passConditions = passConditions
        self.warnings = warnings
        resolver = TypeResolver(types: checker.types, values: checker.resolvedValues)
        layout = LayoutModel(specification: checker.specification, types: checker.types, resolver: resolver)
    }

    var allTypes: [String: TypeDefinition] { types }
    var allValues: [String: Int128] { values }

    /// The value of a literal, constant or enum case (`TRUE` is 1, `FALSE` 0).
    public func value(of value: Value) -> Int128 { resolver.value(of: value) ?? 0 }

    /// The text of a string constant (`const NAME = "text";`), without quotes.
    public func stringValue(ofConstant name: String) -> String? {
        for case .constant(let constant) in specification.definitions where constant.name == name {
            if let text = constant.value.stringLiteral { return text }
        }
        return nil
    }

    /// The typedef, enum, struct or union of that name, including `netobj`
    /// (built in) and types imported from the `.x` file of a `%#include`d header.
    public func definition(ofType name: String) -> TypeDefinition? { types[name] }

    /// The C preprocessor condition under which rpcgen sees the `%` line at
    /// `location` (for lines inside `#ifdef RPC_XDR` and the like), nil if always.
    public func passThroughCondition(at location: SourceLocation) -> String? { passConditions[location] }
}
