public import CrossbitCore

/// How the broker converts the calls of one procedure between layouts.
public struct ProcedurePlan: Sendable {
    public var program: String
    public var version: String
    public var name: String
    /// `PROGRAM.VERSION`, the `route` label of the broker's metrics (made once, not per call).
    let routeName: String
    let arguments: PlanNode
    let result: PlanNode
    /// True when neither arguments nor result hold a width-dependent value:
    /// the bytes are forwarded as they came.
    public let passesThrough: Bool

    /// `passesThrough` comes from the front end's ``LayoutModel`` (the procedure's width-dependent paths), which
    /// `crossbit-idl layout` prints: the broker converts exactly the procedures that listing says differ.
    init(program: String, version: String, name: String, arguments: PlanNode, result: PlanNode, passesThrough: Bool) {
        self.program = program
        self.version = version
        self.name = name
        routeName = "\(program).\(version)"
        self.arguments = arguments
        self.result = result
        self.passesThrough = passesThrough
    }

    /// The plan of the implicit procedure 0 (no arguments, no result).
    static func null(program: String, version: String) -> ProcedurePlan {
        ProcedurePlan(
            program: program, version: version, name: "NULL", arguments: .copy(0), result: .copy(0),
            passesThrough: true)
    }

    /// The procedure's arguments as they go on from a `source` caller to a
    /// `target` server: re-encoded where the layouts differ and a
    /// width-dependent value is inside, otherwise checked where they lie.
    /// Throws when they do not decode or pass `checks`, or a value does not
    /// fit `target`.
    public func carryArguments(
        _ bytes: [UInt8], from source: WireLayout, to target: WireLayout, checks: ValidationChecks = .all
    ) throws(XDRError) -> CarriedValue {
        try carry(bytes, arguments, from: source, to: target, checks: checks)
    }

    /// The procedure's result as it goes back from a `source` server to a
    /// `target` caller (as ``carryArguments(_:from:to:checks:)``).
    public func carryResult(
        _ bytes: [UInt8], from source: WireLayout, to target: WireLayout, checks: ValidationChecks = .all
    ) throws(XDRError) -> CarriedValue {
        try carry(bytes, result, from: source, to: target, checks: checks)
    }

    /// Whether values go from `source` to `target` re-encoded (else checked and forwarded as they came).
    public func converts(from source: WireLayout, to target: WireLayout) -> Bool {
        source != target && !passesThrough
    }

    private func carry(
        _ bytes: [UInt8], _ node: PlanNode, from source: WireLayout, to target: WireLayout, checks: ValidationChecks
    ) throws(XDRError) -> CarriedValue {
        var reader = XDRReader(bytes: bytes, layout: source)
        guard converts(from: source, to: target) else {
            var scan = ValidationScan()
            try node.walk(from: &reader, into: &scan, checks: checks)
            let value = reader.remaining == 0 ? bytes : Array(bytes.prefix(reader.offset))
            return CarriedValue(bytes: value, trailingBytes: reader.remaining)
        }
        var writer = XDRWriter(layout: target, capacity: target == .lp64 ? bytes.count * 2 : bytes.count)
        try node.walk(from: &reader, into: &writer, checks: checks)
        return CarriedValue(bytes: writer.finish(), trailingBytes: reader.remaining)
    }
}

/// A call's arguments or a reply's result on its way through the broker.
public struct CarriedValue: Sendable, Hashable {
    /// The value as the other side gets it, without the bytes that followed it.
    public var bytes: [UInt8]
    /// How many bytes followed the value (left out of ``bytes``).
    public var trailingBytes: Int

    public init(bytes: [UInt8], trailingBytes: Int) {
        self.bytes = bytes
        self.trailingBytes = trailingBytes
    }
}
