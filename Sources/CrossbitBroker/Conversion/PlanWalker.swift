import CrossbitCore

extension PlanNode {
    /// Reads one value in the reader's layout and writes it in the writer's,
    /// widening or narrowing each width-dependent value by B's XDR rules.
    /// Errors carry the field path of the value that failed.
    func convert(from reader: inout XDRReader, to writer: inout XDRWriter) throws(XDRError) {
        switch self {
        case .copy(let count):
            if count > 0 { try writer.writeFixedOpaque(reader.readFixedOpaque(count: count), count: count) }
        case .widthDependent(let type):
            try Self.convert(type, from: &reader, to: &writer)
        case .sequence(let nodes):
            for node in nodes { try node.convert(from: &reader, to: &writer) }
        case .field(let name, let node):
            do {
                try node.convert(from: &reader, to: &writer)
            } catch {
                throw error.inField(name)
            }
        case .fixedArray(let count, let element):
            try Self.convert(count: count, of: element, from: &reader, to: &writer)
        case .variableArray(let maximum, let element):
            let count = try reader.readLength(maximum: maximum, minimumElementSize: Swift.max(element.minimumSize, 1))
            try writer.writeLength(count, maximum: maximum)
            try Self.convert(count: count, of: element, from: &reader, to: &writer)
        case .variableBytes(let maximum):
            try writer.writeOpaque(reader.readOpaque(maximum: maximum), maximum: maximum)
        case .optional(let node):
            let present = try reader.readBool()
            writer.writeBool(present)
            if present { try node.convert(from: &reader, to: &writer) }
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
            try arm.convert(from: &reader, to: &writer)
        case .reference(let reference):
            try reference.node.convert(from: &reader, to: &writer)
        }
    }

    private static func convert(
        count: Int, of element: PlanNode, from reader: inout XDRReader, to writer: inout XDRWriter
    ) throws(XDRError) {
        for index in 0..<count {
            do {
                try element.convert(from: &reader, to: &writer)
            } catch {
                throw error.inElement(index)
            }
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
