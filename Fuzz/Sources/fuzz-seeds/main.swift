@testable import CrossbitTransport
import CrossbitCore
import CrossbitDynamic
import CrossbitIDL
import Foundation

// Writes the seed inputs of every target into Corpus/ (run from Fuzz/: `swift run fuzz-seeds`, then commit
// them): crossbit_sample.x's values, calls and replies in both layouts as the Swift stubs send them, the JSON
// of those values, and a zero-filled input of every rpcsvc type.

let corpus = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appending(path: "Corpus")

func write(_ target: String, _ name: String, _ bytes: [UInt8]) throws {
    let folder = corpus.appending(path: target)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try Data(bytes).write(to: folder.appending(path: "seed-" + name))
}

/// The two bytes DecoderCheck reads: the type's index and the layout.
func selector(_ index: Int, _ layout: WireLayout) -> [UInt8] {
    let value = index * 2 + (layout == .lp64 ? 1 : 0)
    return [UInt8(value >> 8), UInt8(value & 0xFF)]
}

func encoded(_ parts: [any XDREncodable], _ layout: WireLayout) throws -> [UInt8] {
    var writer = XDRWriter(layout: layout)
    for part in parts { try part.encode(xdr: &writer) }
    return writer.finish()
}

func writeSampleSeeds(codec: DynamicCodec) throws {
    let idlNames = [
        "sample_kind", "sample_widths", "sample_resource", "sample_buffer", "sample_list", "sample_batch",
        "sample_result", "sample_value",
    ]
    for (index, values) in SampleValues.ofEachType.enumerated() {
        for (number, value) in values.enumerated() {
            for layout in WireLayout.allCases {
                let bytes = try value.xdrBytes(layout: layout)
                for target in ["fuzz-sample", "fuzz-differential"] {
                    try write(target, "\(idlNames[index])-\(number)-\(layout)", selector(index, layout) + bytes)
                }
                // sample_list's JSON is that of the optional list, which the node's bytes do not encode.
                guard index != 4 else { continue }
                let json = try codec.decode(bytes, type: idlNames[index], layout: layout).text(pretty: number == 0)
                try write("fuzz-json", "\(idlNames[index])-\(number)-\(layout)", Array(json.utf8))
            }
        }
    }
}

func writeCallSeeds() throws {
    let credentials = UnixCredentials(stamp: 1, machineName: "host", uid: 1000, gid: 1000, gids: [4, 24])
    for (number, procedure) in SampleValues.procedures.enumerated() {
        let id = ProcedureID(program: 0x2000_1001, version: 1, procedure: UInt32(number))
        for layout in WireLayout.allCases {
            let flag: UInt8 = layout == .lp64 ? 2 : 0
            let arguments = try encoded(procedure.arguments, layout)
            let result = try encoded(procedure.result, layout)
            try write("fuzz-plan", "\(number)-arguments-\(layout)", [UInt8(number), flag] + arguments)
            try write("fuzz-plan", "\(number)-result-\(layout)", [UInt8(number), flag | 1] + result)
            let flavor = number % 2 == 0 ? AuthFlavor.sys : AuthFlavor.none
            let call = CallMessage.encode(
                xid: UInt32(number), procedure: id, credentialFlavor: flavor,
                credentials: flavor == AuthFlavor.sys ? credentials.encoded : [], arguments: arguments)
            let reply = ReplyMessage.encode(xid: UInt32(number), .success(result))
            try write("fuzz-record", "\(number)-call-\(layout)", [UInt8(number)] + call.bytes)
            try write("fuzz-record", "\(number)-call-reply-\(layout)", [UInt8(number)] + call.bytes + reply.bytes)
        }
    }
    let errors: [ReplyStatus] = [
        .programUnavailable, .programMismatch(low: 1, high: 2), .procedureUnavailable, .garbageArguments,
        .systemError, .rpcMismatch(low: 2, high: 2), .authError(.tooWeak),
    ]
    for (number, status) in errors.enumerated() {
        try write("fuzz-record", "reply-error-\(number)", [3] + ReplyMessage.encode(xid: 9, status).bytes)
    }
}

/// A zero-filled value of every type: most decode (empty arrays, absent optional data, the first enum case).
func writeZeroSeeds(_ target: String, _ count: Int) throws {
    for index in 0..<count {
        for layout in WireLayout.allCases {
            try write(target, "\(index)-zeros-\(layout)", selector(index, layout) + [UInt8](repeating: 0, count: 48))
        }
    }
}

/// How many types a target's list (Sources/TARGET/FILE) holds: one `NAME.self,` line each.
func typeCount(_ target: String, _ file: String) throws -> Int {
    let source = corpus.deletingLastPathComponent().appending(path: "Sources/\(target)/\(file)")
    let text = try String(contentsOf: source, encoding: .utf8)
    return text.split(separator: "\n").filter { $0.hasSuffix(".self,") }.count
}

let idl = "/" + "\(#filePath)".split(separator: "/").dropLast(4).joined(separator: "/") + "/IDL/crossbit_sample.x"
try writeSampleSeeds(codec: DynamicCodec(module: try IDLFrontEnd.load(path: idl)))
try writeCallSeeds()
try writeZeroSeeds("fuzz-rpcsvc", typeCount("fuzz-rpcsvc", "RPCSVCTypes.swift"))
try writeZeroSeeds("fuzz-nis", typeCount("fuzz-nis", "NISTypes.swift"))
