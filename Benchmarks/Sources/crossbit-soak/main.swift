import Foundation

// crossbit-soak [run [--seconds N] [--products DIR] [--repository DIR] [--pause-ms N]]
//   `make soak`: crossbitd under 32 checking clients with a fault every 30 s; prints the report and exits 1 when
//   it failed (a wrong answer, a call without an answer or typed error, leaked descriptors, RSS growth);
// crossbit-soak serve [URL] / client URL PROGRAM CLIENT SECONDS PAUSE_MS: the 64-bit processes it starts.

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first {
    case "serve":
        try await serve(Array(arguments.dropFirst()))
    case "client":
        try await runClient(Array(arguments.dropFirst()))
    default:
        if try await !runSoak(Array(arguments.drop { $0 == "run" })) { exit(1) }
    }
} catch {
    await Child.stopAll()
    FileHandle.standardError.write(Data("crossbit-soak: error: \(error)\n".utf8))
    exit(1)
}

/// Runs the soak, prints its report, and says whether it passed; every child is stopped and the temporary
/// folder removed before it returns.
func runSoak(_ arguments: [String]) async throws -> Bool {
    let settings = try SoakSettings(arguments: arguments)
    let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("crossbit-soak-\(getpid())").path
    try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: temporary) }
    let signalSources = stopChildrenOnSignals(removing: temporary)
    defer { withExtendedLifetime(signalSources) {} }
    let report: Soak.Report
    do {
        report = try await Soak(settings: settings, temporary: temporary).run()
    } catch {
        await Child.stopAll()
        throw error
    }
    await Child.stopAll()
    print(report.text)
    return report.failures.isEmpty
}
