/// A value that encodes itself as XDR. Generated structs, unions and enums
/// conform.
public protocol XDREncodable {
    /// Appends this value's XDR encoding in the writer's layout.
    func encode(xdr writer: inout XDRWriter) throws(XDRError)
}

/// A value that decodes itself from XDR. Generated structs, unions and enums
/// conform.
public protocol XDRDecodable {
    /// Reads one value in the reader's layout.
    init(xdr reader: inout XDRReader) throws(XDRError)
}

public typealias XDRCodable = XDREncodable & XDRDecodable

extension XDREncodable {
    /// This value's XDR encoding in `layout`.
    @inlinable
    public func xdrBytes(layout: WireLayout) throws(XDRError) -> [UInt8] {
        var writer = XDRWriter(layout: layout)
        try encode(xdr: &writer)
        return writer.finish()
    }
}

extension XDRDecodable {
    /// Decodes a value that must use every byte of `bytes`.
    @inlinable
    public init(xdrBytes bytes: [UInt8], layout: WireLayout) throws(XDRError) {
        var reader = XDRReader(bytes: bytes, layout: layout)
        self = try Self(xdr: &reader)
        try reader.finish()
    }
}
