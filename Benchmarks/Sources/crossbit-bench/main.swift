import CrossbitCore
import Foundation

// crossbit-bench [run [--runs N] [--products DIR] [--repository DIR] [--output FILE] [--only GROUP,…]]
//   runs every row (or those of the groups named: codec, latency, broker, one-cpu, idle), prints the table and
//   writes it to BENCHMARKS.md;
// crossbit-bench serve … / client …: the Swift server and client processes it starts;
// crossbit-bench nio-floor server PORT | relay SERVER_PORT: the bare SwiftNIO server and relay of the floor
//   rows (NIOFloor.swift);
// crossbit-bench codec flat|batch|payload ilp32|lp64 SECONDS: one codec row's Swift side alone (for profiling).

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first {
    case "serve":
        try await serve(Array(arguments.dropFirst()))
    case "client":
        try await runClient(Array(arguments.dropFirst()))
    case "nio-floor":
        try serveNIOFloor(Array(arguments.dropFirst()))
    case "codec":
        guard arguments.count == 4, let layout = WireLayout(rawValue: arguments[2]), let seconds = Double(arguments[3])
        else {
            throw BenchFailure("usage: crossbit-bench codec flat|batch|payload ilp32|lp64 SECONDS")
        }
        let (bytes, iterations, nanoseconds) = try SwiftCodec.measure(arguments[1], layout: layout, seconds: seconds)
        print("\(Double(bytes) * Double(iterations) / Double(nanoseconds) * 1e3) MB/s")
    default:
        let settings = try BenchSettings(arguments: Array(arguments.drop { $0 == "run" }))
        let started = Date()
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("crossbit-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        let signalSources = stopChildrenOnSignals(removing: temporary)
        defer { withExtendedLifetime(signalSources) {} }
        let machine = machineDescription()
        var benchmark = try await Benchmark(settings: settings, temporary: temporary)
        await benchmark.runAll()
        let table = markdownTable(benchmark.rows)
        print(table)
        let seconds = Int(Date().timeIntervalSince(started))
        try benchmarksDocument(table: table, machine: machine, runs: settings.runs, seconds: seconds)
            .write(toFile: settings.output, atomically: true, encoding: .utf8)
        log("table written to \(settings.output) (\(seconds) s of measurement)")
    }
} catch {
    await Child.stopAll()
    FileHandle.standardError.write(Data("crossbit-bench: error: \(error)\n".utf8))
    exit(1)
}
