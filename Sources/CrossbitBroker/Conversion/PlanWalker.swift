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

    /// Reads one value in the reader's layout and writes it in the writer's,
    /// widening or narrowing each width-dependent value by the XDR runtime's
    /// rules. Errors carry the field path of the value that failed.
    ///
    /// The walk keeps its own stack instead of recursing, so that a long
    /// linked list cannot exhaust the thread's stack; the reader bounds how
    /// deeply optional data nests.
    func convert(from reader: inout XDRReader, to writer: inout XDRWriter) throws(XDRError) {
        var steps: [Step] = [.node(self)]
        var path: [PathComponent] = []
        do {
            while let step = steps.popLast() {
                switch step {
                case .node(let node):
                    try node.convertOne(from: &reader, to: &writer, steps: &steps, path: &path)
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
            located.path = path.map { component in
                switch component {
                case .field(let name): name
                case .element(let index): "[\(index)]"
                }
            } + error.path
            throw located
        }
    }

    /// Converts what this node converts by itself and pushes the rest.
    private func convertOne(
        from reader: inout XDRReader, to writer: inout XDRWriter, steps: inout [Step], path: inout [PathComponent]
    ) throws(XDRError) {
        switch self {
        case .copy(let count):
            if count > 0 { try writer.writeFixedOpaque(reader.readFixedOpaque(count: count), count: count) }
        case .widthDependent(let type):
            try Self.convert(type, from: &reader, to: &writer)
        case .sequence(let nodes):
            steps.append(contentsOf: nodes.reversed().lazy.map { .node($0) })
        case .field(let name, let node):
            path.append(.field(name))
            steps.append(.leave)
            steps.append(.node(node))
        case .fixedArray(let count, let element):
            if count > 0 { steps.append(.elements(element, index: 0, count: count)) }
        case .variableArray(let maximum, let element):
            let count = try reader.readLength(maximum: maximum, minimumElementSize: Swift.max(element.minimumSize, 1))
            try writer.writeLength(count, maximum: maximum)
            if count > 0 { steps.append(.elements(element, index: 0, count: count)) }
        case .variableBytes(let maximum):
            try writer.writeOpaque(reader.readOpaque(maximum: maximum), maximum: maximum)
        case .optional(let node):
            let present = try reader.beginOptional()
            writer.writeBool(present)
            if present {
                steps.append(.endOptional)
                steps.append(.node(node))
            }
        case .union(let plan):
            let value: Int64
            switch plan.discriminant {
            case .signed:
                let signed = try reader.readInt32()
                writer.writeInt32(signed)
                value = Int64(signed)
            case .unsigned:
                let unsigned = try reader.readUInt32()
                writer.writeUInt32(unsigned)
                value = Int64(unsigned)
            }
            guard let arm = plan.arms[value] ?? plan.defaultArm else {
                throw reader.invalidDiscriminant(value, union: plan.name)
            }
            steps.append(.node(arm))
        case .reference(let reference):
            steps.append(.node(reference.node))
        }
    }

    private static func convert(
        _ type: WidthDependentType, from reader: inout XDRReader, to writer: inout XDRWriter
    ) throws(XDRError) {
        let offset = reader.offset
        do {
            switch type {
            case .sizeT, .uintptrT:
                try writer.writeUnsigned(reader.readUnsigned(as: type), as: type)
            case .ssizeT, .intptrT, .timeT:
                try writer.writeSigned(reader.readSigned(as: type), as: type)
            case .handleT:
                writer.writeHandle(try reader.readHandle())
            }
        } catch {
            var located = error
            located.offset = located.offset ?? offset
            throw located
        }
    }

    /// Whether any width-dependent value is inside (then calls need converting).
    var containsWidthDependent: Bool {
        var visited = Set<ObjectIdentifier>()
        return containsWidthDependent(visited: &visited)
    }

    private func containsWidthDependent(visited: inout Set<ObjectIdentifier>) -> Bool {
        switch self {
        case .copy, .variableBytes: false
        case .widthDependent: true
        case .sequence(let nodes): nodes.contains { $0.containsWidthDependent(visited: &visited) }
        case .field(_, let node), .fixedArray(_, let node), .variableArray(_, let node), .optional(let node):
            node.containsWidthDependent(visited: &visited)
        case .union(let plan):
            (Array(plan.arms.values) + (plan.defaultArm.map { [$0] } ?? [])).contains {
                $0.containsWidthDependent(visited: &visited)
            }
        case .reference(let reference):
            visited.insert(ObjectIdentifier(reference)).inserted
                && reference.node.containsWidthDependent(visited: &visited)
        }
    }
}
