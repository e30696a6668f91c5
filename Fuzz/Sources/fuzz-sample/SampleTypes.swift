import CrossbitCore

/// Every type of IDL/crossbit_sample.x (the generated Swift), for the decoder check.
enum SampleTypes {
    typealias S = CrossbitSample

    static var all: [any XDRCodable.Type] {
        [
            S.SampleKind.self, S.SampleWidths.self, S.SampleResource.self, S.SampleBuffer.self, S.SampleNode.self,
            S.SampleBatch.self, S.SampleResult.self, S.SampleValue.self,
        ]
    }
}
