import CrossbitCore
import NIOCore
import Synchronization

/// The replies to a server's recent UDP calls, by socket, caller, xid and
/// procedure, as libtirpc's `svc_dg_enablecache` keeps them: a UDP client
/// sends a call again when its reply is slow or lost, and the retransmission
/// must not run the procedure twice. One that arrives while the call runs is
/// dropped (the reply answers both); one that arrives later gets the same
/// reply again. The oldest entries make room for new ones.
final class DuplicateRequestCache: Sendable {
    struct Key: Hashable {
        var channel: ObjectIdentifier
        var peer: SocketAddress
        var xid: UInt32
        var procedure: ProcedureID
    }

    /// What to do with a call.
    enum Verdict {
        /// Run it: it was not seen before.
        case run
        /// Drop it: the same call is running.
        case drop
        /// Send this reply again.
        case resend(OutgoingMessage)
    }

    private enum Entry {
        case running
        case answered(OutgoingMessage)
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        /// Keys in the order they came, for eviction; `oldest` is the next to go.
        var order: [Key] = []
        var oldest = 0
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = 256) {
        self.capacity = max(1, capacity)
    }

    /// Looks a call up, and records it as running when it is new.
    func begin(_ key: Key) -> Verdict {
        state.withLock { state in
            switch state.entries[key] {
            case .running: return .drop
            case .answered(let reply): return .resend(reply)
            case nil: break
            }
            if state.order.count < capacity {
                state.order.append(key)
            } else {
                state.entries.removeValue(forKey: state.order[state.oldest])
                state.order[state.oldest] = key
                state.oldest = (state.oldest + 1) % capacity
            }
            state.entries[key] = .running
            return .run
        }
    }

    /// Records the reply to a call begun with ``begin(_:)``, unless it was evicted meanwhile.
    func answer(_ key: Key, with reply: OutgoingMessage) {
        state.withLock { state in
            if state.entries[key] != nil { state.entries[key] = .answered(reply) }
        }
    }
}
