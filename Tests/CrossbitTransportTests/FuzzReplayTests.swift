import CrossbitTestSupport
import Testing

/// The fuzz-record target's committed inputs (Fuzz/Corpus), replayed through its check without libFuzzer.
@Suite struct FuzzReplayTests {
    @Test func recordCorpusAssemblesAlikeInAnyPieces() throws {
        let failures = try Paths.replayFuzzCorpus("fuzz-record") { RecordCheck.check($0) }
        #expect(failures.isEmpty, "\(failures)")
    }
}
