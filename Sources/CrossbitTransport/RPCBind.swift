import CCrossbitShim
import CrossbitCore
import Glibc
import NIOCore

/// rpcbind through libtirpc (`rpcb_getaddr`, `rpcb_set`, `rpcb_unset`).
/// Every function blocks: call them off the cooperative pool.
enum RPCBind {
    /// The address rpcbind on `host` has for the program version on `netid`.
    static func lookUp(
        _ program: UInt32, _ version: UInt32, netid: String, host: String
    ) throws(RPCError) -> SocketAddress {
        var storage = [UInt8](repeating: 0, count: MemoryLayout<sockaddr_storage>.size)
        var length = UInt32(storage.count)
        let status = crossbit_rpcb_getaddr(program, version, netid, host, &storage, &length)
        guard status == 0 else {
            if status == CROSSBIT_RPCB_NOT_REGISTERED {
                throw RPCError(
                    code: .programUnavailable,
                    message: "rpcbind on \(host) has no \(netid) address for program \(program) version \(version)")
            }
            let why = String(cString: crossbit_rpc_status_text(status))
            throw RPCError(
                code: .transportFailure, message: "cannot ask rpcbind on \(host) for program \(program): \(why)")
        }
        return try SocketAddress(sockaddrBytes: Array(storage.prefix(Int(length))))
    }

    /// The address of the program version that rpcbind on `host` has for
    /// `transport` (TCP first, for `.any`), and whether it is UDP.
    static func lookUp(
        _ program: UInt32, _ version: UInt32, host: String, transport: RPCAddress.RPCBindTransport
    ) throws(RPCError) -> ([SocketAddress], Bool) {
        if transport != .udp {
            do { return ([try lookUp(program, version, netid: "tcp", host: host)], false) } catch {
                guard transport == .any, error.code == .programUnavailable else { throw error }
            }
        }
        do { return ([try lookUp(program, version, netid: "udp", host: host)], true) } catch {
            guard transport == .any, error.code == .programUnavailable else { throw error }
            throw RPCError(
                code: .programUnavailable,
                message: "rpcbind on \(host) has no tcp or udp address for program \(program) version \(version)")
        }
    }

    /// Registers the program version at `address` on `netid`, replacing a previous registration.
    static func register(_ program: UInt32, _ version: UInt32, netid: String, address: SocketAddress) throws(RPCError) {
        _ = crossbit_rpcb_unset(program, version, netid)
        let registered = address.withSockAddr { crossbit_rpcb_set(program, version, netid, $0, UInt32($1)) }
        guard registered == 1 else {
            throw RPCError(
                code: .transportFailure,
                message: "rpcbind refused to register program \(program) version \(version) on \(netid) at "
                    + "\(address.text) (is rpcbind running?)")
        }
    }

    static func unregister(_ program: UInt32, _ version: UInt32, netid: String) {
        _ = crossbit_rpcb_unset(program, version, netid)
    }
}
