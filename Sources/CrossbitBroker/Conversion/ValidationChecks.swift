/// What the broker checks in the calls and replies it forwards, beyond
/// what it must read to find the end of a value (docs/security.md). All are
/// on by default; a route may relax some for a peer that needs it.
public struct ValidationChecks: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// An enum's value is one the IDL declares.
    public static let enumValues = ValidationChecks(rawValue: 1)
    /// A union's discriminant has an arm (or the union has a default arm).
    public static let unionArms = ValidationChecks(rawValue: 2)
    /// A variable-length array, string or opaque is within its IDL bound.
    public static let bounds = ValidationChecks(rawValue: 4)
    /// A bool is 0 or 1.
    public static let bools = ValidationChecks(rawValue: 8)

    public static let all: ValidationChecks = [.enumValues, .unionArms, .bounds, .bools]

    /// The names a configuration's `relax` list uses.
    public static let names: [(String, ValidationChecks)] = [
        ("enums", .enumValues), ("unions", .unionArms), ("bounds", .bounds), ("bools", .bools),
    ]
}
