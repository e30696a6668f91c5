import ArgumentParser
import FoundationEssentials
import CrossbitTransport
import Glibc
import Logging

/// How `crossbitd` writes its log to standard error.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    /// swift-log's text lines, for people reading a terminal.
    case text
    /// One JSON object per line, for journald and log shippers.
    case json

    func handler(label: String, level: Logger.Level) -> any LogHandler {
        switch self {
        case .text:
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        case .json:
            var handler = JSONLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// Writes each message as one line of JSON to standard error:
/// `{"time":…,"level":…,"label":…,"message":…,"metadata":{…}}`, metadata
/// flattened to strings. A line is written with one `write`, so lines of
/// different threads never interleave.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    /// One log line's fields (written with sorted keys).
    private struct Line: Encodable {
        var time: String
        var level: String
        var label: String
        var message: String
        var metadata: [String: String]
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let line = Line(
            time: Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true)),
            level: event.level.rawValue, label: label, message: "\(event.message)",
            metadata: merged.mapValues { "\($0)" })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var data = try? encoder.encode(line) else { return }  // strings always encode
        data.append(UInt8(ascii: "\n"))
        // A failed write of a log line has nowhere to be reported.
        _ = data.withUnsafeBytes { writeAll($0, to: STDERR_FILENO) }
    }
}
