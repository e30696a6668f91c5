public import CrossbitCore
import CrossbitTransport
import FoundationEssentials
import TOMLKit

extension BrokerConfiguration {
    /// Reads a `crossbitd` TOML file:
    ///
    /// ```toml
    /// idl = ["IDL/crossbit_sample.x"]     # a file or folder, or a list of them
    /// rpcbind = "ilp32"                   # optional
    /// log-level = "info"                  # optional
    /// call-timeout = 5.0                  # seconds, optional
    /// metrics = "http://127.0.0.1:9464/metrics"  # Prometheus, optional
    ///
    /// [control]                           # optional: who may register routes
    /// allow-uids = [1000, "alice"]        # besides root and the broker's user
    /// allow-gids = ["crossbit"]
    /// allow-remote-targets = false        # registered routes lead to this host only
    ///
    /// [limits]                            # optional, on every endpoint; the defaults:
    /// connections-per-endpoint = 16384    # TCP and unix: one more is closed at once
    /// connections-per-peer = 1024         # per source address (TCP), per uid (unix)
    /// calls-in-flight-per-connection = 64 # past it the connection is not read
    /// calls-in-flight-per-udp-endpoint = 1024  # past it a datagram is dropped
    /// incomplete-record-timeout = 30.0    # seconds a record may stay incomplete
    /// max-message-size = 16777216         # bytes of one call
    ///
    /// [[listen]]
    /// layout = "ilp32"
    /// url = "tcp://127.0.0.1:7000"
    /// allow-from = ["127.0.0.0/8", "::1"] # optional: TCP callers by source address
    ///
    /// [[listen]]
    /// layout = "lp64"
    /// url = "unix:///run/crossbit/lp64.sock"
    /// mode = "0660"                       # optional, the default
    /// group = "crossbit"                  # optional
    ///
    /// [[route]]
    /// program = "CROSSBIT_SAMPLE"          # or a number
    /// version = 1                         # or the version's IDL name
    /// layout = "lp64"
    /// url = "tcp://127.0.0.1:7100"
    /// allow-uids = [1000]                 # optional: who may call it (unix endpoints)
    /// allow-gids = ["staff"]
    /// allow-from = ["10.0.0.0/8"]         # optional: who may call it (TCP callers)
    /// relax = ["enums"]                   # optional: enums, unions, bounds, bools
    /// trailing-bytes = "refuse"           # optional: "ignore" (the default) or "refuse"
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
        metricsURL = try reader.string("metrics")
        if var table = try reader.table("control") {
            control = try table.controlPolicy()
            try table.finish()
        }
        if var table = try reader.table("limits") {
            serverOptions = try table.serverOptions()
            try table.finish()
        }
        for (index, var entry) in try reader.tables("listen").enumerated() {
            let what = "\(file): listen #\(index + 1)"
            let layout = try parseLayout(try entry.requiredString("layout"), what: what)
            let url = try parseAddress(try entry.requiredString("url"), what: what)
            var listener = try Listener(validating: layout, url)
            try entry.readAccess(of: &listener)
            listeners.append(listener)
            try entry.finish()
        }
        for var entry in try reader.tables("route") {
            routes.append(try Self.route(from: &entry, resolve: resolve))
        }
        try reader.finish()
    }

    /// One `[[route]]` table. A function of its own because a route's keys depend on each other: one with `exec`
    /// may leave its layout to the executable's ELF class, and its timeouts belong to the activation.
    private static func route(
        from entry: inout TableReader, resolve: (String) -> String
    ) throws(ConfigurationError) -> Route {
        let program = try entry.numberOrName("program")
        let version = try entry.numberOrName("version")
        var activation: Activation?
        if let executable = try entry.string("exec") {
            activation = Activation(executable: resolve(executable), arguments: try entry.strings("arguments"))
            activation?.idleTimeout = try entry.number("idle-timeout").map(Duration.init(configurationSeconds:))
            if let ready = try entry.number("ready-timeout") {
                activation?.readyTimeout = .init(configurationSeconds: ready)
            }
        }
        let isWritten = entry.has("layout")
        let layout = try routeLayout(activation: activation, isWritten: isWritten) { () throws(ConfigurationError) in
            try parseLayout(try entry.requiredString("layout"), what: entry.context)
        }
        let url = try parseAddress(try entry.requiredString("url"), what: entry.context)
        var route = Route(program: program, version: version, layout: layout, url: url, activation: activation)
        try entry.readAccess(of: &route)
        try entry.finish()
        return route
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

    mutating func value(_ key: String) -> TOMLValueConvertible? {
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

    /// A table (`[key]`) with its own reader.
    mutating func table(_ key: String) throws(ConfigurationError) -> TableReader? {
        guard let value = value(key) else { return nil }
        guard let table = value.table else { throw wrongType(key, "a table ([\(key)])") }
        return TableReader(table: table, context: "\(context): \(key)")
    }

    mutating func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let bool = value.bool else { throw wrongType(key, "true or false") }
        return bool
    }

    /// A list of user or group ids, each a number or a name.
    mutating func ids(
        _ key: String, _ parse: (String, String) throws(ConfigurationError) -> UInt32
    ) throws(ConfigurationError) -> Set<UInt32> {
        guard let value = value(key) else { return [] }
        guard let array = value.array else { throw wrongType(key, "a list of ids or names") }
        var ids = Set<UInt32>()
        for element in array {
            if let int = element.int, let id = UInt32(exactly: int) {
                ids.insert(id)
            } else if let name = element.string {
                ids.insert(try parse(name, "\(context): '\(key)'"))
            } else {
                throw wrongType(key, "a list of ids or names")
            }
        }
        return ids
    }

    /// A list of CIDR blocks.
    mutating func networks(_ key: String) throws(ConfigurationError) -> [IPNetwork] {
        var networks: [IPNetwork] = []
        for text in try strings(key) { networks.append(try parseNetwork(text, what: "\(context): '\(key)'")) }
        return networks
    }

    /// The `[control]` table.
    mutating func controlPolicy() throws(ConfigurationError) -> ControlPolicy {
        ControlPolicy(
            allowUIDs: try ids("allow-uids", parseUser), allowGIDs: try ids("allow-gids", parseGroup),
            allowRemoteTargets: try bool("allow-remote-targets") ?? false)
    }

    /// The `[limits]` table: `RPCServer.Options` with the limits it sets, the defaults for the others.
    mutating func serverOptions() throws(ConfigurationError) -> RPCServer.Options {
        var options = RPCServer.Options()
        let counts: [(String, WritableKeyPath<RPCServer.Options, Int>, Int)] = [
            ("connections-per-endpoint", \.maximumConnectionsPerEndpoint, 1),
            ("connections-per-peer", \.maximumConnectionsPerPeer, 1),
            ("calls-in-flight-per-connection", \.maximumCallsInFlightPerConnection, 1),
            ("calls-in-flight-per-udp-endpoint", \.maximumCallsInFlightPerUDPEndpoint, 1),
            // Room for a call header with the largest credentials and verifier (2 × 400 bytes) and arguments.
            ("max-message-size", \.maximumMessageSize, 1024),
        ]
        for (key, path, minimum) in counts {
            guard let value = value(key) else { continue }
            guard let int = value.int, int >= minimum else {
                throw ConfigurationError("\(context): '\(key)' must be a whole number of at least \(minimum)")
            }
            options[keyPath: path] = int
        }
        if let seconds = try number("incomplete-record-timeout") {
            guard seconds > 0, seconds.isFinite else {
                throw ConfigurationError("\(context): 'incomplete-record-timeout' must be a positive number of seconds")
            }
            options.incompleteRecordTimeout = .init(configurationSeconds: seconds)
        }
        return options
    }

    /// A `[[listen]]` entry's `allow-from`, `mode` and `group`.
    mutating func readAccess(of listener: inout BrokerConfiguration.Listener) throws(ConfigurationError) {
        listener.allowFrom = try networks("allow-from")
        if let mode = try string("mode") { listener.socketPermissions.mode = try parseMode(mode, what: context) }
        if let group = value("group") {
            if let id = group.int.flatMap(UInt32.init(exactly:)) {
                listener.socketPermissions.group = id
            } else if let name = group.string {
                listener.socketPermissions.group = try parseGroup(name, what: "\(context): 'group'")
            } else {
                throw wrongType("group", "a group id or name")
            }
        }
        guard case .unix = listener.url else {
            if has("mode") || has("group") {
                throw ConfigurationError("\(context): 'mode' and 'group' are for unix:// endpoints")
            }
            return
        }
        if !listener.allowFrom.isEmpty {
            throw ConfigurationError(
                "\(context): 'allow-from' is for tcp:// endpoints;"
                    + " a unix socket's 'mode' and 'group' say who may connect")
        }
    }

    /// A `[[route]]` entry's access lists, relaxed checks and trailing-bytes policy.
    mutating func readAccess(of route: inout BrokerConfiguration.Route) throws(ConfigurationError) {
        route.policy.access = PeerAccess(
            uids: try ids("allow-uids", parseUser), gids: try ids("allow-gids", parseGroup),
            networks: try networks("allow-from"))
        for name in try strings("relax") {
            guard let check = ValidationChecks.names.first(where: { $0.0 == name })?.1 else {
                let names = ValidationChecks.names.map(\.0).joined(separator: ", ")
                throw ConfigurationError("\(context): 'relax' names an unknown check '\(name)': expected \(names)")
            }
            route.policy.checks.remove(check)
        }
        if let policy = try string("trailing-bytes") {
            guard let parsed = TrailingBytesPolicy(rawValue: policy) else {
                throw ConfigurationError(
                    "\(context): 'trailing-bytes' must be \"ignore\" or \"refuse\", not '\(policy)'")
            }
            route.policy.trailingBytes = parsed
        }
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
