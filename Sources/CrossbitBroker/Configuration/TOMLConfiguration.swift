import CrossbitCore
import Foundation
import TOMLKit

extension BrokerConfiguration {
    /// Reads a `crossbitd` TOML file:
    ///
    /// ```toml
    /// idl = ["IDL/crossbit_sample.x"]     # a file or folder, or a list of them
    /// rpcbind = "ilp32"                   # optional
    /// log-level = "info"                  # optional
    /// call-timeout = 5.0                  # seconds, optional
    ///
    /// [[listen]]
    /// layout = "ilp32"
    /// url = "tcp://127.0.0.1:7000"
    ///
    /// [[route]]
    /// program = "CROSSBIT_SAMPLE"          # or a number
    /// version = 1                         # or the version's IDL name
    /// layout = "lp64"
    /// url = "tcp://127.0.0.1:7100"
    ///
    /// [[route]]                           # a server the broker starts on demand
    /// program = "LEGACY_PROG"
    /// version = 1
    /// url = "rpcbind://127.0.0.1"         # an rpcgen server registers itself
    /// exec = "/opt/legacy/server32"       # layout, when not given: from its ELF class
    /// arguments = []                      # optional
    /// idle-timeout = 30.0                 # seconds, optional: stop it when idle
    /// ready-timeout = 10.0                # seconds, optional
    /// ```
    ///
    /// Unknown keys and values of the wrong kind are errors naming the key.
    /// Relative `idl` and `exec` paths are taken from `directory` (the
    /// folder of the file that names them), not from the broker's working
    /// directory, so that a configuration means the same wherever the
    /// broker is started; nil leaves them as written.
    public init(toml text: String, file: String, relativeTo directory: String? = nil) throws(ConfigurationError) {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let at = error.source.begin
            throw ConfigurationError("\(file):\(at.line):\(at.column): error: \(error.description)")
        } catch {
            throw ConfigurationError("\(file): error: \(error)")
        }
        var reader = TableReader(table: root, context: file)
        self.init()
        let resolve = { (path: String) in Self.path(path, relativeTo: directory) }
        idlPaths = try reader.strings("idl").map(resolve)
        if let layout = try reader.string("rpcbind") {
            rpcbindLayout = try parseLayout(layout, what: "\(file): rpcbind")
        }
        if let level = try reader.string("log-level") {
            logLevel = try parseLogLevel(level)
        }
        if let seconds = try reader.number("call-timeout") {
            callTimeout = .milliseconds(Int64((seconds * 1000).rounded()))
        }
        for (index, var entry) in try reader.tables("listen").enumerated() {
            let what = "\(file): listen #\(index + 1)"
            let layout = try parseLayout(try entry.requiredString("layout"), what: what)
            let url = try parseAddress(try entry.requiredString("url"), what: what)
            listeners.append(try Listener(validating: layout, url))
            try entry.finish()
        }
        for var entry in try reader.tables("route") {
            let program = try entry.numberOrName("program")
            let version = try entry.numberOrName("version")
            var activation: Activation?
            if let executable = try entry.string("exec") {
                activation = Activation(executable: resolve(executable), arguments: try entry.strings("arguments"))
                activation?.idleTimeout = try entry.number("idle-timeout").map(Duration.init(configurationSeconds:))
                if let ready = try entry.number("ready-timeout") { activation?.readyTimeout = .init(configurationSeconds: ready) }
            }
            let layout = try routeLayout(activation: activation, isWritten: entry.has("layout")) { () throws(ConfigurationError) in
                try parseLayout(try entry.requiredString("layout"), what: entry.context)
            }
            let url = try parseAddress(try entry.requiredString("url"), what: entry.context)
            routes.append(Route(program: program, version: version, layout: layout, url: url, activation: activation))
            try entry.finish()
        }
        try reader.finish()
    }

    /// Reads a TOML file from disk.
    public init(contentsOfTOMLFile path: String) throws(ConfigurationError) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError("cannot read config file '\(path)'")
        }
        try self.init(toml: text, file: path, relativeTo: URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    /// `path` taken from `directory` when it is relative.
    static func path(_ path: String, relativeTo directory: String?) -> String {
        guard let directory, !path.hasPrefix("/") else { return path }
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true))
            .standardizedFileURL.path
    }
}

/// Reads keys of one TOML table and remembers which it read, so that the
/// rest can be reported as unknown.
private struct TableReader {
    let table: TOMLTable
    let context: String
    private var used = Set<String>()

    init(table: TOMLTable, context: String) {
        self.table = table
        self.context = context
    }

    private mutating func value(_ key: String) -> TOMLValueConvertible? {
        used.insert(key)
        return table[key]
    }

    private func wrongType(_ key: String, _ expected: String) -> ConfigurationError {
        ConfigurationError("\(context): '\(key)' must be \(expected)")
    }

    mutating func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let value = value(key) else { return nil }
        guard let string = value.string else { throw wrongType(key, "a string") }
        return string
    }

    func has(_ key: String) -> Bool { table.contains(key: key) }

    mutating func requiredString(_ key: String) throws(ConfigurationError) -> String {
        guard let string = try string(key) else { throw ConfigurationError("\(context): '\(key)' is missing") }
        return string
    }

    mutating func number(_ key: String) throws(ConfigurationError) -> Double? {
        guard let value = value(key) else { return nil }
        if let int = value.int { return Double(int) }
        guard let double = value.double else { throw wrongType(key, "a number") }
        return double
    }

    /// A string or a list of strings.
    mutating func strings(_ key: String) throws(ConfigurationError) -> [String] {
        guard let value = value(key) else { return [] }
        if let string = value.string { return [string] }
        guard let array = value.array else { throw wrongType(key, "a string or a list of strings") }
        var strings: [String] = []
        for element in array {
            guard let string = element.string else { throw wrongType(key, "a string or a list of strings") }
            strings.append(string)
        }
        return strings
    }

    /// An array of tables (`[[key]]`), each with its own reader.
    mutating func tables(_ key: String) throws(ConfigurationError) -> [TableReader] {
        guard let value = value(key) else { return [] }
        guard let array = value.array else { throw wrongType(key, "an array of tables ([[\(key)]])") }
        var readers: [TableReader] = []
        for (index, element) in array.enumerated() {
            guard let table = element.table else { throw wrongType(key, "an array of tables ([[\(key)]])") }
            readers.append(TableReader(table: table, context: "\(context): \(key) #\(index + 1)"))
        }
        return readers
    }

    mutating func numberOrName(_ key: String) throws(ConfigurationError) -> BrokerConfiguration.NumberOrName {
        guard let value = value(key) else { throw ConfigurationError("\(context): '\(key)' is missing") }
        if let int = value.int {
            guard let number = UInt32(exactly: int) else {
                throw ConfigurationError("\(context): '\(key)' = \(int) is not a 32-bit unsigned number")
            }
            return .number(number)
        }
        guard let string = value.string else { throw wrongType(key, "a number or a name") }
        return try .init(parsing: string, what: "\(context): '\(key)'")
    }

    /// Fails on the first key that was not read.
    func finish() throws(ConfigurationError) {
        if let unknown = table.keys.sorted().first(where: { !used.contains($0) }) {
            throw ConfigurationError("\(context): unknown key '\(unknown)'")
        }
    }
}
