public import CrossbitCore
public import CrossbitIDL

/// A procedure of an IDL program version, found by name or number.
public struct DynamicProcedure: Sendable, Hashable, CustomStringConvertible {
    /// The program, version and procedure numbers to call.
    public var id: ProcedureID
    public var programName: String
    public var versionName: String
    public var name: String
    /// The argument declarations in order (empty for `void`).
    public var arguments: [Declaration]
    public var result: Declaration

    /// `PROGRAM.VERSION.PROCEDURE`, each part an IDL name (any case) or a
    /// number (decimal or `0x` hex), e.g. `CROSSBIT_SAMPLE.CROSSBIT_SAMPLE_V1.SAMPLE_ECHO_SIZE`
    /// or `0x20001001.1.1`.
    public init(_ specifier: String, in module: IDLModule) throws(DynamicCodecError) {
        let parts = specifier.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else {
            throw DynamicCodecError(
                .idl(
                    "'\(specifier)' is not PROGRAM.VERSION.PROCEDURE (names or numbers)"))
        }
        let programs = module.specification.definitions.compactMap { definition -> ProgramDefinition? in
            if case .program(let program) = definition { program } else { nil }
        }
        let program = try Self.find(
            parts[0], "program", in: programs, file: module.specification.file,
            name: \.name, number: \.number, module: module)
        let version = try Self.find(
            parts[1], "version", in: program.versions, file: program.name,
            name: \.name, number: \.number, module: module)
        let procedure = try Self.find(
            parts[2], "procedure", in: version.procedures, file: version.name,
            name: \.name, number: \.number, module: module)
        id = ProcedureID(
            program: UInt32(truncatingIfNeeded: module.value(of: program.number)),
            version: UInt32(truncatingIfNeeded: module.value(of: version.number)),
            procedure: UInt32(truncatingIfNeeded: module.value(of: procedure.number)))
        programName = program.name
        versionName = version.name
        name = procedure.name
        arguments = procedure.arguments
        result = procedure.result
    }

    /// The element of `candidates` that `text` names or numbers. When there
    /// is none, the error echoes `text` as written, suggests a close name and
    /// lists the known ones with their numbers as the IDL writes them.
    private static func find<T>(
        _ text: String, _ what: String, in candidates: [T], file: String, name: KeyPath<T, String>,
        number: KeyPath<T, Value>, module: IDLModule
    ) throws(DynamicCodecError) -> T {
        let wanted = IntegerLiteral.parse(text)
        if let match = candidates.first(where: { $0[keyPath: name] == text })
            ?? candidates.first(where: { $0[keyPath: name].lowercased() == text.lowercased() })
            ?? candidates.first(where: { wanted != nil && module.value(of: $0[keyPath: number]) == wanted })
        {
            return match
        }
        let names = candidates.map { $0[keyPath: name] }
        let suggestion = wanted == nil ? CloseMatch.didYouMean(text, among: names) : ""
        let known = candidates.map { "\($0[keyPath: name]) (\($0[keyPath: number]))" }.joined(separator: ", ")
        throw DynamicCodecError(
            .idl(
                "no \(what) '\(text)' in \(file)\(suggestion); known: \(known.isEmpty ? "none" : known)"))
    }

    public var description: String { "\(programName).\(versionName).\(name) (\(id))" }
}
