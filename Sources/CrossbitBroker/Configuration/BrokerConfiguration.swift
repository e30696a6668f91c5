public import CrossbitCore
import CrossbitELF
import CrossbitIDL
public import CrossbitTransport
public import Logging

/// Everything `crossbitd` is told at start, from its TOML file and its flags.
public struct BrokerConfiguration: Sendable, Hashable {
    /// `.x` files, or folders of them, holding the IDL of the routed programs.
    public var idlPaths: [String]
    /// The endpoints the broker listens on, one layout each.
    public var listeners: [Listener]
    /// The routes known at start; servers add more at run time.
    public var routes: [Route]
    /// Register the routed programs with rpcbind at the TCP endpoint of this layout.
    public var rpcbindLayout: WireLayout?
    public var logLevel: Logger.Level?
    /// How long a forwarded call may wait for its server.
    public var callTimeout: Duration?
    /// Who may register and unregister routes at run time.
    public var control: ControlPolicy
    /// Where Prometheus scrapes the metrics (`http://HOST:PORT/PATH`), if anywhere.
    public var metricsURL: String?
    /// The transport's limits on every endpoint (the `[limits]` table); nil: the defaults of `RPCServer.Options`.
    public var serverOptions: RPCServer.Options?

    public init(
        idlPaths: [String] = [], listeners: [Listener] = [], routes: [Route] = [],
        rpcbindLayout: WireLayout? = nil, logLevel: Logger.Level? = nil, callTimeout: Duration? = nil,
        control: ControlPolicy = ControlPolicy()
    ) {
        self.idlPaths = idlPaths
        self.listeners = listeners
        self.routes = routes
        self.rpcbindLayout = rpcbindLayout
        self.logLevel = logLevel
        self.callTimeout = callTimeout
        self.control = control
    }

    /// The default deadline of a forwarded call.
    public static let defaultCallTimeout: Duration = .seconds(10)

    /// One endpoint of the broker: clients calling it speak `layout`.
    public struct Listener: Sendable, Hashable, CustomStringConvertible {
        /// The layout of every client calling this endpoint.
        public var layout: WireLayout
        /// A `tcp://` or `unix://` address.
        public var url: RPCAddress
        /// Which TCP callers may call here, by source address (empty: any).
        public var allowFrom: [IPNetwork]
        /// The mode and group of a unix socket's file.
        public var socketPermissions: ServerEndpoint.SocketPermissions
        /// The socket systemd passed bound to `url` (``BrokerConfiguration/adopt(_:)``), served instead of binding.
        public var passedSocket: BoundSocket?

        public init(
            layout: WireLayout, url: RPCAddress, allowFrom: [IPNetwork] = [],
            socketPermissions: ServerEndpoint.SocketPermissions = .ownerAndGroup
        ) {
            self.layout = layout
            self.url = url
            self.allowFrom = allowFrom
            self.socketPermissions = socketPermissions
        }

        /// Parses `LAYOUT=URL` (the `--listen` flag).
        public init(parsing text: String) throws(ConfigurationError) {
            guard let equals = text.firstIndex(of: "=") else {
                throw ConfigurationError("--listen '\(text)': expected LAYOUT=URL, e.g. ilp32=tcp://127.0.0.1:7000")
            }
            let layout = try parseLayout(String(text[..<equals]), what: "--listen '\(text)'")
            let url = try parseAddress(String(text[text.index(after: equals)...]), what: "--listen '\(text)'")
            try self.init(validating: layout, url)
        }

        init(validating layout: WireLayout, _ url: RPCAddress) throws(ConfigurationError) {
            switch url {
            case .tcp, .udp, .unix: break
            case .rpcbind:
                throw ConfigurationError("cannot listen on '\(url)': the broker listens on tcp://, udp:// and unix://")
            }
            self.init(layout: layout, url: url)
        }

        /// Whether this endpoint takes TCP callers from every interface (0.0.0.0 or ::).
        public var listensOnEveryInterface: Bool {
            guard case .tcp(let host, _) = url else { return false }
            return IPAddress(host)?.isUnspecified == true || host.isEmpty
        }

        public var description: String { "\(layout)=\(url)" }
    }

    /// A static route: calls to (program, version) go to `url`, a server of `layout`.
    public struct Route: Sendable, Hashable, CustomStringConvertible {
        public var program: NumberOrName
        public var version: NumberOrName
        /// The layout the server speaks.
        public var layout: WireLayout
        /// The server's address.
        public var url: RPCAddress
        /// The server's executable, when the broker starts it on demand.
        public var activation: Activation?
        /// Who may call, what is checked, what happens to trailing bytes.
        public var policy = RoutePolicy()

        public init(
            program: NumberOrName, version: NumberOrName, layout: WireLayout, url: RPCAddress,
            activation: Activation? = nil
        ) {
            self.program = program
            self.version = version
            self.layout = layout
            self.url = url
            self.activation = activation
        }

        /// Parses `PROG:VERS=LAYOUT@URL` (the `--route` flag). With an
        /// activation, `LAYOUT` may be left out (`PROG:VERS=@URL`): it is
        /// the executable's ELF class.
        public init(parsing text: String, activation: Activation? = nil) throws(ConfigurationError) {
            let what = "--route '\(text)'"
            guard let equals = text.firstIndex(of: "="),
                let colon = text[..<equals].firstIndex(of: ":"),
                let at = text[equals...].firstIndex(of: "@")
            else {
                throw ConfigurationError(
                    "\(what): expected PROG:VERS=LAYOUT@URL, e.g. 0x20000001:1=lp64@tcp://127.0.0.1:7100")
            }
            let layoutText = String(text[text.index(after: equals)..<at])
            let isWritten = !layoutText.isEmpty
            let layout = try routeLayout(activation: activation, isWritten: isWritten) {
                () throws(ConfigurationError) in
                try parseLayout(layoutText, what: what)
            }
            self.init(
                program: try NumberOrName(parsing: String(text[..<colon]), what: "\(what) program"),
                version: try NumberOrName(
                    parsing: String(text[text.index(after: colon)..<equals]), what: "\(what) version"),
                layout: layout,
                url: try parseAddress(String(text[text.index(after: at)...]), what: what),
                activation: activation
            )
        }

        public var description: String {
            "\(program):\(version)=\(layout)@\(url)" + (activation.map { " (exec \($0.executable))" } ?? "")
        }
    }

    /// A program or version as a number (decimal or `0x` hex) or as its IDL name.
    public enum NumberOrName: Sendable, Hashable, CustomStringConvertible {
        /// A number, with its text as the user wrote it (messages echo
        /// `0x20000999`, not `536873369`); equal numbers are equal however written.
        case number(UInt32, written: String? = nil)
        case name(String)

        /// The number, when this is one.
        public var number: UInt32? {
            if case .number(let number, _) = self { number } else { nil }
        }

        public static func == (lhs: NumberOrName, rhs: NumberOrName) -> Bool {
            switch (lhs, rhs) {
            case (.number(let left, _), .number(let right, _)): left == right
            case (.name(let left), .name(let right)): left == right
            default: false
            }
        }

        public func hash(into hasher: inout Hasher) {
            switch self {
            case .number(let number, _): hasher.combine(number)
            case .name(let name): hasher.combine(name)
            }
        }

        /// Parses a number or a name; `what` names the setting in errors.
        public init(parsing text: String, what: String) throws(ConfigurationError) {
            let text = text.trimmingWhitespace()
            if let number = IntegerLiteral.parse(text).flatMap(UInt32.init(exactly:)) {
                self = .number(number, written: text)
            } else if let first = text.first, first.isLetter || first == "_",
                text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
            {
                self = .name(text)
            } else {
                throw ConfigurationError("\(what) '\(text)' is neither a 32-bit number nor an IDL name")
            }
        }

        public var description: String {
            switch self {
            case .number(let number, let written): written ?? "\(number)"
            case .name(let name): name
            }
        }
    }

    /// Adds `other`'s settings to these (flags add to the TOML file): lists
    /// are appended, single values replaced when `other` sets them.
    public mutating func merge(_ other: BrokerConfiguration) {
        idlPaths += other.idlPaths
        listeners += other.listeners
        routes += other.routes
        rpcbindLayout = other.rpcbindLayout ?? rpcbindLayout
        logLevel = other.logLevel ?? logLevel
        callTimeout = other.callTimeout ?? callTimeout
        control.merge(other.control)
        metricsURL = other.metricsURL ?? metricsURL
        serverOptions = other.serverOptions ?? serverOptions
    }

    /// Checks what can be checked without the IDL: at least one listener,
    /// no address twice, no route to the broker itself, a TCP listener of
    /// the rpcbind layout.
    public func validate() throws(ConfigurationError) {
        guard !listeners.isEmpty else {
            throw ConfigurationError("no endpoint to listen on: give --listen LAYOUT=URL or [[listen]] in the config")
        }
        var seen = Set<RPCAddress>()
        for listener in listeners where !seen.insert(listener.url).inserted {
            throw ConfigurationError("endpoint \(listener.url) is given twice")
        }
        for route in routes where seen.contains(route.url) {
            throw ConfigurationError("route \(route) points at the broker's own endpoint: its calls would loop")
        }
        for route in routes { try route.activation?.validate() }
        if let rpcbindLayout, rpcbindListeners.isEmpty {
            throw ConfigurationError(
                "--rpcbind \(rpcbindLayout) needs a tcp:// or udp:// endpoint of layout \(rpcbindLayout)")
        }
        if let callTimeout, callTimeout <= .zero {
            throw ConfigurationError("call-timeout must be positive")
        }
    }

    /// The endpoints registered with rpcbind, each under its protocol, when
    /// `rpcbindLayout` is set: the first TCP and the first UDP one of that layout.
    public var rpcbindListeners: [Listener] {
        let ofLayout = listeners.filter { $0.layout == rpcbindLayout }
        let tcp = ofLayout.first { if case .tcp = $0.url { true } else { false } }
        let udp = ofLayout.first { if case .udp = $0.url { true } else { false } }
        return [tcp, udp].compactMap { $0 }
    }
}

/// Parses a `tcp://`, `udp://`, `unix://` or `rpcbind://` address.
func parseAddress(_ text: String, what: String) throws(ConfigurationError) -> RPCAddress {
    do {
        return try RPCAddress(parsing: text)
    } catch {
        throw ConfigurationError("\(what): \(error.message)")
    }
}

/// A route's layout: the one written (parsed by `written`), or, when the
/// broker starts the route's server and none is written, the executable's
/// ELF class. An activated route's executable is checked either way.
func routeLayout(
    activation: BrokerConfiguration.Activation?, isWritten: Bool, written: () throws(ConfigurationError) -> WireLayout
) throws(ConfigurationError) -> WireLayout {
    guard let activation else { return try written() }
    guard isWritten else { return try activation.checkExecutable().layout }
    let layout = try written()
    try activation.checkExecutable()
    return layout
}

/// Parses `ilp32` or `lp64`.
func parseLayout(_ text: String, what: String) throws(ConfigurationError) -> WireLayout {
    guard let layout = WireLayout(rawValue: text.trimmingWhitespace().lowercased()) else {
        throw ConfigurationError("\(what): unknown layout '\(text)': expected ilp32 or lp64")
    }
    return layout
}

/// Parses a log level name of swift-log (`trace` … `critical`).
func parseLogLevel(_ text: String) throws(ConfigurationError) -> Logger.Level {
    guard let level = Logger.Level(rawValue: text.lowercased()) else {
        let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
        throw ConfigurationError("unknown log level '\(text)': expected one of \(names)")
    }
    return level
}

extension String {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}

extension BrokerConfiguration {
    /// The configuration `crossbitd` runs with: the TOML file, if any, with
    /// the command line's flags added, the sockets systemd passed adopted, validated.
    public init(
        file: String?, idl: [String], listen: [String], route: [String], rpcbind: String?, logLevel: String?,
        exec: [String] = [], control: ControlPolicy = ControlPolicy(), metrics: String? = nil,
        passed: PassedSockets = PassedSockets()
    ) throws(ConfigurationError) {
        if let file {
            try self.init(contentsOfTOMLFile: file)
        } else {
            self.init()
        }
        var flags = BrokerConfiguration(idlPaths: idl, control: control)
        for text in listen { flags.listeners.append(try Listener(parsing: text)) }
        var activations = try Activation.parsingFlags(exec)
        for text in route {
            let key = text.split(separator: "=", maxSplits: 1).first.map { String($0).trimmingWhitespace() } ?? ""
            flags.routes.append(try Route(parsing: text, activation: activations.removeValue(forKey: key)))
        }
        if let unused = activations.keys.sorted().first {
            throw ConfigurationError("--exec \(unused)=…: no --route \(unused)=LAYOUT@URL to start it for")
        }
        if let rpcbind { flags.rpcbindLayout = try parseLayout(rpcbind, what: "--rpcbind") }
        if let logLevel { flags.logLevel = try parseLogLevel(logLevel) }
        flags.metricsURL = metrics
        merge(flags)
        try adopt(passed)
        try validate()
    }
}
