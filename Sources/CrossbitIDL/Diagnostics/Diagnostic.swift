/// One message about an IDL file, printed as `FILE:LINE:COLUMN: error: MESSAGE`.
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        case error
        case warning
    }

    public var severity: Severity
    public var location: SourceLocation
    public var message: String

    public init(_ severity: Severity, at location: SourceLocation, _ message: String) {
        self.severity = severity
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): \(severity.rawValue): \(message)" }
}

/// The errors (and any warnings) that stopped the front end, in source order.
public struct DiagnosticsError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    /// One diagnostic per line.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Collects diagnostics for one run and stops runaway input (binary garbage)
/// after a fixed number of errors.
struct DiagnosticSink {
    static let maximumErrors = 50

    private(set) var diagnostics: [Diagnostic] = []
    private(set) var errorCount = 0

    /// Whether the error limit has been reached; callers stop early then.
    var isFull: Bool { errorCount >= Self.maximumErrors }

    var hasErrors: Bool { errorCount > 0 }

    mutating func error(_ message: String, at location: SourceLocation) {
        guard !isFull else { return }
        errorCount += 1
        diagnostics.append(Diagnostic(.error, at: location, message))
        if isFull {
            diagnostics.append(Diagnostic(.error, at: location, "too many errors; stopping"))
        }
    }

    mutating func warning(_ message: String, at location: SourceLocation) {
        diagnostics.append(Diagnostic(.warning, at: location, message))
    }

    mutating func append(contentsOf other: DiagnosticSink) {
        for diagnostic in other.diagnostics {
            switch diagnostic.severity {
            case .error: error(diagnostic.message, at: diagnostic.location)
            case .warning: warning(diagnostic.message, at: diagnostic.location)
            }
        }
    }

    var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
}

/// Shortens user text (a 10 MB identifier, say) for a message.
func quoted(_ text: some StringProtocol) -> String {
    let limit = 40
    let shown = text.count > limit ? text.prefix(limit) + "…" : String(text)
    return "'\(shown)'"
}
