public import CrossbitCore
import Glibc

/// Who may change the broker's routes through its control program
/// (`BROKER_REGISTER`, `BROKER_UNREGISTER`), and where routes may lead.
/// See docs/security.md.
public struct ControlPolicy: Sendable, Hashable {
    /// Local callers allowed besides root and the broker's own user.
    public var allowUIDs: Set<UInt32>
    /// Local callers allowed by their primary group.
    public var allowGIDs: Set<UInt32>
    /// Whether a registered route may lead to a host other than this one.
    public var allowRemoteTargets: Bool

    public init(allowUIDs: Set<UInt32> = [], allowGIDs: Set<UInt32> = [], allowRemoteTargets: Bool = false) {
        self.allowUIDs = allowUIDs
        self.allowGIDs = allowGIDs
        self.allowRemoteTargets = allowRemoteTargets
    }

    /// A policy from the command line's user and group ids or names.
    public init(allowUsers: [String], allowGroups: [String], allowRemoteTargets: Bool) throws(ConfigurationError) {
        var uids = Set<UInt32>(), gids = Set<UInt32>()
        for user in allowUsers { uids.insert(try parseUser(user, what: "--control-allow-uid")) }
        for group in allowGroups { gids.insert(try parseGroup(group, what: "--control-allow-gid")) }
        self.init(allowUIDs: uids, allowGIDs: gids, allowRemoteTargets: allowRemoteTargets)
    }

    /// The callers that may register: root, `brokerUID` and those listed.
    /// The kernel vouches for these only on unix sockets, so a network
    /// peer is never one of them.
    func access(brokerUID: UInt32) -> PeerAccess {
        PeerAccess(uids: allowUIDs.union([0, brokerUID]), gids: allowGIDs)
    }

    /// Adds `other`'s lists to these; remote targets are allowed if either allows them.
    mutating func merge(_ other: ControlPolicy) {
        allowUIDs.formUnion(other.allowUIDs)
        allowGIDs.formUnion(other.allowGIDs)
        allowRemoteTargets = allowRemoteTargets || other.allowRemoteTargets
    }
}

/// A user id, or a user name looked up in the password database.
func parseUser(_ text: String, what: String) throws(ConfigurationError) -> UInt32 {
    if let number = UInt32(text) { return number }
    guard let entry = getpwnam(text) else { throw ConfigurationError("\(what): no user named '\(text)'") }
    return entry.pointee.pw_uid
}

/// A group id, or a group name looked up in the group database.
func parseGroup(_ text: String, what: String) throws(ConfigurationError) -> UInt32 {
    if let number = UInt32(text) { return number }
    guard let entry = getgrnam(text) else { throw ConfigurationError("\(what): no group named '\(text)'") }
    return entry.pointee.gr_gid
}

/// A CIDR block (`10.0.0.0/8`, `::1`).
func parseNetwork(_ text: String, what: String) throws(ConfigurationError) -> IPNetwork {
    guard let network = IPNetwork(text.trimmingWhitespace()) else {
        throw ConfigurationError("\(what): '\(text)' is not an address or a CIDR block (e.g. 10.0.0.0/8, ::1)")
    }
    return network
}

/// A unix socket's mode, written in octal (`"0660"`, `"660"`).
func parseMode(_ text: String, what: String) throws(ConfigurationError) -> UInt16 {
    guard let mode = UInt16(text, radix: 8), mode <= 0o777 else {
        throw ConfigurationError("\(what): mode '\(text)' is not octal permission bits (e.g. \"0660\")")
    }
    return mode
}
