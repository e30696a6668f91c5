import CrossbitTestSupport
import Foundation

/// The broker's own files, beside the shared ``Paths``.
extension Paths {
    /// `crossbitd`, built beside the test bundle.
    static let crossbitd = products + "/crossbitd"
    /// The second test program, `Tests/CrossbitBrokerTests/broker_test.x`.
    static let testIDL =
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path
        + "/broker_test.x"
}
