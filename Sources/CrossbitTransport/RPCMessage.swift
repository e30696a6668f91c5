import CrossbitCore

// The ONC RPC message header (RFC 5531 §9), encoded and decoded here with
// bounds on every length. Every message is built with four bytes reserved at
// its front for the record mark, so that a stream sends it with no copy.

/// The size of the record mark reserved at the front of every built message.
let recordMarkSize = 4

/// Builds an outgoing message: big-endian words after a reserved record mark
/// (see `framed()`).
struct MessageWriter {
    private(set) var bytes: [UInt8]

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(recordMarkSize + capacity)
        bytes.append(contentsOf: [0, 0, 0, 0])
    }

    mutating func word(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Variable-length opaque data: length, bytes, zero padding.
    mutating func opaque<C: Collection<UInt8>>(_ data: C) {
        word(UInt32(data.count))
        raw(data)
        bytes.append(contentsOf: repeatElement(0, count: (4 - data.count % 4) % 4))
    }

    mutating func raw<C: Collection<UInt8>>(_ data: C) { bytes.append(contentsOf: data) }

    /// The bytes written, leaving the writer empty (no copy).
    mutating func takeBytes() -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &bytes)
        return taken
    }
}

/// Reads a received message with bounds checks; every failure is `nil`.
struct MessageReader {
    /// The bytes read word by word: the whole message, or a record's head.
    let bytes: [UInt8]
    /// A record's body, which ``rest()`` hands out as it is once the head is read.
    private var body: [UInt8] = []
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    init(_ record: Record) {
        bytes = record.head
        body = record.body
    }

    var remaining: Int { bytes.count - offset }

    mutating func word() -> UInt32? {
        guard remaining >= 4 else { return nil }
        defer { offset += 4 }
        return bytes.withUnsafeBytes { UInt32(bigEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    }

    /// Variable-length opaque data of at most `maximum` bytes.
    mutating func opaque(maximum: Int) -> ArraySlice<UInt8>? {
        guard let length = word().map(Int.init), length <= maximum, length <= remaining else { return nil }
        let padded = (length + 3) & ~3
        guard padded <= remaining else { return nil }
        defer { offset += padded }
        return bytes[offset..<offset + length]
    }

    /// Everything not read yet: without a copy when that is the body of a record whose head has been read.
    mutating func rest() -> [UInt8] {
        defer {
            offset = bytes.count
            body = []
        }
        if offset == bytes.count { return body }
        return offset == 0 && body.isEmpty ? bytes : Array(bytes[offset...]) + body
    }
}

/// Authentication flavors and limits of RFC 5531.
enum AuthFlavor {
    static let none: UInt32 = 0
    static let sys: UInt32 = 1
    static let maximumBodySize = 400
}

extension UnixCredentials {
    /// The AUTH_SYS body (RFC 5531 appendix A).
    var encoded: [UInt8] {
        var writer = MessageWriter(capacity: 64 + machineName.utf8.count + 4 * gids.count)
        writer.word(stamp)
        writer.opaque(Array(machineName.utf8))
        writer.word(uid)
        writer.word(gid)
        writer.word(UInt32(gids.count))
        for gid in gids { writer.word(gid) }
        return Array(writer.bytes.dropFirst(recordMarkSize))
    }

    /// Decodes an AUTH_SYS body: machine name of at most 255 bytes, at most 16 groups.
    init?(decoding body: ArraySlice<UInt8>) {
        var reader = MessageReader(Array(body))
        guard let stamp = reader.word(), let name = reader.opaque(maximum: 255),
            let uid = reader.word(), let gid = reader.word(),
            let count = reader.word(), count <= 16
        else { return nil }
        var gids: [UInt32] = []
        for _ in 0..<count {
            guard let group = reader.word() else { return nil }
            gids.append(group)
        }
        guard reader.remaining == 0 else { return nil }
        self.init(stamp: stamp, machineName: String(decoding: name, as: UTF8.self), uid: uid, gid: gid, gids: gids)
    }
}

/// A decoded call header.
struct CallHeader {
    var xid: UInt32
    var rpcVersion: UInt32
    var procedure: ProcedureID
    var credentialFlavor: UInt32
    var credentials: ArraySlice<UInt8>
}

enum CallMessage {
    /// A call message: header, credentials (flavor and encoded body), AUTH_NONE verifier, arguments.
    static func encode(
        xid: UInt32, procedure: ProcedureID, credentialFlavor: UInt32, credentials: [UInt8], arguments: [UInt8]
    ) -> OutgoingMessage {
        var writer = MessageWriter(capacity: 40 + credentials.count)
        writer.word(xid)
        writer.word(0)  // CALL
        writer.word(2)  // RPC version
        writer.word(procedure.program)
        writer.word(procedure.version)
        writer.word(procedure.procedure)
        writer.word(credentialFlavor)
        writer.opaque(credentials)
        writer.word(AuthFlavor.none)
        writer.word(0)
        return writer.framed(body: arguments)
    }

    /// The header of a call, leaving `reader` at the arguments; nil when the
    /// message is not a well-formed call (replies included).
    static func decodeHeader(_ reader: inout MessageReader) -> CallHeader? {
        guard let xid = reader.word(), reader.word() == 0, let rpcVersion = reader.word(),
            let program = reader.word(), let version = reader.word(), let procedure = reader.word(),
            let flavor = reader.word(), let credentials = reader.opaque(maximum: AuthFlavor.maximumBodySize),
            reader.word() != nil, reader.opaque(maximum: AuthFlavor.maximumBodySize) != nil
        else { return nil }
        return CallHeader(
            xid: xid, rpcVersion: rpcVersion,
            procedure: ProcedureID(program: program, version: version, procedure: procedure),
            credentialFlavor: flavor, credentials: credentials)
    }
}

/// The outcome of a call as a reply carries it.
enum ReplyStatus: Sendable {
    case success([UInt8])
    case programUnavailable
    case programMismatch(low: UInt32, high: UInt32)
    case procedureUnavailable
    case garbageArguments
    case systemError
    case rpcMismatch(low: UInt32, high: UInt32)
    case authError(AuthStatus)
}

/// auth_stat values of RFC 5531 §9.
enum AuthStatus: UInt32 {
    case badCredentials = 1, rejectedCredentials, badVerifier, rejectedVerifier, tooWeak
    case invalidResponse, failed
}

enum ReplyMessage {
    static func encode(xid: UInt32, _ status: ReplyStatus) -> OutgoingMessage {
        var results: [UInt8] = []
        if case .success(let body) = status { results = body }
        var writer = MessageWriter(capacity: 32)
        writer.word(xid)
        writer.word(1)  // REPLY
        switch status {
        case .rpcMismatch(let low, let high):
            writer.word(1); writer.word(0); writer.word(low); writer.word(high)
        case .authError(let why):
            writer.word(1); writer.word(1); writer.word(why.rawValue)
        default:
            writer.word(0)  // MSG_ACCEPTED
            writer.word(AuthFlavor.none)
            writer.word(0)
            switch status {
            case .success: writer.word(0)
            case .programUnavailable: writer.word(1)
            case .programMismatch(let low, let high): writer.word(2); writer.word(low); writer.word(high)
            case .procedureUnavailable: writer.word(3)
            case .garbageArguments: writer.word(4)
            default: writer.word(5)
            }
        }
        return writer.framed(body: results)
    }

    /// The xid of a reply, nil when the message is not a reply.
    static func xid(of message: [UInt8]) -> UInt32? {
        var reader = MessageReader(message)
        guard let xid = reader.word(), reader.word() == 1 else { return nil }
        return xid
    }

    /// The results of a reply, or the error it reports for `procedure`.
    static func decode(_ message: Record, procedure: ProcedureID) -> Result<[UInt8], RPCError> {
        var reader = MessageReader(message)
        // Built only when needed: a message made on every call would cost more than the decoding.
        var malformed: RPCError { RPCError(code: .decodingFailed, message: "malformed reply to \(procedure)") }
        guard reader.word() != nil, reader.word() == 1, let replyStatus = reader.word() else {
            return .failure(malformed)
        }
        if replyStatus == 1 {
            switch reader.word() {
            case 0:
                guard let low = reader.word(), let high = reader.word() else { return .failure(malformed) }
                return .failure(
                    RPCError(
                        code: .rpcVersionMismatch,
                        message: "\(procedure): the server speaks ONC RPC versions \(low)–\(high), not 2"))
            case 1:
                let why = reader.word().flatMap(AuthStatus.init(rawValue:)).map { "\($0)" } ?? "unknown reason"
                return .failure(
                    RPCError(code: .authenticationError, message: "\(procedure): credentials refused (\(why))"))
            default:
                return .failure(malformed)
            }
        }
        guard replyStatus == 0, reader.word() != nil, reader.opaque(maximum: AuthFlavor.maximumBodySize) != nil,
            let acceptStatus = reader.word()
        else { return .failure(malformed) }
        switch acceptStatus {
        case 0:
            return .success(reader.rest())
        case 1:
            return .failure(RPCError(code: .programUnavailable, message: "program \(procedure.program) is not served"))
        case 2:
            guard let low = reader.word(), let high = reader.word() else { return .failure(malformed) }
            var error = RPCError(
                code: .programMismatch,
                message: "program \(procedure.program) version \(procedure.version) is not served "
                    + "(versions \(low)–\(high) are)")
            error.supportedVersions = low <= high ? low...high : nil
            return .failure(error)
        case 3:
            return .failure(RPCError(code: .procedureUnavailable, message: "procedure \(procedure) is not served"))
        case 4:
            return .failure(
                RPCError(code: .garbageArguments, message: "the server could not decode the arguments of \(procedure)"))
        case 5:
            return .failure(RPCError(code: .systemError, message: "the server failed while handling \(procedure)"))
        default:
            return .failure(malformed)
        }
    }
}
