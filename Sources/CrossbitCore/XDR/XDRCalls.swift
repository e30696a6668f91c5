/// Helpers that generated clients and dispatchers call, so that each
/// procedure's generated code is only its encoding and decoding.
extension RPCClientTransport {
    /// Encodes the arguments in the transport's layout, makes the call and
    /// decodes the whole reply.
    ///
    /// A narrowing failure while encoding is `.narrowingOverflow` (nothing is
    /// sent); a reply that does not decode is `.decodingFailed`. Bytes after
    /// the result are ignored (and reported to the transport), as rpcgen's
    /// clients ignore them, unless the transport's ``RPCClientTransport/trailingBytes`` refuses them.
    @inlinable
    nonisolated(nonsending) public func xdrCall<Result>(
        _ procedure: ProcedureID, name: String, options: CallOptions,
        encode: (inout XDRWriter) throws(XDRError) -> Void,
        decode: (inout XDRReader) throws(XDRError) -> Result
    ) async throws(RPCError) -> Result {
        var writer = XDRWriter(layout: layout)
        do {
            try encode(&writer)
        } catch {
            throw RPCError(error, code: .invalidArgument, context: "\(name) arguments")
        }
        let reply = try await call(procedure, arguments: writer.finish(), options: options)
        var reader = XDRReader(bytes: reply, layout: layout)
        do {
            let result = try decode(&reader)
            if reader.remaining > 0 {
                if trailingBytes == .refuse { try reader.finish() }
                ignoredTrailingBytes(reader.remaining, after: procedure)
            }
            return result
        } catch {
            var failure = RPCError(error, code: .decodingFailed, context: "\(name) result")
            if XDRReader.decodesWhole(reply, layout: layout.other, decode) {
                failure.message +=
                    "; it decodes in the \(layout.other) layout: "
                    + WireLayout.mismatchHint(caller: layout, endpoint: layout.other)
            }
            throw failure
        }
    }
}

/// Helpers for generated ``RPCServiceDispatcher`` implementations.
public enum XDRDispatch {
    /// Decodes a call's arguments; any failure is `.garbageArguments`.
    @inlinable
    public static func decodeArguments<Arguments>(
        _ bytes: [UInt8], context: RPCCallContext, name: String,
        _ decode: (inout XDRReader) throws(XDRError) -> Arguments
    ) throws(RPCError) -> Arguments {
        do {
            return try XDRReader.decodeWhole(bytes, layout: context.layout, decode)
        } catch {
            var message = "\(name) arguments: \(error)"
            if XDRReader.decodesWhole(bytes, layout: context.layout.other, decode) {
                message +=
                    "; they decode in the \(context.layout.other) layout: "
                    + WireLayout.mismatchHint(caller: context.layout.other, endpoint: context.layout)
            }
            throw RPCError(code: .garbageArguments, message: message, cause: error)
        }
    }

    /// Runs a handler: an `RPCError` it throws passes through, any other
    /// error becomes `.systemError`.
    @inlinable
    nonisolated(nonsending) public static func handle<Result>(
        name: String, _ body: nonisolated(nonsending) () async throws -> Result
    ) async throws(RPCError) -> Result {
        do {
            return try await body()
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(code: .systemError, message: "\(name) failed: \(error)", cause: error)
        }
    }

    /// Encodes a result; a value that does not fit the caller's layout is
    /// `.systemError` naming the field, value and layout.
    @inlinable
    public static func encodeResult(
        context: RPCCallContext, name: String,
        _ encode: (inout XDRWriter) throws(XDRError) -> Void
    ) throws(RPCError) -> [UInt8] {
        var writer = XDRWriter(layout: context.layout)
        do {
            try encode(&writer)
        } catch {
            throw RPCError(code: .systemError, message: "\(name) result: \(error)", cause: error)
        }
        return writer.finish()
    }

    /// The error for a procedure number the program version does not define.
    public static func unavailable(_ procedure: UInt32, program: UInt32, version: UInt32) -> RPCError {
        RPCError(
            code: .procedureUnavailable,
            message: "program \(program) version \(version) has no procedure \(procedure)")
    }
}

extension XDRReader {
    /// A value decoded from `bytes` in `layout` that uses every byte.
    @inlinable
    public static func decodeWhole<Value>(
        _ bytes: [UInt8], layout: WireLayout, _ decode: (inout XDRReader) throws(XDRError) -> Value
    ) throws(XDRError) -> Value {
        var reader = XDRReader(bytes: bytes, layout: layout)
        let value = try decode(&reader)
        try reader.finish()
        return value
    }

    /// Whether `bytes` decode whole in `layout` (asked only after they failed
    /// in the other, to tell a peer of the wrong layout from bad data).
    @inlinable
    public static func decodesWhole<Value>(
        _ bytes: [UInt8], layout: WireLayout, _ decode: (inout XDRReader) throws(XDRError) -> Value
    ) -> Bool {
        (try? decodeWhole(bytes, layout: layout, decode)) != nil
    }
}
