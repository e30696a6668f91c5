import CrossbitCore
import PropertyBased

/// Generators of `xdr_everything.x` values whose width-dependent fields fit
/// both layouts (so that ILP32 round trips are exact).
enum EverythingGenerators {
    typealias E = XdrEverything

    static let int32Wide = Gen.int(in: Int(Int32.min)...Int(Int32.max))
    static let uint32Wide = Gen.uint(in: 0...UInt(UInt32.max))
    /// Handles as a 32-bit peer would give them back: sign-extended.
    static let handle = Gen.uint32().map { Handle(widening: $0) }
    static let text = Gen.letterOrNumber.string(of: 0...12)
    static let bytes = Gen.uint8().array(of: 0...9)

    static let widths = zip(uint32Wide, int32Wide, int32Wide, uint32Wide, handle, int32Wide, int32Wide, uint32Wide)
        .map { E.EvWidths(size: $0, ssize: $1, iptr: $2, uptr: $3, handle: $4, time: $5, i3264: $6, u3264: $7) }

    static let color = Gen<E.EvColor>.case

    static let scalars = zip(
        zip(Gen.int32(), Gen.uint32(), Gen.int32(), Gen.uint32(), Gen.int64(), Gen.uint64()),
        zip(Gen.float(in: -1e6...1e6), Gen.double(in: -1e12...1e12), Gen.bool, color, Gen.int32(), color)
    ).map { first, second in
        E.EvScalars(
            i: first.0, u: first.1, l: first.2, ul: first.3, h: first.4, uh: first.5, f: second.0, d: second.1,
            b: second.2, color: second.3, alias: second.4, colorAlias: second.5)
    }

    static let list = int32Wide.array(of: 0...4).map { values in
        values.reversed().reduce(nil) { next, value in E.EvList(value: value, next: next) }
    }

    static let intUnion = Gen.oneOf(
        Gen.int32().map { E.EvIntUnion.asInt($0) }.eraseToAnySequence(),
        uint32Wide.map { E.EvIntUnion.asSize1($0) }.eraseToAnySequence(),
        uint32Wide.map { E.EvIntUnion.asSize2($0) }.eraseToAnySequence(),
        Gen.always(E.EvIntUnion.case3).eraseToAnySequence(),
        text.map { E.EvIntUnion.evNegative($0) }.eraseToAnySequence(),
        zip(Gen.int32(in: 4...1000), widths).map { E.EvIntUnion.default(discriminant: $0, $1) }.eraseToAnySequence())

    static let enumUnion = Gen.oneOf(
        int32Wide.map { E.EvEnumUnion.red($0) }.eraseToAnySequence(),
        list.map { E.EvEnumUnion.green($0) }.eraseToAnySequence(),
        Gen.always(E.EvEnumUnion.blue).eraseToAnySequence(),
        uint32Wide.map { E.EvEnumUnion.negativeCase($0) }.eraseToAnySequence())

    static let arrays = zip(
        zip(Gen.uint8().array(of: 3), Gen.uint8().array(of: 5), bytes, bytes, text, text),
        zip(
            Gen.int32().array(of: 3), Gen.int32().array(of: 0...16), Gen.int64().array(of: 0...5),
            widths.array(of: 2), widths.array(of: 0...3), text.array(of: 0...4)),
        zip(uint32Wide.array(of: 2), int32Wide.array(of: 0...4), Gen.int32().array(of: 0...3).array(of: 0...4))
    ).map { first, second, third in
        E.EvArrays(
            fixedOpaque: first.0, inlineFixedOpaque: first.1, inlineVarOpaque: first.2, unboundedOpaque: first.3,
            name: first.4, unboundedName: first.5, fixedInts: second.0, varInts: second.1,
            unboundedHypers: second.2, fixedWidths: second.3, varWidths: second.4, names: second.5,
            sizes: third.0, times: third.1, nestedLists: third.2)
    }

    static let tree = zip(handle, handle.optional, list.array(of: 0...2)).map { id, leftID, leaves in
        E.EvTree(
            id: id, left: leftID.map { E.EvTree(id: $0, left: nil, right: nil, leaves: []) }, right: nil,
            leaves: leaves.compactMap { $0 })
    }

    static let everything = zip(
        zip(scalars, widths, arrays, list, tree.optional),
        zip(
            intUnion, enumUnion, int32Wide.optional, Gen.double(in: -1e9...1e9).optional, widths.optional,
            intUnion.array(of: 0...4))
    ).map { first, second in
        E.EvEverything(
            scalars: first.0, widths: first.1, arrays: first.2, list: first.3, tree: first.4,
            intUnion: second.0, enumUnion: second.1,
            boolUnion: second.2.map { E.EvBoolUnion.true($0) } ?? .false,
            unsignedUnion: second.3.map { E.EvUnsignedUnion.big($0) } ?? .default(discriminant: 17),
            optionalWidths: second.4, unions: second.5)
    }
}
