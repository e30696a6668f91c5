import CrossbitTestSupport
import Testing

/// The fuzz-idl target's committed inputs (Fuzz/Corpus), replayed through its check without libFuzzer.
@Suite struct FuzzReplayTests {
    @Test func idlCorpusGivesModulesOrDiagnostics() throws {
        let failures = try Paths.replayFuzzCorpus("fuzz-idl") { IDLCheck.check($0) }
        #expect(failures.isEmpty, "\(failures)")
    }
}
