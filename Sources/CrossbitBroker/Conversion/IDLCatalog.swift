public import CrossbitCore
public import CrossbitIDL
import FoundationEssentials

/// The programs the broker knows from IDL: their names and numbers, and a
/// conversion plan for every procedure, built once at start.
public struct IDLCatalog: Sendable {
    /// One program version's names and procedure plans.
    struct VersionEntry: Sendable {
        var programName: String
        var versionName: String
        var procedures: [UInt32: ProcedurePlan]
    }

    private var versions: [UInt64: VersionEntry] = [:]
    private var programNumbers: [String: UInt32] = [:]
    private var versionNumbers: [UInt32: [String: UInt32]] = [:]

    /// A catalog of no programs.
    init() {}

    /// How many program versions the IDL defines.
    public var programVersionCount: Int { versions.count }

    /// Loads `.x` files and every `.x` file of the given folders.
    /// Diagnostics of the front end, and a program defined twice, are errors.
    public init(paths: [String]) throws(ConfigurationError) {
        var modules: [IDLModule] = []
        for file in try Self.idlFiles(paths) {
            do {
                modules.append(try IDLFrontEnd.load(path: file))
            } catch {
                throw ConfigurationError("cannot load IDL '\(file)':\n\(error)")
            }
        }
        try self.init(modules: modules)
    }

    /// A catalog of already loaded modules.
    public init(modules: [IDLModule]) throws(ConfigurationError) {
        for module in modules {
            for case .program(let program) in module.specification.definitions {
                let programNumber = UInt32(truncatingIfNeeded: module.value(of: program.number))
                programNumbers[program.name] = programNumber
                for version in program.versions {
                    let versionNumber = UInt32(truncatingIfNeeded: module.value(of: version.number))
                    let key = programVersionKey(programNumber, versionNumber)
                    if let existing = versions[key] {
                        throw ConfigurationError(
                            "\(version.location): program \(programNumber) version \(versionNumber) is also defined "
                                + "as \(existing.programName).\(existing.versionName)")
                    }
                    versionNumbers[programNumber, default: [:]][version.name] = versionNumber
                    versions[key] = VersionEntry(
                        programName: program.name, versionName: version.name,
                        procedures: Self.plans(of: version, program: program, number: programNumber, in: module))
                }
            }
        }
    }

    /// The plan of every procedure of a version, procedure 0 included. Whether a procedure passes through
    /// comes from the front end's layout model (its width-dependent paths).
    private static func plans(
        of version: VersionDefinition, program: ProgramDefinition, number programNumber: UInt32, in module: IDLModule
    ) -> [UInt32: ProcedurePlan] {
        let versionNumber = UInt32(truncatingIfNeeded: module.value(of: version.number))
        var compiler = PlanCompiler(module: module)
        var procedures: [UInt32: ProcedurePlan] = [0: .null(program: program.name, version: version.name)]
        for procedure in version.procedures {
            let number = UInt32(truncatingIfNeeded: module.value(of: procedure.number))
            let layout = module.layout.procedure(program: programNumber, version: versionNumber, procedure: number)
            procedures[number] = ProcedurePlan(
                program: program.name, version: version.name, name: procedure.name,
                arguments: compiler.arguments(of: procedure), result: compiler.result(of: procedure),
                passesThrough: !(layout?.isWidthDependent ?? true))
        }
        return procedures
    }

    /// The plan of a procedure, nil when the IDL has no such procedure.
    public func plan(program: UInt32, version: UInt32, procedure: UInt32) -> ProcedurePlan? {
        versions[programVersionKey(program, version)]?.procedures[procedure]
    }

    /// Whether the IDL defines this program version.
    public func defines(program: UInt32, version: UInt32) -> Bool {
        versions[programVersionKey(program, version)] != nil
    }

    /// `PROGRAM.VERSION` names of a program version, or its numbers when unknown.
    public func displayName(program: UInt32, version: UInt32) -> String {
        guard let entry = versions[programVersionKey(program, version)] else { return "\(program).\(version)" }
        return "\(entry.programName).\(entry.versionName)"
    }

    /// The number of a program given by number or IDL name.
    public func programNumber(_ program: BrokerConfiguration.NumberOrName) -> UInt32? {
        switch program {
        case .number(let number, _): number
        case .name(let name): programNumbers[name]
        }
    }

    /// The number of a version of `program` given by number or IDL name.
    public func versionNumber(_ version: BrokerConfiguration.NumberOrName, program: UInt32) -> UInt32? {
        switch version {
        case .number(let number, _): number
        case .name(let name): versionNumbers[program]?[name]
        }
    }

    /// Whether no program is loaded at all.
    public var isEmpty: Bool { versions.isEmpty }

    /// Whether the IDL defines any version of this program.
    public func defines(program: UInt32) -> Bool { versionNumbers[program] != nil }

    /// The names of the loaded programs, sorted.
    public var programNames: [String] { programNumbers.keys.sorted() }

    /// The name of a loaded program, or its number.
    func programName(_ program: UInt32) -> String {
        programNumbers.first { $0.value == program }?.key ?? "\(program)"
    }

    /// The names of the versions of `program`, sorted by number.
    func versionNames(program: UInt32) -> [String] {
        (versionNumbers[program] ?? [:]).sorted { $0.value < $1.value }.map(\.key)
    }

    /// "HELLO_PROG (0x20000123), …": the loaded programs with their numbers, for messages.
    var programList: String {
        programNames.map { "\($0) (0x\(String(programNumbers[$0] ?? 0, radix: 16)))" }.joined(separator: ", ")
    }

    /// "HELLO_V1 (1), …": the versions of `program` with their numbers, for messages.
    func versionList(program: UInt32) -> String {
        versionNames(program: program).map { "\($0) (\(versionNumbers[program]?[$0] ?? 0))" }.joined(separator: ", ")
    }

    /// The `.x` files named by `paths`, folders expanded (sorted by name), each once.
    static func idlFiles(_ paths: [String]) throws(ConfigurationError) -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ConfigurationError("IDL path '\(path)' does not exist")
            }
            guard isDirectory else {
                files.append(path)
                continue
            }
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
                throw ConfigurationError("cannot list the IDL folder '\(path)'")
            }
            let found = names.filter { $0.hasSuffix(".x") }.sorted()
            guard !found.isEmpty else { throw ConfigurationError("IDL folder '\(path)' holds no .x file") }
            files += found.map { (path.hasSuffix("/") ? path : path + "/") + $0 }
        }
        // A file named twice (alone and in its folder) is loaded once.
        var seen = Set<String>()
        return files.filter { seen.insert(URL(fileURLWithPath: $0).standardizedFileURL.path).inserted }
    }
}
