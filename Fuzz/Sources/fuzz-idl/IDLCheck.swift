@testable import CrossbitIDL

/// The IDL front end over any bytes: a module, or errors that each say what is wrong and where; never a crash
/// or a hang (libFuzzer's -timeout catches a hang, the replay test its own deadline).
enum IDLCheck {
    /// Nil, or what went wrong.
    static func check(_ bytes: [UInt8]) -> String? {
        do {
            _ = try IDLFrontEnd.load(bytes: bytes, file: "/nonexistent/fuzz.x", options: FrontEndOptions())
        } catch {
            if error.diagnostics.isEmpty { return "the front end failed without a diagnostic" }
            if error.diagnostics.contains(where: { $0.message.isEmpty }) { return "a diagnostic without a message" }
        }
        return nil
    }
}
