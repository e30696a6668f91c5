import CrossbitTransport
import Glibc

/// The variables systemd sets for the process it starts (`NOTIFY_SOCKET`,
/// `WATCHDOG_*`, `LISTEN_*`), read once and then removed from the
/// environment, so that the servers the broker starts inherit none of them
/// and neither notify systemd in its name nor take its sockets for theirs.
enum SystemdEnvironment {
    /// The values of `names` (absent when unset), each variable removed afterwards.
    static func take(_ names: [String]) throws(ConfigurationError) -> [String: String] {
        var values: [String: String] = [:]
        for name in names {
            values[name] = getenv(name).map { String(cString: $0) }
            guard unsetenv(name) == 0 else {
                throw ConfigurationError("cannot remove \(name) from the environment: \(errnoText())")
            }
        }
        return values
    }
}
