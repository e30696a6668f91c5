import CrossbitCore
import Testing

@Suite("IP addresses and networks")
struct IPAddressTests {
    @Test(
        "text round trips",
        arguments: [
            ("127.0.0.1", "127.0.0.1"), ("::1", "::1"), ("fe80::1", "fe80::1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("::ffff:10.1.2.3", "10.1.2.3"), ("::", "::"), ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("::10.0.0.1", "::a00:1"),
        ])
    func roundTrip(text: String, printed: String) {
        #expect(IPAddress(text)?.description == printed)
    }

    @Test(
        "malformed addresses are refused",
        arguments: [
            "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.-4", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "::g",
            "localhost",
            "1.2.3.4/8", " 1.2.3.4",
        ])
    func malformed(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test("loopback and unspecified")
    func kinds() {
        #expect(IPAddress("127.8.9.10")!.isLoopback)
        #expect(IPAddress("::1")!.isLoopback)
        #expect(!IPAddress("10.0.0.1")!.isLoopback)
        #expect(IPAddress("0.0.0.0")!.isUnspecified && IPAddress("::")!.isUnspecified)
    }

    @Test(
        "CIDR blocks",
        arguments: [
            ("10.0.0.0/8", "10.200.3.4", true), ("10.0.0.0/8", "11.0.0.1", false),
            ("192.168.1.128/25", "192.168.1.200", true),
            ("192.168.1.128/25", "192.168.1.127", false), ("0.0.0.0/0", "8.8.8.8", true), ("0.0.0.0/0", "::1", false),
            ("::1", "::1", true), ("::1/128", "::2", false), ("fd00::/8", "fd12::5", true),
            ("127.0.0.1", "127.0.0.2", false),
            ("::ffff:10.0.0.0/104", "10.9.9.9", true),
        ])
    func contains(network: String, address: String, inside: Bool) {
        #expect(IPNetwork(network)!.contains(IPAddress(address)!) == inside)
    }

    @Test(
        "malformed blocks are refused", arguments: ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "/8", "10/8"])
    func malformedNetwork(text: String) {
        #expect(IPNetwork(text) == nil)
    }
}
