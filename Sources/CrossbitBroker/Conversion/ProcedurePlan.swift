import CrossbitCore

/// How the broker converts the calls of one procedure between layouts.
public struct ProcedurePlan: Sendable {
    public var program: String
    public var version: String
    public var name: String
    let arguments: PlanNode
    let result: PlanNode
    /// True when neither arguments nor result hold a width-dependent value:
    /// the bytes are forwarded as they came.
    public let passesThrough: Bool

    init(program: String, version: String, name: String, arguments: PlanNode, result: PlanNode) {
        self.program = program
        self.version = version
        self.name = name
        self.arguments = arguments
        self.result = result
        passesThrough = !arguments.containsWidthDependent && !result.containsWidthDependent
    }

    /// The plan of the implicit procedure 0 (no arguments, no result).
    static func null(program: String, version: String) -> ProcedurePlan {
        ProcedurePlan(program: program, version: version, name: "NULL", arguments: .copy(0), result: .copy(0))
    }

    /// The procedure's arguments, encoded in `source`, re-encoded in `target`.
    /// Throws when they do not decode, or a value does not fit `target`.
    public func convertArguments(
        _ bytes: [UInt8], from source: WireLayout, to target: WireLayout
    ) throws(XDRError) -> [UInt8] {
        try Self.convert(bytes, arguments, from: source, to: target)
    }

    /// The procedure's result, encoded in `source`, re-encoded in `target`.
    public func convertResult(
        _ bytes: [UInt8], from source: WireLayout, to target: WireLayout
    ) throws(XDRError) -> [UInt8] {
        try Self.convert(bytes, result, from: source, to: target)
    }

    private static func convert(
        _ bytes: [UInt8], _ node: PlanNode, from source: WireLayout, to target: WireLayout
    ) throws(XDRError) -> [UInt8] {
        var reader = XDRReader(bytes: bytes, layout: source)
        var writer = XDRWriter(layout: target, capacity: target == .lp64 ? bytes.count * 2 : bytes.count)
        try node.convert(from: &reader, to: &writer)
        try reader.finish()
        return writer.finish()
    }
}
