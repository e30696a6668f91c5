/// An error encoding or decoding XDR data: what went wrong, where in the
/// value (a field path such as `items[3].size`), and at which byte offset.
public struct XDRError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// The data ended before a value was complete.
        case truncated(needed: Int, remaining: Int)
        /// A length on the wire, or of a value being encoded, exceeds the
        /// type's declared maximum.
        case lengthOverBound(length: UInt64, maximum: UInt32)
        /// A length on the wire exceeds what the remaining data can hold.
        case lengthOverRemaining(length: UInt32, remaining: Int)
        /// A fixed-size array or opaque being encoded has the wrong count.
        case wrongFixedCount(count: Int, expected: Int)
        /// A value that is not one of the enum's cases.
        case invalidEnumValue(type: String, value: Int32)
        /// A union discriminant with no arm and no default arm.
        case invalidDiscriminant(type: String, value: Int64)
        /// A `bool` other than 0 or 1.
        case invalidBool(UInt32)
        /// A string whose bytes are not valid UTF-8.
        case invalidUTF8
        /// Padding after opaque data or a string that is not zero (RFC 4506 §4.9-4.11): refused, since the
        /// value would encode to other bytes than it was read from.
        case nonzeroPadding
        /// A width-dependent value that does not fit the layout's width.
        case narrowingOverflow(type: WidthDependentType, value: String, layout: WireLayout)
        /// Optional data nested deeper than the reader allows.
        case nestingTooDeep(maximum: Int)
        /// Bytes left over after the value was decoded.
        case trailingBytes(count: Int)
    }

    public var kind: Kind
    /// Field names and `[index]` elements from the outermost value inward.
    public var path: [String]
    /// The byte offset at which decoding failed (nil when encoding).
    public var offset: Int?

    public init(_ kind: Kind, path: [String] = [], offset: Int? = nil) {
        self.kind = kind
        self.path = path
        self.offset = offset
    }

    /// The path as one string, e.g. `list.items[3].size`.
    public var pathDescription: String { FieldPath.description(of: path) }

    /// This error inside the field `name` of an enclosing value.
    public func inField(_ name: String) -> XDRError {
        var copy = self
        copy.path.insert(name, at: 0)
        return copy
    }

    /// This error inside element `index` of an enclosing array.
    public func inElement(_ index: Int) -> XDRError {
        inField("[\(index)]")
    }

    public var description: String {
        var text: String
        switch kind {
        case .truncated(let needed, let remaining):
            text = "truncated data: needed \(needed) bytes, \(remaining) left"
        case .lengthOverBound(let length, let maximum):
            text = "length \(length) exceeds the maximum \(maximum)"
        case .lengthOverRemaining(let length, let remaining):
            text = "length \(length) exceeds the \(remaining) bytes left"
        case .wrongFixedCount(let count, let expected):
            text = "fixed-size value has \(count) elements, expected \(expected)"
        case .invalidEnumValue(let type, let value):
            text = "invalid value \(value) for enum \(type)"
        case .invalidDiscriminant(let type, let value):
            text = "invalid discriminant \(value) for union \(type)"
        case .invalidBool(let value):
            text = "invalid bool \(value)"
        case .invalidUTF8:
            text = "string is not valid UTF-8"
        case .nonzeroPadding:
            text = "padding bytes are not zero"
        case .narrowingOverflow(let type, let value, let layout):
            text = "\(type) value \(value) does not fit the \(layout) layout"
        case .nestingTooDeep(let maximum):
            text = "optional data nested more than \(maximum) deep"
        case .trailingBytes(let count):
            text = "\(count) bytes left over after the value"
        }
        if !path.isEmpty { text = "\(pathDescription): " + text }
        if let offset { text += " (at byte \(offset))" }
        return text
    }
}

extension RPCError {
    /// An RPC error for an XDR failure: narrowing overflow keeps its own
    /// code, every other failure gets `code`.
    public init(_ error: XDRError, code: Code, context: String) {
        if case .narrowingOverflow = error.kind {
            self.init(code: .narrowingOverflow, message: "\(context): \(error)", cause: error)
        } else {
            self.init(code: code, message: "\(context): \(error)", cause: error)
        }
    }
}
