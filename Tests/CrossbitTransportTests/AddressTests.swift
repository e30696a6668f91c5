import CrossbitCore
import CrossbitTransport
import Testing

@Suite("Address parsing")
struct AddressTests {
    @Test(arguments: [
        ("tcp://127.0.0.1:2049", RPCAddress.tcp(host: "127.0.0.1", port: 2049)),
        ("udp://localhost:111", .udp(host: "localhost", port: 111)),
        ("tcp://[::1]:8080", .tcp(host: "::1", port: 8080)),
        ("unix:///run/crossbit.sock", .unix(path: "/run/crossbit.sock")),
        ("rpcbind://127.0.0.1", .rpcbind(host: "127.0.0.1")),
        ("rpcbind+udp://127.0.0.1", .rpcbind(host: "127.0.0.1", transport: .udp)),
        ("rpcbind+tcp://[::1]", .rpcbind(host: "::1", transport: .tcp)),
    ])
    func valid(text: String, address: RPCAddress) throws {
        #expect(try RPCAddress(parsing: text) == address)
        #expect(try RPCAddress(parsing: address.description) == address)
    }

    @Test(arguments: [
        "127.0.0.1:2049", "http://x:1", "tcp://127.0.0.1", "tcp://:80", "tcp://h:65536", "tcp://h:port",
        "unix://relative.sock", "rpcbind://", "rpcbind+sctp://h", "unix:///" + String(repeating: "x", count: 200),
    ])
    func invalid(text: String) {
        #expect {
            _ = try RPCAddress(parsing: text)
        } throws: { error in
            (error as? RPCError)?.code == .invalidArgument && "\(error)".contains(text.prefix(20))
        }
    }

    @Test("server endpoints from addresses")
    func serverEndpoints() throws {
        #expect(
            try ServerEndpoint(address: RPCAddress(parsing: "tcp://0.0.0.0:2049"), layout: .ilp32)
                == .tcp(host: "0.0.0.0", port: 2049, layout: .ilp32))
        #expect(
            try ServerEndpoint(address: RPCAddress(parsing: "unix:///tmp/x.sock"), layout: .lp64).address
                == .unix(path: "/tmp/x.sock"))
        #expect(throws: RPCError.self) { try ServerEndpoint(address: .rpcbind(host: "localhost"), layout: .lp64) }
    }
}
