import CrossbitCore
import Logging
import NIOCore
import Synchronization

extension RPCServer {
    /// A limit of ``Options`` that a peer reached.
    public enum Limit: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// A connection was refused: its endpoint had `maximumConnectionsPerEndpoint`.
        case connectionsPerEndpoint
        /// A connection was refused: its peer had `maximumConnectionsPerPeer`.
        case connectionsPerPeer
        /// A connection was paused: it had `maximumCallsInFlightPerConnection` calls running.
        case callsInFlightPerConnection
        /// A connection was closed: a record stayed incomplete past `incompleteRecordTimeout`.
        case incompleteRecord
        /// A connection was closed: it sent a record over `maximumMessageSize`.
        case messageSize
        /// A datagram was dropped: its UDP endpoint had `maximumCallsInFlightPerUDPEndpoint` calls running
        /// (the client sends it again after its retransmission interval).
        case callsInFlightPerUDPEndpoint

        public var description: String { rawValue }
    }
}

/// Who a per-peer limit counts: a network peer by its address (whatever
/// its port), a local one by its uid.
enum PeerKey: Hashable {
    case address(IPAddress)
    case uid(UInt32)
    case unknown

    init(_ peer: RPCPeer) {
        switch peer {
        case .network(let address, _): self = .address(address)
        case .local(let credentials): self = .uid(credentials.uid)
        case .unknown: self = .unknown
        }
    }
}

/// Counts the limits a server's peers hit, and logs each at most once a
/// minute per limit and peer, so that a flood costs a counter, not a log line
/// per connection.
final class LimitMonitor: Sendable {
    private struct Key: Hashable {
        var limit: RPCServer.Limit
        var peer: PeerKey
    }

    private struct State {
        /// Hits by endpoint (its index in ``RPCServer/endpoints``), then limit.
        var counts: [Int: [RPCServer.Limit: Int]] = [:]
        /// When each limit was last logged for each peer (monotonic ns).
        var logged: [Key: Int64] = [:]
    }

    private static let logInterval: Int64 = 60_000_000_000
    /// Log times kept at most; older ones are dropped past it.
    private static let remembered = 4096

    private let state = Mutex(State())
    private let endpoints: [ServerEndpoint]
    private let logger: Logger

    init(endpoints: [ServerEndpoint], logger: Logger) {
        self.endpoints = endpoints
        self.logger = logger
    }

    /// Hits on every endpoint together.
    var counts: [RPCServer.Limit: Int] {
        state.withLock { $0.counts.values.reduce(into: [:]) { $0.merge($1, uniquingKeysWith: +) } }
    }

    /// Hits on the endpoint of index `endpoint`.
    func counts(on endpoint: Int) -> [RPCServer.Limit: Int] { state.withLock { $0.counts[endpoint] ?? [:] } }

    /// Counts one hit of `limit` by `peer` on the endpoint of index
    /// `endpoint`, and logs it unless it was logged for that peer within a minute.
    func hit(_ limit: RPCServer.Limit, by peer: RPCPeer, on endpoint: Int) {
        let now = monotonicNanoseconds()
        let key = Key(limit: limit, peer: PeerKey(peer))
        let logs = state.withLock { state -> Bool in
            state.counts[endpoint, default: [:]][limit, default: 0] += 1
            if let last = state.logged[key], now - last < Self.logInterval { return false }
            if state.logged.count >= Self.remembered {
                state.logged = state.logged.filter { now - $0.value < Self.logInterval }
            }
            state.logged[key] = now
            return true
        }
        guard logs else { return }
        logger.warning(
            "limit reached (logged once a minute per peer; counted every time)",
            metadata: [
                "limit": "\(limit)", "peer": "\(peer)", "endpoint": "\(endpoints[endpoint])",
            ])
    }
}

/// The calls running on one connection or UDP socket, against its limit.
/// A connection's call handler stops reading the connection at the limit
/// and holds the calls already read (at most one read's worth) until
/// `resume` says one ended: back-pressure through the socket, not an
/// unbounded queue. A UDP socket is shared by all its peers, so it is never
/// paused: a datagram past the limit is dropped, and its client retransmits.
final class CallFlow: Sendable {
    let limit: Int
    private let running = Atomic(0)
    private let resume: @Sendable () -> Void

    init(limit: Int, resume: @escaping @Sendable () -> Void) {
        self.limit = max(1, limit)
        self.resume = resume
    }

    /// Whether the connection has as many calls running as it may.
    var isFull: Bool { running.load(ordering: .relaxed) >= limit }

    /// How many calls are running.
    var count: Int { running.load(ordering: .relaxed) }

    /// A call starts (on the loop).
    func began() { running.add(1, ordering: .relaxed) }

    /// A call was answered (on any thread); below the limit again, `resume` runs.
    func ended() {
        if running.subtract(1, ordering: .relaxed).newValue == limit - 1 { resume() }
    }
}
