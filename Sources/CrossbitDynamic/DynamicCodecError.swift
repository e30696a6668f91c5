public import CrossbitCore

/// An error converting between JSON and XDR: what went wrong and where in
/// the value (a field path such as `arg1.resources[2].length`).
public struct DynamicCodecError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The text is not JSON.
        case syntax(String)
        /// A JSON value of the wrong kind, e.g. a string where a struct's object belongs.
        case typeMismatch(expected: String, found: String)
        /// A struct field, or a union's discriminant or arm, missing from its object.
        case missingField(String)
        /// An object member that is not a field of the struct or union.
        case unknownField(String)
        /// A number that is not an integer where one is expected.
        case notAnInteger(String)
        /// An integer outside the range of the IDL type.
        case outOfRange(value: String, type: String)
        /// A string that is not base64 where opaque data is expected.
        case invalidBase64
        /// A name that is not a case of the enum, or a number that is no case's value.
        case unknownEnumCase(type: String, value: String)
        /// A union object whose arm member is not the arm its discriminant selects.
        case wrongUnionArm(type: String, expected: String, found: String)
        /// A union discriminant that selects no arm and there is no default arm.
        case unknownUnionArm(type: String, discriminant: String)
        /// The wrong number of procedure arguments.
        case argumentCount(expected: Int, found: Int)
        /// No such program, version, procedure or type in the IDL.
        case idl(String)
        /// The XDR runtime's error: narrowing overflow of a width-dependent
        /// value, a length over its bound, malformed data while decoding.
        case xdr(XDRError.Kind, offset: Int?)
    }

    public var kind: Kind
    /// Field names and `[index]` elements from the outermost value inward.
    public var path: [String]

    public init(_ kind: Kind, path: [String] = []) {
        self.kind = kind
        self.path = path
    }

    /// The runtime's error at `path` (its own path appended).
    init(_ error: XDRError, path: [String]) {
        self.init(.xdr(error.kind, offset: error.offset), path: path + error.path)
    }

    /// The path as one string, e.g. `arg1.items[3].size`.
    public var pathDescription: String { FieldPath.description(of: path) }

    public var description: String {
        let text: String
        switch kind {
        case .syntax(let message): text = "invalid JSON: \(message)"
        case .typeMismatch(let expected, let found): text = "expected \(expected), found \(found)"
        case .missingField(let name): text = "missing field \"\(name)\""
        case .unknownField(let name): text = "unknown field \"\(name)\""
        case .notAnInteger(let value): text = "\(value) is not an integer"
        case .outOfRange(let value, let type): text = "\(value) is out of range for \(type)"
        case .invalidBase64: text = "opaque data must be a base64 string"
        case .unknownEnumCase(let type, let value): text = "\(value) is not a case of enum \(type)"
        case .wrongUnionArm(let type, let expected, let found):
            text = "union \(type): the discriminant selects \(expected), found \"\(found)\""
        case .unknownUnionArm(let type, let discriminant):
            text = "union \(type) has no arm for discriminant \(discriminant)"
        case .argumentCount(let expected, let found): text = "expected \(expected) arguments, found \(found)"
        case .idl(let message): text = message
        case .xdr(let kind, let offset):
            // The runtime's own wording (it names the layout of a narrowing overflow).
            return XDRError(kind, path: path, offset: offset).description
        }
        return path.isEmpty ? text : "\(pathDescription): \(text)"
    }
}
