import CrossbitCore
import CrossbitTestSupport
import Testing

/// The decoder targets' committed inputs (Fuzz/Corpus), replayed through their check without libFuzzer: what
/// decodes re-encodes to exactly the bytes it was decoded from. fuzz-differential's inputs are replayed through
/// the Swift side of the comparison (the C side needs the fuzz build; `make fuzz` runs it).
@Suite struct FuzzReplayTests {
    @Test(arguments: ["fuzz-sample", "fuzz-differential"])
    func sampleCorpusRoundTrips(target: String) throws {
        try Self.replay(target, SampleTypes.all)
    }

    @Test func rpcsvcCorpusRoundTrips() throws {
        try Self.replay("fuzz-rpcsvc", RPCSVCTypes.all)
    }

    static func replay(_ target: String, _ types: [any XDRCodable.Type]) throws {
        let failures = try Paths.replayFuzzCorpus(target) { DecoderCheck.check($0, types: types) }
        #expect(failures.isEmpty, "\(failures)")
    }
}
