import CrossbitBroker
import CrossbitCore
import CrossbitTransport
import CrossbitTestSupport
import Foundation
import Logging
import Testing

@Suite struct ConfigurationTests {
    @Test func parsesListenFlags() throws {
        let tcp = try BrokerConfiguration.Listener(parsing: "ilp32=tcp://127.0.0.1:7000")
        #expect(tcp.layout == .ilp32)
        #expect(tcp.url == .tcp(host: "127.0.0.1", port: 7000))
        let unix = try BrokerConfiguration.Listener(parsing: "lp64=unix:///tmp/crossbit.sock")
        #expect(unix.layout == .lp64)
        #expect(unix.url == .unix(path: "/tmp/crossbit.sock"))
    }

    @Test(arguments: [
        ("ilp32", "LAYOUT=URL"),
        ("ilp16=tcp://127.0.0.1:1", "unknown layout 'ilp16'"),
        ("ilp32=tcp://127.0.0.1", "HOST:PORT"),
        ("ilp32=tcp://127.0.0.1:70000", "port"),
        ("lp64=rpcbind://127.0.0.1", "listens on tcp://, udp:// and unix://"),
        ("lp64=http://x:1", "unknown scheme"),
    ])
    func rejectsBadListenFlags(text: String, message: String) {
        #expect {
            try BrokerConfiguration.Listener(parsing: text)
        } throws: { error in
            (error as? ConfigurationError)?.message.contains(message) == true
        }
    }

    @Test func parsesRouteFlags() throws {
        let hex = try BrokerConfiguration.Route(parsing: "0x20000001:1=lp64@tcp://127.0.0.1:7100")
        #expect(hex.program == .number(0x2000_0001))
        #expect(hex.version == .number(1))
        #expect(hex.layout == .lp64)
        #expect(hex.url == .tcp(host: "127.0.0.1", port: 7100))
        let named = try BrokerConfiguration.Route(parsing: "SAMPLE_PROG:SAMPLE_V1=ilp32@unix:///tmp/s.sock")
        #expect(named.program == .name("SAMPLE_PROG"))
        #expect(named.version == .name("SAMPLE_V1"))
        #expect(named.url == .unix(path: "/tmp/s.sock"))
    }

    @Test(arguments: [
        ("1:1", "PROG:VERS=LAYOUT@URL"),
        ("1=lp64@tcp://h:1", "PROG:VERS=LAYOUT@URL"),
        ("1:1=lp64@nowhere", "--route '1:1=lp64@nowhere': invalid address"),
        ("0x1zz:1=lp64@tcp://h:1", "neither a 32-bit number nor an IDL name"),
        ("4294967296:1=lp64@tcp://h:1", "neither a 32-bit number nor an IDL name"),
        ("1:1=x86@tcp://h:1", "unknown layout"),
    ])
    func rejectsBadRouteFlags(text: String, message: String) {
        #expect {
            try BrokerConfiguration.Route(parsing: text)
        } throws: { error in
            (error as? ConfigurationError)?.message.contains(message) == true
        }
    }

    static let sampleTOML = """
        idl = ["IDL/crossbit_sample.x", "IDL/more"]
        rpcbind = "ilp32"
        log-level = "debug"
        call-timeout = 2.5

        [[listen]]
        layout = "ilp32"
        url = "tcp://127.0.0.1:7000"

        [[listen]]
        layout = "lp64"
        url = "unix:///tmp/crossbitd.sock"

        [[route]]
        program = "CROSSBIT_SAMPLE"
        version = 1
        layout = "lp64"
        url = "tcp://127.0.0.1:7100"

        [[route]]
        program = 0x20000002
        version = "V2"
        layout = "ilp32"
        url = "unix:///tmp/server.sock"
        """

    @Test func readsTOML() throws {
        let configuration = try BrokerConfiguration(toml: Self.sampleTOML, file: "test.toml")
        #expect(configuration.idlPaths == ["IDL/crossbit_sample.x", "IDL/more"])
        #expect(configuration.rpcbindLayout == .ilp32)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.callTimeout == .milliseconds(2500))
        #expect(
            configuration.listeners == [
                .init(layout: .ilp32, url: .tcp(host: "127.0.0.1", port: 7000)),
                .init(layout: .lp64, url: .unix(path: "/tmp/crossbitd.sock")),
            ])
        #expect(
            configuration.routes == [
                .init(
                    program: .name("CROSSBIT_SAMPLE"), version: .number(1), layout: .lp64,
                    url: .tcp(host: "127.0.0.1", port: 7100)),
                .init(
                    program: .number(0x2000_0002), version: .name("V2"), layout: .ilp32,
                    url: .unix(path: "/tmp/server.sock")),
            ])
        try configuration.validate()
        #expect(configuration.rpcbindListeners.map(\.url) == [.tcp(host: "127.0.0.1", port: 7000)])
    }

    @Test(arguments: [
        ("colour = 1", "test.toml: unknown key 'colour'"),
        ("[[listen]]\nlayout = \"ilp32\"\nurl = \"tcp://h:1\"\nport = 3", "test.toml: listen #1: unknown key 'port'"),
        ("[[route]]\nprogram = 1\nversion = 1\nlayout = \"lp64\"", "test.toml: route #1: 'url' is missing"),
        (
            "[[route]]\nprogram = -1\nversion = 1\nlayout = \"lp64\"\nurl = \"tcp://h:1\"",
            "not a 32-bit unsigned number"
        ),
        ("[[listen]]\nlayout = \"ilp32\"\nurl = \"tcp:/h:1\"", "test.toml: listen #1: invalid address"),
        ("rpcbind = 32", "'rpcbind' must be a string"),
        ("idl = [1]", "'idl' must be a string or a list of strings"),
        ("listen = \"ilp32=tcp://h:1\"", "'listen' must be an array of tables"),
        ("log-level = \"loud\"", "unknown log level 'loud'"),
        ("a = [", "test.toml:1:"),
        (
            "[control]\nallow-uids = [\"no-such-user-here\"]",
            "test.toml: control: 'allow-uids': no user named 'no-such-user-here'"
        ),
        (
            "[control]\nallow-remote-targets = \"yes\"",
            "test.toml: control: 'allow-remote-targets' must be true or false"
        ),
        ("[control]\nallow = 1", "test.toml: control: unknown key 'allow'"),
        (
            "[[listen]]\nlayout = \"ilp32\"\nurl = \"tcp://h:1\"\nallow-from = [\"10.0.0.0/33\"]",
            "test.toml: listen #1: 'allow-from': '10.0.0.0/33' is not an address or a CIDR block"
        ),
        (
            "[[listen]]\nlayout = \"ilp32\"\nurl = \"tcp://h:1\"\nmode = \"0660\"",
            "test.toml: listen #1: 'mode' and 'group' are for unix:// endpoints"
        ),
        (
            "[[listen]]\nlayout = \"ilp32\"\nurl = \"unix:///s\"\nmode = \"999\"",
            "mode '999' is not octal permission bits"
        ),
        (
            "[[listen]]\nlayout = \"ilp32\"\nurl = \"unix:///s\"\nallow-from = [\"::1\"]",
            "'allow-from' is for tcp:// endpoints; a unix socket's 'mode' and 'group' say who may connect"
        ),
        (
            "[[route]]\nprogram = 1\nversion = 1\nlayout = \"lp64\"\nurl = \"tcp://h:1\"\nrelax = [\"enum\"]",
            "test.toml: route #1: 'relax' names an unknown check 'enum': expected enums, unions, bounds, bools"
        ),
        (
            "[[route]]\nprogram = 1\nversion = 1\nlayout = \"lp64\"\nurl = \"tcp://h:1\"\ntrailing-bytes = \"drop\"",
            "'trailing-bytes' must be \"ignore\" or \"refuse\", not 'drop'"
        ),
        (
            "[limits]\nconnections-per-peer = 0",
            "test.toml: limits: 'connections-per-peer' must be a whole number of at least 1"
        ),
        (
            "[limits]\ncalls-in-flight-per-connection = 2.5",
            "test.toml: limits: 'calls-in-flight-per-connection' must be a whole number of at least 1"
        ),
        (
            "[limits]\nmax-message-size = 100",
            "test.toml: limits: 'max-message-size' must be a whole number of at least 1024"
        ),
        (
            "[limits]\nincomplete-record-timeout = 0",
            "test.toml: limits: 'incomplete-record-timeout' must be a positive number of seconds"
        ),
        ("[limits]\nconnections = 5", "test.toml: limits: unknown key 'connections'"),
        ("limits = 5", "test.toml: 'limits' must be a table ([limits])"),
    ])
    func rejectsBadTOML(text: String, message: String) {
        #expect {
            try BrokerConfiguration(toml: text, file: "test.toml")
        } throws: { error in
            (error as? ConfigurationError)?.message.contains(message) == true
        }
    }

    @Test("[limits] sets the transport's limits; the keys left out keep their defaults")
    func readsLimits() throws {
        let text = """
            [limits]
            connections-per-endpoint = 100
            connections-per-peer = 10
            calls-in-flight-per-connection = 4
            calls-in-flight-per-udp-endpoint = 32
            incomplete-record-timeout = 2.5
            """
        let options = try #require(try BrokerConfiguration(toml: text, file: "test.toml").serverOptions)
        var expected = RPCServer.Options(
            maximumConnectionsPerEndpoint: 100, maximumConnectionsPerPeer: 10, maximumCallsInFlightPerConnection: 4,
            incompleteRecordTimeout: .milliseconds(2500), maximumCallsInFlightPerUDPEndpoint: 32)
        expected.eventLoopCount = options.eventLoopCount
        #expect(options == expected)
        #expect(options.maximumMessageSize == RPCServer.Options().maximumMessageSize)
        #expect(try BrokerConfiguration(toml: "", file: "test.toml").serverOptions == nil)
    }

    @Test("access settings: [control], endpoint allow-from, socket mode and group, per-route rules")
    func readsAccessSettings() throws {
        let configuration = try BrokerConfiguration(
            toml: """
                [control]
                allow-uids = [1000, "nobody"]
                allow-gids = ["nogroup"]
                allow-remote-targets = true
                [[listen]]
                layout = "ilp32"
                url = "tcp://0.0.0.0:7000"
                allow-from = ["10.0.0.0/8", "::1"]
                [[listen]]
                layout = "lp64"
                url = "unix:///tmp/b.sock"
                mode = "0600"
                group = 65534
                [[route]]
                program = 1
                version = 1
                layout = "lp64"
                url = "tcp://127.0.0.1:7100"
                allow-uids = [0]
                allow-gids = [65534]
                allow-from = ["192.0.2.0/24"]
                relax = ["enums", "bools"]
                trailing-bytes = "refuse"
                """, file: "test.toml")
        #expect(
            configuration.control
                == ControlPolicy(allowUIDs: [1000, 65534], allowGIDs: [65534], allowRemoteTargets: true))
        #expect(configuration.listeners[0].allowFrom == [IPNetwork("10.0.0.0/8")!, IPNetwork("::1")!])
        #expect(configuration.listeners[0].listensOnEveryInterface)
        #expect(configuration.listeners[1].socketPermissions == .init(mode: 0o600, group: 65534))
        let route = configuration.routes[0]
        #expect(
            route.policy
                == RoutePolicy(
                    access: PeerAccess(uids: [0], gids: [65534], networks: [IPNetwork("192.0.2.0/24")!]),
                    checks: [.unionArms, .bounds], trailingBytes: .refuse))
    }

    @Test func flagsAddToTheFile() throws {
        var configuration = try BrokerConfiguration(toml: Self.sampleTOML, file: "test.toml")
        configuration.merge(
            BrokerConfiguration(
                idlPaths: ["extra.x"],
                listeners: [.init(layout: .lp64, url: .tcp(host: "127.0.0.1", port: 7001))],
                rpcbindLayout: .lp64, logLevel: .error))
        #expect(configuration.idlPaths.last == "extra.x")
        #expect(configuration.listeners.count == 3)
        #expect(configuration.routes.count == 2)
        #expect(configuration.rpcbindLayout == .lp64)
        #expect(configuration.logLevel == .error)
        #expect(configuration.callTimeout == .milliseconds(2500))
        #expect(configuration.rpcbindListeners.map(\.url) == [.tcp(host: "127.0.0.1", port: 7001)])
    }

    @Test func validationNamesTheProblem() {
        let noListener = BrokerConfiguration()
        #expect(throws: ConfigurationError.self) { try noListener.validate() }
        let listener = BrokerConfiguration.Listener(layout: .lp64, url: .unix(path: "/tmp/x.sock"))
        let twice = BrokerConfiguration(listeners: [listener, listener])
        #expect(throws: ConfigurationError("endpoint unix:///tmp/x.sock is given twice")) { try twice.validate() }
        let loop = BrokerConfiguration(
            listeners: [listener],
            routes: [.init(program: .number(1), version: .number(1), layout: .lp64, url: .unix(path: "/tmp/x.sock"))])
        #expect(
            throws: ConfigurationError(
                "route 1:1=lp64@unix:///tmp/x.sock points at the broker's own endpoint: its calls would loop")
        ) {
            try loop.validate()
        }
        let rpcbindWithoutTCP = BrokerConfiguration(listeners: [listener], rpcbindLayout: .lp64)
        #expect(throws: ConfigurationError("--rpcbind lp64 needs a tcp:// or udp:// endpoint of layout lp64")) {
            try rpcbindWithoutTCP.validate()
        }
    }
}

@Suite struct RouteTableTests {
    let sample = ServerRoute(
        program: 0x2000_0001, version: 2, layout: .lp64,
        url: .tcp(host: "127.0.0.1", port: 7100), origin: .configuration)

    @Test func looksUpRoutesAndVersionRanges() {
        var v4 = sample
        v4.version = 4
        let table = RouteTable([sample, v4])
        #expect(table.lookup(program: 0x2000_0001, version: 2) == .found(sample))
        #expect(table.lookup(program: 0x2000_0001, version: 3) == .versionMismatch(low: 2, high: 4))
        #expect(table.lookup(program: 0x2000_0009, version: 2) == .programUnavailable)
    }

    @Test func registersReplacesAndUnregisters() throws {
        let table = RouteTable()
        let anyone: (ServerRoute) -> String? = { _ in nil }
        #expect(try table.register(sample, unless: anyone).get() == nil)
        var moved = sample
        moved.url = .unix(path: "/tmp/moved.sock")
        moved.origin = .registered
        #expect(try table.register(moved, unless: anyone).get() == sample)
        #expect(table.all == [moved])
        #expect(try table.unregister(program: sample.program, version: sample.version, unless: anyone).get() == moved)
        #expect(table.lookup(program: sample.program, version: sample.version) == .programUnavailable)
        #expect(try table.unregister(program: sample.program, version: sample.version, unless: anyone).get() == nil)
    }

    @Test("a refused change leaves the route as it was")
    func refusedChanges() throws {
        let table = RouteTable([sample])
        var moved = sample
        moved.url = .unix(path: "/tmp/moved.sock")
        let refusal: (ServerRoute) -> String? = { $0.origin == .configuration ? "configured" : nil }
        #expect(table.register(moved, unless: refusal) == .failure(RouteChangeRefused(reason: "configured")))
        #expect(
            table.unregister(program: sample.program, version: sample.version, unless: refusal)
                == .failure(RouteChangeRefused(reason: "configured")))
        #expect(table.all == [sample])
    }

    @Test("relative idl and exec paths in a TOML file are taken from the file's folder, not the working directory")
    func tomlPathsRelativeToFile() throws {
        let directory = try Paths.temporaryDirectory("toml-relative").path
        try FileManager.default.createDirectory(atPath: directory + "/idl", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Paths.testIDL, toPath: directory + "/idl/broker_test.x")
        try FileManager.default.copyItem(atPath: "/bin/true", toPath: directory + "/bin/server")
        try """
        idl = "idl/broker_test.x"
        [[listen]]
        layout = "ilp32"
        url = "tcp://127.0.0.1:0"
        [[route]]
        program = "BROKER_TEST"
        version = 1
        url = "tcp://127.0.0.1:1"
        exec = "bin/server"
        [[route]]
        program = "BROKER_TEST"
        version = 1
        layout = "lp64"
        url = "tcp://127.0.0.1:2"
        exec = "/bin/true"
        """.write(toFile: directory + "/crossbitd.toml", atomically: true, encoding: .utf8)
        // The working directory is the tests' own, where neither relative path exists.
        let configuration = try BrokerConfiguration(contentsOfTOMLFile: directory + "/crossbitd.toml")
        #expect(configuration.idlPaths == [directory + "/idl/broker_test.x"])
        #expect(configuration.routes.map { $0.activation?.executable } == [directory + "/bin/server", "/bin/true"])
        #expect(configuration.routes.first?.layout == WireLayout.native)
        _ = try IDLCatalog(paths: configuration.idlPaths)
    }
}
