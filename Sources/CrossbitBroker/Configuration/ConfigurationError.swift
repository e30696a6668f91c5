/// A configuration that cannot be used: a bad flag, TOML file, URL or route.
/// `crossbitd` prints the message and exits with status 2.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
