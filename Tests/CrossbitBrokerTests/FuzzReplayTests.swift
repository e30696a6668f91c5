import CrossbitTestSupport
import Testing

/// The fuzz-plan target's committed inputs (Fuzz/Corpus), replayed through its check without libFuzzer.
@Suite struct FuzzReplayTests {
    @Test func planCorpusConvertsBothWays() throws {
        let plans = try PlanCheck.samplePlans(idl: Paths.sampleIDL)
        let failures = try Paths.replayFuzzCorpus("fuzz-plan") { PlanCheck.check($0, plans: plans) }
        #expect(failures.isEmpty, "\(failures)")
    }
}
