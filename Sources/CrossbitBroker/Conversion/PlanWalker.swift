import CrossbitCore

extension PlanNode {
    /// One pending piece of work of the walk.
    private enum Step {
        case node(PlanNode)
        /// Elements `index..<count` of an array.
        case elements(PlanNode, index: Int, count: Int)
        /// Leaves the innermost field or element of the path.
        case leave
        /// Ends optional data begun with `beginOptional()`.
        case endOptional
    }

    /// A part of the path of the value being converted, for errors.
    private enum PathComponent {
        case field(String)
        case element(Int)
    }

    /// Reads one value in the reader's layout and hands it to `sink`: an
    /// ``XDRWriter`` of the other layout re-encodes it, widening or narrowing
    /// each width-dependent value by the XDR runtime's rules; a
    /// ``ValidationScan`` only checks it. Either way `checks` decide what is
    /// checked beyond what reading needs. Errors carry the field path of the
    /// value that failed.
    ///
    /// The walk keeps its own stack instead of recursing, so that a long
    /// linked list cannot exhaust the thread's stack; the reader bounds how
    /// deeply optional data nests. The node itself is walked before the
    /// loop, so that a value of one node (a `size_t`, an enum) allocates no stack.
    func walk<Sink: PlanSink>(
        from reader: inout XDRReader, into sink: inout Sink, checks: ValidationChecks
    ) throws(XDRError) {
        var steps: [Step] = []
        var path: [PathComponent] = []
        do {
            try walkOne(from: &reader, into: &sink, checks: checks, steps: &steps, path: &path)
            while let step = steps.popLast() {
                switch step {
                case .node(let node):
                    try node.walkOne(from: &reader, into: &sink, checks: checks, steps: &steps, path: &path)
                case .elements(let element, let index, let count):
                    if index + 1 < count { steps.append(.elements(element, index: index + 1, count: count)) }
                    path.append(.element(index))
                    steps.append(.leave)
                    steps.append(.node(element))
                case .leave:
                    path.removeLast()
                case .endOptional:
                    reader.endOptional()
                }
            }
        } catch {
            var located = error
            located.path =
                path.map { component in
                    switch component {
                    case .field(let name): name
                    case .element(let index): "[\(index)]"
                    }
                } + error.path
            throw located
        }
    }

    /// Walks what this node holds by itself and pushes the rest.
    private func walkOne<Sink: PlanSink>(
        from reader: inout XDRReader, into sink: inout Sink, checks: ValidationChecks, steps: inout [Step],
        path: inout [PathComponent]
    ) throws(XDRError) {
        switch self {
        case .copy(let count):
            if count > 0 { try sink.copy(count, from: &reader) }
        case .enumeration(let plan):
            let start = reader.offset
            let value = try reader.readInt32()
            if checks.contains(.enumValues), !plan.values.contains(value) {
                throw XDRError(.invalidEnumValue(type: plan.name, value: value), offset: start)
            }
            sink.word(UInt32(bitPattern: value))
        case .bool:
            let start = reader.offset
            let value = try reader.readUInt32()
            if checks.contains(.bools), value > 1 { throw XDRError(.invalidBool(value), offset: start) }
            sink.word(value)
        case .widthDependent(let type):
            try sink.widthDependent(type, from: &reader)
        case .sequence(let nodes):
            steps.append(contentsOf: nodes.reversed().lazy.map { .node($0) })
        case .field(let name, let node):
            path.append(.field(name))
            steps.append(.leave)
            steps.append(.node(node))
        case .fixedArray(let count, let element):
            if count > 0 { steps.append(.elements(element, index: 0, count: count)) }
        case .variableArray(let maximum, let element):
            let bound = checks.contains(.bounds) ? maximum : nil
            let count = try reader.readLength(maximum: bound, minimumElementSize: Swift.max(element.minimumSize, 1))
            try sink.length(count, maximum: bound)
            if count > 0 { steps.append(.elements(element, index: 0, count: count)) }
        case .variableBytes(let maximum):
            try sink.bytes(maximum: checks.contains(.bounds) ? maximum : nil, from: &reader)
        case .optional(let node):
            let present = try reader.beginOptional()
            sink.word(present ? 1 : 0)
            if present {
                steps.append(.endOptional)
                steps.append(.node(node))
            }
        case .union(let plan):
            try Self.walkUnion(plan, from: &reader, into: &sink, checks: checks, steps: &steps)
        case .reference(let reference):
            steps.append(.node(reference.node))
        }
    }

    /// Reads a union's discriminant and pushes its arm. A discriminant with
    /// no arm is an error, unless union checks are relaxed and the sink
    /// forwards bytes as they came: then the rest is taken unchecked.
    private static func walkUnion<Sink: PlanSink>(
        _ plan: UnionPlan, from reader: inout XDRReader, into sink: inout Sink, checks: ValidationChecks,
        steps: inout [Step]
    ) throws(XDRError) {
        let value: Int64
        switch plan.discriminant {
        case .signed: value = Int64(try reader.readInt32())
        case .unsigned: value = Int64(try reader.readUInt32())
        }
        sink.word(UInt32(truncatingIfNeeded: value))
        if let arm = plan.arms[value] ?? plan.defaultArm {
            steps.append(.node(arm))
        } else if !checks.contains(.unionArms) && Sink.forwardsAsReceived {
            reader.skipRemaining()
            steps.removeAll()
        } else {
            throw reader.invalidDiscriminant(value, union: plan.name)
        }
    }
}

/// Where a plan's walk hands the values it reads (``PlanNode/walk(from:into:checks:)``).
protocol PlanSink {
    /// Whether the walk's input goes on as it came (so that bytes the walk
    /// cannot check may still be forwarded unchanged).
    static var forwardsAsReceived: Bool { get }
    /// `count` bytes that are the same in both layouts.
    mutating func copy(_ count: Int, from reader: inout XDRReader) throws(XDRError)
    /// An enum, bool, discriminant or optional-data flag already read.
    mutating func word(_ value: UInt32)
    /// One width-dependent value, still to be read.
    mutating func widthDependent(_ type: WidthDependentType, from reader: inout XDRReader) throws(XDRError)
    /// The count of a variable-length array already read.
    mutating func length(_ count: Int, maximum: UInt32?) throws(XDRError)
    /// An `opaque<N>` or `string<N>`, still to be read.
    mutating func bytes(maximum: UInt32?, from reader: inout XDRReader) throws(XDRError)
}

/// Re-encodes in the writer's layout: the broker's conversion.
extension XDRWriter: PlanSink {
    static var forwardsAsReceived: Bool { false }

    mutating func copy(_ count: Int, from reader: inout XDRReader) throws(XDRError) {
        try writeFixedOpaque(reader.readFixedOpaque(count: count), count: count)
    }

    mutating func word(_ value: UInt32) {
        writeUInt32(value)
    }

    mutating func widthDependent(_ type: WidthDependentType, from reader: inout XDRReader) throws(XDRError) {
        let offset = reader.offset
        do {
            switch type {
            case .sizeT, .uintptrT:
                try writeUnsigned(reader.readUnsigned(as: type), as: type)
            case .ssizeT, .intptrT, .timeT:
                try writeSigned(reader.readSigned(as: type), as: type)
            case .handleT:
                writeHandle(try reader.readHandle())
            }
        } catch {
            var located = error
            located.offset = located.offset ?? offset
            throw located
        }
    }

    mutating func length(_ count: Int, maximum: UInt32?) throws(XDRError) {
        try writeLength(count, maximum: maximum)
    }

    mutating func bytes(maximum: UInt32?, from reader: inout XDRReader) throws(XDRError) {
        try writeOpaque(reader.readOpaque(maximum: maximum), maximum: maximum)
    }
}

/// Checks a value where it lies and copies nothing: the broker's
/// validation of what it forwards unconverted (docs/security.md).
struct ValidationScan: PlanSink {
    static var forwardsAsReceived: Bool { true }

    mutating func copy(_ count: Int, from reader: inout XDRReader) throws(XDRError) {
        try reader.skip(count)
    }

    mutating func word(_ value: UInt32) {}

    mutating func widthDependent(_ type: WidthDependentType, from reader: inout XDRReader) throws(XDRError) {
        try reader.skip(reader.layout.widthDependentSize)
    }

    mutating func length(_ count: Int, maximum: UInt32?) throws(XDRError) {}

    mutating func bytes(maximum: UInt32?, from reader: inout XDRReader) throws(XDRError) {
        try reader.skip(reader.readLength(maximum: maximum, minimumElementSize: 1))
    }
}
