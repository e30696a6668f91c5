/// Who sent a call, as the kernel reports it: the only identity an access
/// decision may rest on. AUTH_SYS credentials (``RPCCallContext/credentials``)
/// are whatever the client chose to write, so they are never used for one.
public enum RPCPeer: Sendable, Hashable, CustomStringConvertible {
    /// A process on this host, over a unix socket: `SO_PEERCRED` at connect time.
    case local(PeerCredentials)
    /// A TCP or UDP peer: its source address and port.
    case network(IPAddress, port: UInt16)
    /// No identity: a call that did not come through a socket (a loopback transport).
    case unknown

    public var description: String {
        switch self {
        case .local(let credentials): "\(credentials)"
        case .network(let address, let port): address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
        case .unknown: "an unknown peer"
        }
    }

    /// The credentials of a local peer, nil for others.
    public var credentials: PeerCredentials? {
        if case .local(let credentials) = self { credentials } else { nil }
    }

    /// The source address of a network peer, nil for others.
    public var address: IPAddress? {
        if case .network(let address, _) = self { address } else { nil }
    }
}

/// A local process's identity as the kernel recorded it when it connected
/// (`SO_PEERCRED` on Linux).
public struct PeerCredentials: Sendable, Hashable, CustomStringConvertible {
    public var uid: UInt32
    public var gid: UInt32
    public var pid: Int32

    public init(uid: UInt32, gid: UInt32, pid: Int32) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
    }

    public var description: String { "uid \(uid) gid \(gid) pid \(pid)" }
}

/// An IPv4 or IPv6 address. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`,
/// what a dual-stack socket reports for an IPv4 peer) is kept as the IPv4
/// address, so that one rule matches a peer however it connected.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6, in network order.
    public let bytes: [UInt8]

    /// An address of 4 or 16 bytes in network order; nil for another count.
    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4: self.bytes = bytes
        case 16 where bytes.prefix(10).allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff:
            self.bytes = Array(bytes.suffix(4))
        case 16: self.bytes = bytes
        default: return nil
        }
    }

    /// Parses dotted IPv4 (`127.0.0.1`) or IPv6 text (`::1`, `fe80::1`,
    /// `::ffff:10.0.0.1`); nil for anything else.
    public init?(_ text: some StringProtocol) {
        let parsed = text.contains(":") ? Self.parseIPv6(Substring(text)) : Self.parseIPv4(Substring(text))
        guard let parsed else { return nil }
        self.init(bytes: parsed)
    }

    public var isIPv4: Bool { bytes.count == 4 }

    /// 127.0.0.0/8 or ::1.
    public var isLoopback: Bool {
        isIPv4 ? bytes[0] == 127 : bytes == [UInt8](repeating: 0, count: 15) + [1]
    }

    /// 0.0.0.0 or ::, which a socket binds to listen on every interface.
    public var isUnspecified: Bool { bytes.allSatisfy { $0 == 0 } }

    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        // RFC 5952: the longest run of two or more zero groups becomes "::".
        var best = (start: -1, count: 1)
        var index = 0
        while index < 8 {
            var end = index
            while end < 8 && groups[end] == 0 { end += 1 }
            if end - index > best.count { best = (index, end - index) }
            index = end + 1
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.start >= 0 else { return hex.joined(separator: ":") }
        let head = hex[..<best.start].joined(separator: ":")
        let tail = hex[(best.start + best.count)...].joined(separator: ":")
        return head + "::" + tail
    }

    private static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func parseIPv6(_ text: Substring) -> [UInt8]? {
        let halves = text.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false)
        guard halves.count <= 2, let head = parseGroups(halves[0]) else { return nil }
        guard halves.count == 2 else { return head.count == 16 ? head : nil }
        guard let tail = parseGroups(halves[1]), head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    /// Colon-separated hex groups, the last of which may be dotted IPv4.
    private static func parseGroups(_ text: Substring) -> [UInt8]? {
        guard !text.isEmpty else { return [] }
        let groups = text.split(separator: ":", omittingEmptySubsequences: false)
        var bytes: [UInt8] = []
        for (index, group) in groups.enumerated() {
            if index == groups.count - 1, group.contains("."), let v4 = parseIPv4(group) {
                bytes += v4
            } else {
                guard (1...4).contains(group.count), let value = UInt16(group, radix: 16) else { return nil }
                bytes += [UInt8(value >> 8), UInt8(value & 0xff)]
            }
        }
        return bytes.count <= 16 ? bytes : nil
    }
}

/// A block of addresses in CIDR notation (`10.0.0.0/8`, `::1/128`; a bare
/// address is the block of that one address).
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    /// Parses `ADDRESS[/PREFIX]`; nil when either part is malformed or the
    /// prefix is longer than the address.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        let bits = parts[0].contains(":") ? 128 : 32
        var length = address.bytes.count * 8
        if parts.count == 2 {
            guard (1...3).contains(parts[1].count), let prefix = Int(parts[1]), (0...bits).contains(prefix) else {
                return nil
            }
            // A prefix written for the IPv6 form of an IPv4-mapped address counts from bit 96.
            length = parts[0].contains(":") && address.isIPv4 ? max(0, prefix - 96) : prefix
        }
        self.address = address
        prefixLength = length
    }

    /// Whether `candidate` lies in this block (never across IPv4 and IPv6).
    public func contains(_ candidate: IPAddress) -> Bool {
        guard candidate.bytes.count == address.bytes.count else { return false }
        let whole = prefixLength / 8
        guard candidate.bytes.prefix(whole) == address.bytes.prefix(whole) else { return false }
        let rest = prefixLength % 8
        guard rest > 0 else { return true }
        let mask = UInt8(0xff) << (8 - rest)
        return candidate.bytes[whole] & mask == address.bytes[whole] & mask
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

/// Which peers may make a call: by the kernel's identity of the caller,
/// never by what it wrote in its credentials (docs/security.md).
///
/// An empty rule lets everyone in. Once any list is set, only a peer that
/// one of them names is let in: a local peer by its uid or its primary gid,
/// a network peer by its source address; a peer of another kind is not.
public struct PeerAccess: Sendable, Hashable, CustomStringConvertible {
    /// Local (unix-socket) callers let in by user id.
    public var uids: Set<UInt32>
    /// Local callers let in by their primary group id (`SO_PEERCRED`'s).
    public var gids: Set<UInt32>
    /// TCP and UDP callers let in by source address.
    public var networks: [IPNetwork]

    public init(uids: Set<UInt32> = [], gids: Set<UInt32> = [], networks: [IPNetwork] = []) {
        self.uids = uids
        self.gids = gids
        self.networks = networks
    }

    /// The rule that lets everyone in.
    public static let anyone = PeerAccess()

    /// Whether this rule lets everyone in.
    public var isOpen: Bool { uids.isEmpty && gids.isEmpty && networks.isEmpty }

    /// Whether `peer` may call.
    public func allows(_ peer: RPCPeer) -> Bool {
        if isOpen { return true }
        switch peer {
        case .local(let credentials): return uids.contains(credentials.uid) || gids.contains(credentials.gid)
        case .network(let address, _): return networks.contains { $0.contains(address) }
        case .unknown: return false
        }
    }

    public var description: String {
        if isOpen { return "anyone" }
        let parts = [
            uids.isEmpty ? nil : "uids " + uids.sorted().map(String.init).joined(separator: ","),
            gids.isEmpty ? nil : "gids " + gids.sorted().map(String.init).joined(separator: ","),
            networks.isEmpty ? nil : "from " + networks.map(\.description).joined(separator: ","),
        ]
        return parts.compactMap { $0 }.joined(separator: "; ")
    }
}
