public import CrossbitCore
public import CrossbitELF
import FoundationEssentials

extension BrokerConfiguration {
    /// How the broker starts a route's server on demand ("activation").
    ///
    /// The broker starts `executable` on the first call of the route, with
    /// `arguments` and two environment variables telling it where to listen:
    /// `CROSSBIT_LISTEN` (the route's URL) and `CROSSBIT_LAYOUT`. A server
    /// reached through `rpcbind://HOST` (an rpcgen-built server) registers
    /// itself instead. The server is ready when it answers procedure 0
    /// (NULL) at the route's address, within `readyTimeout`. After a crash
    /// the next call starts it again, after a back-off that doubles with
    /// every crash in a row; after `idleTimeout` without calls it is stopped
    /// (SIGTERM, then SIGKILL), and so is every server at broker shutdown.
    /// The server must stay in the foreground (not daemonize): its exit is
    /// taken for a crash. Its standard output and error go to the broker's log.
    public struct Activation: Sendable, Hashable, CustomStringConvertible {
        /// The server's executable (an ELF file).
        public var executable: String
        public var arguments: [String]
        /// Stop the server after this long without calls; nil: keep it running.
        public var idleTimeout: Duration?
        /// How long a started server may take to answer its first NULL call.
        public var readyTimeout: Duration

        /// The default of `readyTimeout`.
        public static let defaultReadyTimeout: Duration = .seconds(10)

        public init(
            executable: String, arguments: [String] = [], idleTimeout: Duration? = nil,
            readyTimeout: Duration = Self.defaultReadyTimeout
        ) {
            self.executable = executable
            self.arguments = arguments
            self.idleTimeout = idleTimeout
            self.readyTimeout = readyTimeout
        }

        public var description: String { ([executable] + arguments).joined(separator: " ") }

        /// Checks the executable: an ELF executable the broker may run.
        /// Returns its header, which gives the layout when the route does not.
        @discardableResult
        public func checkExecutable() throws(ConfigurationError) -> ELFHeader {
            let header: ELFHeader
            do {
                header = try ELFHeader(contentsOf: executable)
            } catch {
                throw ConfigurationError("cannot activate \(executable): \(error.reason)")
            }
            guard FileManager.default.isExecutableFile(atPath: executable) else {
                throw ConfigurationError("cannot activate \(executable): the file is not executable")
            }
            return header
        }

        /// Checks the timeouts.
        func validate() throws(ConfigurationError) {
            if let idleTimeout, idleTimeout <= .zero {
                throw ConfigurationError("idle-timeout of \(executable) must be positive")
            }
            if readyTimeout <= .zero {
                throw ConfigurationError("ready-timeout of \(executable) must be positive")
            }
        }
    }
}

extension Duration {
    /// A duration from a number of seconds as written in the TOML file.
    init(configurationSeconds seconds: Double) {
        self = .milliseconds(Int64((seconds * 1000).rounded()))
    }
}

extension BrokerConfiguration.Activation {
    /// Parses `--exec PROG:VERS=COMMAND` flags (the command split at spaces:
    /// the executable, then its arguments), keyed by their `PROG:VERS` as written.
    static func parsingFlags(_ flags: [String]) throws(ConfigurationError) -> [String: Self] {
        var activations: [String: Self] = [:]
        for text in flags {
            let parts = text.split(separator: "=", maxSplits: 1)
            let command = parts.count == 2 ? parts[1].split(separator: " ").map(String.init) : []
            guard let executable = command.first, String(parts[0]).contains(":") else {
                throw ConfigurationError("--exec '\(text)': expected PROG:VERS=EXECUTABLE [ARGUMENT...]")
            }
            let key = String(parts[0]).trimmingWhitespace()
            guard activations[key] == nil else { throw ConfigurationError("--exec \(key) is given twice") }
            activations[key] = Self(executable: executable, arguments: Array(command.dropFirst()))
        }
        return activations
    }
}
