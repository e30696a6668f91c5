import CrossbitDynamic
import CrossbitIDL
import CrossbitTestSupport
import Testing

/// The fuzz-json target's committed inputs (Fuzz/Corpus), replayed through its check without libFuzzer.
@Suite struct FuzzReplayTests {
    @Test func jsonCorpusParsesAndEncodesStably() throws {
        let codec = DynamicCodec(module: try IDLFrontEnd.load(path: Paths.sampleIDL))
        let failures = try Paths.replayFuzzCorpus("fuzz-json") {
            JSONCheck.check($0, codec: codec, types: JSONCheck.sampleTypes)
        }
        #expect(failures.isEmpty, "\(failures)")
    }
}
