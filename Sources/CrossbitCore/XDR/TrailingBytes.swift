/// What a decoder does with bytes left after a complete value.
///
/// rpcgen's decoders ignore them, and real servers send them (Debian's
/// `rpc.rstatd` appends a word to every `RSTATPROC_STATS` reply), so Crossbit
/// ignores and counts them unless told to refuse them.
public enum TrailingBytesPolicy: String, Sendable, Hashable, CaseIterable {
    /// Decode the value and count the bytes after it.
    case ignore
    /// Fail with ``XDRError/Kind/trailingBytes(count:)``.
    case refuse
}
