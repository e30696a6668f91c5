import CrossbitCore
import CrossbitIDL

/// What the view of one all-fixed-size struct accesses, from the C layout
/// model (offsets, sizes, C scalars) and the symbols (Swift types): the
/// structured form that ``SwiftFilePrinter/printView(_:)`` renders.
struct SwiftViewPlan {
    enum Kind {
        case scalar(CScalar)
        case scalars(CScalar, count: Int, element: String)
        case bytes(count: Int)
        /// A nested struct by value: its view's Swift name.
        case view(String)
        case views(String, count: Int)
    }

    struct Member {
        /// The IDL name, used in error paths.
        var idlName: String
        /// The getter's name (the field's Swift name, escaped).
        var getter: String
        var setter: String
        /// The field's label in the value type's initializer.
        var label: String
        var local: String
        var swiftType: String
        var kind: Kind
        var offset: (ilp32: Int, lp64: Int)
        /// The size of one element of an array in each layout.
        var stride: (ilp32: Int, lp64: Int)
    }

    var idlName: String
    var valueType: String
    var viewType: String
    var size: (ilp32: Int, lp64: Int)
    var alignment: (ilp32: Int, lp64: Int)
    var fingerprint: UInt64
    var members: [Member]
}

/// Decides which structs get views and plans them, memoized per struct.
struct SwiftViewPlanner {
    let symbols: SwiftSymbols
    let codec: SwiftCodecEmitter
    let ilp32: CLayoutModel
    let lp64: CLayoutModel
    /// The names the view itself uses, which a member's getter must not take.
    private static let reserved: Set<String> = ["load", "store", "convert", "memory"]

    /// The plan of a struct's view, nil when a member holds a pointer, is a
    /// union, or has no C layout.
    func plan(_ name: String) -> SwiftViewPlan? {
        guard case .struct(let structure)? = symbols.definition(name),
            let c32 = ilp32.layout(ofType: name), let c64 = lp64.layout(ofType: name), !c32.holdsPointers,
            c32.members.count == structure.fields.count,
            let fingerprint = CLayoutModel.fingerprint(ilp32: ilp32, lp64: lp64, type: name),
            let swiftName = try? symbols.swiftName(name, at: structure.location)
        else { return nil }
        var members: [SwiftViewPlan.Member] = []
        for (field, (m32, m64)) in zip(structure.fields, zip(c32.members, c64.members)) {
            guard let member = member(field, m32, m64) else { return nil }
            members.append(member)
        }
        return SwiftViewPlan(
            idlName: name, valueType: swiftName, viewType: swiftName + "View", size: (c32.size, c64.size),
            alignment: (c32.alignment, c64.alignment), fingerprint: fingerprint, members: members)
    }

    private func member(_ field: Declaration, _ m32: CMemberLayout, _ m64: CMemberLayout) -> SwiftViewPlan.Member? {
        guard let kind = kind(field, m32), let swiftType = try? codec.swiftType(field.kind, at: field.location) else {
            return nil
        }
        var swiftName = SwiftNaming.lowerCamel(field.name)
        if Self.reserved.contains(swiftName) { swiftName += "Member" }
        let local = SwiftNaming.keywords.contains(swiftName) || swiftName == "error" ? swiftName + "_" : swiftName
        let count = m32.count ?? 1
        return SwiftViewPlan.Member(
            idlName: field.name, getter: SwiftNaming.escaped(swiftName),
            setter: "set" + swiftName.prefix(1).uppercased() + swiftName.dropFirst(),
            label: SwiftNaming.lowerCamel(field.name), local: local, swiftType: swiftType, kind: kind,
            offset: (m32.offset, m64.offset), stride: (m32.size / max(count, 1), m64.size / max(count, 1)))
    }

    private func kind(_ field: Declaration, _ member: CMemberLayout) -> SwiftViewPlan.Kind? {
        switch (symbols.resolved(field.kind), member.storage) {
        case (.plain, .scalar(let scalar)):
            return .scalar(scalar)
        case (.plain, .aggregate(let inner)):
            return plan(inner).map { .view($0.viewType) }
        case (.fixedOpaque, .bytes):
            return member.count.map { .bytes(count: $0) }
        case (.fixedArray(let element, _), let storage):
            // An array of a typedef'd array is an array of arrays in Swift: no view.
            guard case .plain = symbols.resolved(.plain(element)), let count = member.count,
                let elementType = try? codec.swiftType(element, at: field.location)
            else { return nil }
            switch storage {
            case .scalar(let scalar): return .scalars(scalar, count: count, element: elementType)
            case .aggregate(let inner): return plan(inner).map { .views($0.viewType, count: count) }
            default: return nil
            }
        default:
            return nil
        }
    }
}
