import CrossbitCore
public import CrossbitIDL

/// What the Swift generator emits and with which access level.
public struct SwiftGeneratorOptions: Sendable, Hashable {
    public enum AccessLevel: String, Sendable, Hashable, CaseIterable {
        case `public`, package, `internal`
    }

    public var accessLevel: AccessLevel
    /// Emit a client per program version.
    public var client: Bool
    /// Emit a service protocol and dispatcher per program version.
    public var server: Bool

    public init(accessLevel: AccessLevel = .internal, client: Bool = true, server: Bool = true) {
        self.accessLevel = accessLevel
        self.client = client
        self.server = server
    }
}

/// One generated Swift source file.
public struct GeneratedSwiftFile: Sendable, Hashable {
    /// The file name, e.g. `crossbit_sample.xdr.swift` for `crossbit_sample.x`.
    public var name: String
    public var contents: String
}

/// Generates Swift from IDL files: per file a namespace enum with its
/// constants and one Swift type per IDL type (with XDR coding in both
/// layouts), and per program version a client and a service protocol with
/// its dispatcher.
public enum SwiftGenerator {
    /// Generates one Swift file per checked IDL file. Types one file uses from
    /// another (as `nis_callback.x` uses `nis.x`) resolve when both are given.
    public static func generate(
        _ modules: [IDLModule], options: SwiftGeneratorOptions = .init()
    ) throws(SwiftGeneratorError) -> [GeneratedSwiftFile] {
        let symbols = try SwiftSymbols(modules: modules)
        var files: [GeneratedSwiftFile] = []
        for module in modules {
            var printer = SwiftFilePrinter(
                specification: module.specification, symbols: symbols, options: options,
                cLayouts: (module.cLayout(.ilp32), module.cLayout(.lp64)))
            let base = SwiftSymbols.baseName(module.specification.file)
            files.append(GeneratedSwiftFile(name: base + ".xdr.swift", contents: try printer.print()))
        }
        return files
    }

    /// The namespace enum generated for an IDL file (`crossbit_sample.x` → `CrossbitSample`).
    public static func namespace(forFile file: String) -> String {
        SwiftSymbols.namespace(forFile: file)
    }
}
