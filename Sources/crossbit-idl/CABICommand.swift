import ArgumentParser
import CrossbitCore
import CrossbitIDL
import Foundation

/// `crossbit-idl cabi --layout ilp32|lp64 FILE [--json]`: the C layout of every
/// type as gcc lays out rpcgen's C (the model is ``CLayoutModel``).
struct CABI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cabi",
        abstract: "Print the size, alignment and member offsets of rpcgen's C type for every IDL type, "
            + "as gcc lays it out on i386 (ilp32) or x86-64 (lp64); pointer-holding members are marked.")

    @OptionGroup var frontEnd: FrontEndArguments

    @Option(
        help: "The C data model: ilp32 (gcc -m32 over rpcl --layout ilp32) or lp64 (gcc -m64 over rpcl --layout lp64).")
    var layout: WireLayout

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Argument(help: "The .x file.")
    var file: String

    func run() throws {
        guard let module = frontEnd.load(file) else { throw ExitCode.failure }
        let models = (ilp32: module.cLayout(.ilp32), lp64: module.cLayout(.lp64))
        let model = layout == .ilp32 ? models.ilp32 : models.lp64
        let fingerprints = Dictionary(
            uniqueKeysWithValues: model.types.map { type in
                (type.name, CLayoutModel.fingerprint(ilp32: models.ilp32, lp64: models.lp64, type: type.name))
            })
        if json {
            try printJSON(CABIReport(model, fingerprints: fingerprints))
        } else {
            print(Self.text(model, fingerprints: fingerprints), terminator: "")
        }
    }

    static func fingerprintText(_ value: UInt64?) -> String? {
        value.map { String(format: "0x%016llx", $0) }
    }

    static func text(_ model: CLayoutModel, fingerprints: [String: UInt64?]) -> String {
        var text = ""
        for type in model.types {
            text += "\(type.kind) \(type.name)  size \(type.size)  align \(type.alignment)"
            if let fingerprint = fingerprintText(fingerprints[type.name] ?? nil) {
                text += "  fingerprint \(fingerprint)"
            }
            text += type.holdsPointers ? "  holds pointers\n" : "\n"
            for member in type.members + (type.typedefShape.map { [$0] } ?? []) {
                var line = "  \(member.offset)\t\(member.size)\t\(member.alignment)\t\(member.cType) \(member.name)"
                if member.holdsPointers { line += "\t(pointer)" }
                text += line + "\n"
            }
        }
        for problem in model.problems { text += "no C layout: \(problem)\n" }
        return text
    }
}

/// The JSON of `cabi --json`.
struct CABIReport: Encodable {
    struct Member: Encodable {
        var name: String
        var offset: Int
        var size: Int
        var alignment: Int
        var count: Int?
        var cType: String
        var pointer: Bool
    }

    struct TypeEntry: Encodable {
        var name: String
        var kind: String
        var size: Int
        var alignment: Int
        var fingerprint: String?
        var holdsPointers: Bool
        var members: [Member]
        var typedef: Member?
    }

    var layout: String
    var types: [TypeEntry]
    var problems: [String]

    init(_ model: CLayoutModel, fingerprints: [String: UInt64?]) {
        func entry(_ member: CMemberLayout) -> Member {
            Member(
                name: member.name, offset: member.offset, size: member.size, alignment: member.alignment,
                count: member.count, cType: member.cType, pointer: member.holdsPointers)
        }
        layout = model.layout.rawValue
        types = model.types.map {
            TypeEntry(
                name: $0.name, kind: $0.kind, size: $0.size, alignment: $0.alignment,
                fingerprint: CABI.fingerprintText(fingerprints[$0.name] ?? nil), holdsPointers: $0.holdsPointers,
                members: $0.members.map(entry), typedef: $0.typedefShape.map(entry))
        }
        problems = model.problems.map(\.description)
    }
}
