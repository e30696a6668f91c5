public import CrossbitCore

/// A configuration that cannot be used: a bad flag, TOML file, URL, route or
/// systemd variable. It is the one runtime error of CrossbitCore with the
/// code `invalidConfiguration`, so a caller catches `RuntimeError` for
/// every misuse; the name stays because the broker's checks (and
/// `throws(ConfigurationError)` signatures) read better with it.
/// `crossbitd` prints the message and exits with status 2.
public typealias ConfigurationError = RuntimeError

extension RuntimeError {
    /// A configuration error with this message: what `ConfigurationError("…")` makes.
    public init(_ message: String) {
        self.init(code: .invalidConfiguration, message: message)
    }
}
