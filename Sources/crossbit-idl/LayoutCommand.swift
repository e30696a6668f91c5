import ArgumentParser
import CrossbitCore
import CrossbitIDL
import Foundation

struct Layout: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the wire size of every type and procedure in ILP32 and LP64, and its width-dependent paths.")

    @OptionGroup var frontEnd: FrontEndArguments

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Argument(help: "The .x file.")
    var file: String

    func run() throws {
        guard let module = frontEnd.load(file) else { throw ExitCode.failure }
        if json {
            try printJSON(LayoutReport(module.layout))
        } else {
            print(Self.table(module.layout), terminator: "")
        }
    }

    static func size(_ size: Int?) -> String { size.map(String.init) ?? "variable" }

    static func table(_ layout: LayoutModel) -> String {
        var rows: [[String]] = [["TYPE", "KIND", "ILP32", "LP64", "WIDTH-DEPENDENT PATHS"]]
        for type in layout.types {
            let paths = type.widthDependentPaths.map { $0.isEmpty ? "(value)" : $0 }
            rows.append([
                type.name, type.kind, size(type.size.ilp32), size(type.size.lp64), paths.joined(separator: ", "),
            ])
        }
        var text = format(rows)
        if !layout.procedures.isEmpty {
            rows = [["PROCEDURE", "ARGS ILP32", "ARGS LP64", "RESULT ILP32", "RESULT LP64", "WIDTH-DEPENDENT PATHS"]]
            for procedure in layout.procedures {
                rows.append([
                    "\(procedure.program).\(procedure.version).\(procedure.name) "
                        + "(\(procedure.programNumber).\(procedure.versionNumber).\(procedure.number))",
                    size(procedure.argumentSize.ilp32), size(procedure.argumentSize.lp64),
                    size(procedure.resultSize.ilp32), size(procedure.resultSize.lp64),
                    (procedure.argumentPaths + procedure.resultPaths).joined(separator: ", "),
                ])
            }
            text += "\n" + format(rows)
        }
        return text
    }

    /// Left-aligned columns, two spaces apart.
    private static func format(_ rows: [[String]]) -> String {
        guard let columns = rows.first?.count else { return "" }
        let widths = (0..<columns).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column + 1 == columns ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }
}

/// The JSON of `layout --json`: a size is a number of bytes or "variable".
struct LayoutReport: Encodable {
    enum Size: Encodable {
        case fixed(Int)
        case variable

        init(_ size: Int?) { self = size.map(Size.fixed) ?? .variable }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .fixed(let bytes): try container.encode(bytes)
            case .variable: try container.encode("variable")
            }
        }
    }

    struct Sizes: Encodable {
        var ilp32: Size
        var lp64: Size
        init(_ sizes: WireSizes) {
            ilp32 = Size(sizes.ilp32)
            lp64 = Size(sizes.lp64)
        }
    }

    struct TypeEntry: Encodable {
        var name: String
        var kind: String
        var size: Sizes
        var widthDependent: Bool
        var widthDependentPaths: [String]
    }

    struct ProcedureEntry: Encodable {
        var program: String
        var programNumber: UInt32
        var version: String
        var versionNumber: UInt32
        var name: String
        var number: UInt32
        var argumentSize: Sizes
        var resultSize: Sizes
        var widthDependent: Bool
        var argumentPaths: [String]
        var resultPaths: [String]
    }

    var types: [TypeEntry]
    var procedures: [ProcedureEntry]

    init(_ layout: LayoutModel) {
        types = layout.types.map {
            TypeEntry(
                name: $0.name, kind: $0.kind, size: Sizes($0.size), widthDependent: $0.isWidthDependent,
                widthDependentPaths: $0.widthDependentPaths)
        }
        procedures = layout.procedures.map {
            ProcedureEntry(
                program: $0.program, programNumber: $0.programNumber, version: $0.version,
                versionNumber: $0.versionNumber, name: $0.name, number: $0.number,
                argumentSize: Sizes($0.argumentSize), resultSize: Sizes($0.resultSize),
                widthDependent: $0.isWidthDependent, argumentPaths: $0.argumentPaths, resultPaths: $0.resultPaths)
        }
    }
}
