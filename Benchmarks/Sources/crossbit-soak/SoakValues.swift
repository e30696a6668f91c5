import CrossbitCore

/// The arguments of each call of the soak and the answer a server computes
/// from them: the same value stream and arithmetic as Benchmarks/C/soak_common.h,
/// so that a client of either language knows the answer to expect.
enum SoakValues {
    /// splitmix64.
    static func mix(_ value: UInt64) -> UInt64 {
        var x = value &+ 0x9e37_79b9_7f4a_7c15
        x = (x ^ (x >> 30)) &* 0xbf58_476d_1ce4_e5b9
        x = (x ^ (x >> 27)) &* 0x94d0_49bb_1331_11eb
        return x ^ (x >> 31)
    }

    /// Argument number `n` of call `seq` of client `client`.
    static func draw(_ client: UInt32, _ seq: UInt32, _ n: UInt32) -> UInt64 {
        mix(UInt64(client) << 40 ^ UInt64(seq) << 8 ^ UInt64(n))
    }

    /// The arguments of call `seq` of `client`: every value within the range
    /// whose answer fits 32 bits, so that a 32-bit server's answer is never refused.
    static func arguments(client: UInt32, seq: UInt32) -> CrossbitSoak.SoakArgs {
        let draw = { (n: UInt32) in Self.draw(client, seq, n) }
        let count = Int(draw(8) % UInt64(CrossbitSoak.soakMaxSizes + 1))
        return CrossbitSoak.SoakArgs(
            client: client, seq: seq,
            size: UInt(draw(1) & 0x7fff_ffff),
            offset: Int(draw(2) % 0xffff_ffff) - 0x7fff_ffff,
            delta: Int(draw(3) % 0xffff_ffff) - 0x7fff_ffff,
            address: UInt(UInt32(truncatingIfNeeded: draw(4))),
            // A 32-bit handle as the broker widens one: sign-extended.
            handle: Handle(rawValue: UInt(bitPattern: Int(Int32(truncatingIfNeeded: draw(5))))),
            when: Int(draw(6) % 0xffff_ffc4) - 0x8000_0000,
            wide: draw(7),
            sizes: (0..<count).map { UInt(draw(9 + UInt32($0)) & 0x7ff_ffff) })
    }

    /// The answer to `arguments`, computed in this process's widths (a 64-bit server's).
    static func answer(to arguments: CrossbitSoak.SoakArgs) -> CrossbitSoak.SoakAnswer {
        CrossbitSoak.SoakAnswer(
            client: arguments.client, seq: arguments.seq, size: arguments.size + 1, offset: -arguments.offset,
            delta: arguments.delta - 1, address: arguments.address ^ 0xffff,
            handle: Handle(rawValue: arguments.handle.rawValue &+ 2), when: arguments.when + 60,
            wide: arguments.wide &* 3, total: arguments.sizes.reduce(0, +), bits: UInt32(UInt.bitWidth))
    }

    /// The answer a 32-bit server gives, as this client receives it through
    /// the broker: a handle wraps at 32 bits and is sign-extended on the way back.
    static func answerOf32BitServer(to arguments: CrossbitSoak.SoakArgs) -> CrossbitSoak.SoakAnswer {
        var answer = answer(to: arguments)
        let handle = UInt32(truncatingIfNeeded: arguments.handle.rawValue) &+ 2
        answer.handle = Handle(rawValue: UInt(bitPattern: Int(Int32(bitPattern: handle))))
        answer.bits = 32
        return answer
    }
}
