import Foundation

/// What a row's ratio (Crossbit ÷ C, or broker ÷ direct) must reach, or,
/// for a row with no C side, the most its own figure may be.
enum Target {
    case atLeast(Double)
    case atMost(Double)
    case atMostValue(Double, unit: String)

    var text: String {
        switch self {
        case .atLeast(let bound): "≥ \(format(bound, 2))×"
        case .atMost(let bound): "≤ \(format(bound, 2))×"
        case .atMostValue(let bound, let unit): "≤ \(format(bound, 0)) \(unit)"
        }
    }

    /// Whether a row meets it: by its ratio, or by its own `value` for an absolute bound.
    func isMet(ratio: Double?, value: Double?) -> Bool? {
        switch self {
        case .atLeast(let bound): ratio.map { $0 >= bound }
        case .atMost(let bound): ratio.map { $0 <= bound }
        case .atMostValue(let bound, _): value.map { $0 <= bound }
        }
    }
}

/// One line of the table.
struct Row {
    var name: String
    var crossbit: String
    var c: String
    var ratio: Double?
    var target: Target?
    /// Crossbit's figure, for an absolute target.
    var value: Double?
    /// Why the row has no figures (a step that failed).
    var unavailable: String?

    init(_ name: String, crossbit: Double, c: Double?, unit: String, digits: Int, target: Target?) {
        self.name = name
        self.crossbit = "\(format(crossbit, digits)) \(unit)"
        self.c = c.map { "\(format($0, digits)) \(unit)" } ?? "—"
        ratio = c.map { crossbit / $0 }
        self.target = target
        value = crossbit
    }

    /// A row from paired runs (run i of each side taken one after the other):
    /// the medians of both sides, and the median of the runs' ratios, which
    /// a machine whose speed drifts during the benchmark moves less.
    init(_ name: String, crossbit: [Double], c: [Double], unit: String, digits: Int, target: Target?) {
        self.init(name, crossbit: median(crossbit), c: median(c), unit: unit, digits: digits, target: target)
        ratio = median(zip(crossbit, c).map { $0 / $1 })
    }

    init(_ name: String, unavailable reason: String) {
        self.name = name
        crossbit = "n/a"
        c = "n/a"
        unavailable = reason
    }

    var verdict: String {
        if let unavailable { return "n/a (\(unavailable))" }
        guard let met = target?.isMet(ratio: ratio, value: value) else { return "—" }
        return met ? "ok" : "short"
    }

    var cells: [String] {
        [name, crossbit, c, ratio.map { format($0, 2) + "×" } ?? "—", target?.text ?? "—", verdict]
    }
}

func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

/// The table as Markdown, columns padded so that it also reads well in a terminal.
func markdownTable(_ rows: [Row]) -> String {
    let header = ["row", "Crossbit", "C (rpcgen + libtirpc)", "ratio", "target", "result"]
    let lines = [header] + rows.map(\.cells)
    var widths = header.map { _ in 0 }
    for line in lines {
        for (index, cell) in line.enumerated() { widths[index] = max(widths[index], cell.count) }
    }
    func render(_ cells: [String]) -> String {
        "| "
            + cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(
                separator: " | ") + " |"
    }
    let rule = "|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|"
    return ([render(header), rule] + rows.map { render($0.cells) }).joined(separator: "\n")
}

/// The machine the figures were taken on: cores, CPU model, memory, kernel, load.
func machineDescription() -> String {
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model =
        cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?
        .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
    let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
    let memoryKiB =
        meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }?
        .split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
    let load =
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(
            separator: " ") ?? "?"
    var name = utsname()
    uname(&name)
    let kernel = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    let cores = ProcessInfo.processInfo.activeProcessorCount
    return "\(cores) cores (nproc), \(model), \(format(memoryKiB / 1_048_576, 1)) GiB RAM, Linux \(kernel); "
        + "load average at start \(load)"
}

/// BENCHMARKS.md: the latest table, the machine, the command and how each row is measured.
func benchmarksDocument(table: String, machine: String, runs: Int, seconds: Int) -> String {
    let date = ISO8601DateFormatter().string(from: Date())
    return """
        # Benchmarks

        The latest table of `make bench` (written by `Benchmarks/Sources/crossbit-bench`; do not edit by hand).

        - Command: `make bench` (release builds; the C side is rpcgen's output for the same IDL, `gcc -O2`, libtirpc)
        - Date: \(date)
        - Machine: \(machine)
        - Figures: medians of \(runs) runs after a warm-up (latency: 4 × \(runs) short runs; \
        calls/s: \(max(3, runs - 2)) runs); nothing pinned
          (as the targets are defined) but the diagnostic rows marked "one CPU", which have no target; the Swift and the
          C side alternate run by run; \(seconds) s of measurement in all.

        \(table)

        Ratios are Crossbit ÷ C (broker ÷ direct for rows 3–5, shared region ÷ RPC for rows 7), \
        the median of the ratios of paired runs (each Crossbit
        run next to a C run); "ok" means the target is met, "short" that it is not.

        ## How each row is measured

        All rows use `Benchmarks/IDL/crossbit_bench.x`: the Swift side is generated from it by the build plugin, the
        C side by `crossbit-idl rpcl --layout L` then `rpcgen -N` (`Benchmarks/C/`).

        1. **Codec**: one value encoded into a reused buffer and decoded back, repeatedly for 0.4 s; MB/s of encoded
           bytes. Swift: `encode(xdr:)` into a reused `XDRWriter`, its bytes, `init(xdr:)` from an `XDRReader`.
           C: rpcgen's `xdr_*` routine over `xdrmem` into a reused buffer, decoding into fresh memory, then `xdr_free`.
           Values: `bench_flat` (8 scalars), `bench_batch` (1,000 `bench_item`s with a 10-byte string, a 64-byte opaque,
           a `size_t` and a `handle_t`), a 1 MiB `bench_payload`; both layouts \
        (the C codec is 64-bit for both lowerings).
        2. **Latency**: runs of 1,500 `PING_WIDE` calls (after 200 warm-up calls), 4 × \(runs) runs per side, the two
           sides alternating; the figures are the medians of the runs' medians and p99s. One client process, one server
           process, over TCP loopback and a unix socket: a Swift client (`RPCClient`, \
        calls made from a task preferring the
           client's executor) → a Swift `RPCServer` vs rpcgen's client stubs → an rpcgen server under `svc_run`, 64-bit.
        3. **Broker**: the same latency runs from the 32-bit (`gcc -m32`) rpcgen client through `crossbitd` \
        (ILP32 endpoint,
           TCP) to the 64-bit Swift server (LP64) vs the same client straight to the 32-bit rpcgen server.
           `PING_WIDE` carries a `size_t` both ways (converted); `PING_PLAIN` has no width-dependent part (forwarded
           without re-encoding, after the checks of docs/security.md). "Validation on vs every check relaxed": the
           same `PING_PLAIN` runs through the broker next to a second broker, to the same Swift server, whose route
           relaxes every check (`relax = ["enums", "unions", "bounds", "bools"]`); on one CPU, the CPU time per call
           of each broker.
        2–3, **one CPU** (diagnostics, no target): the same runs with every process of both sides pinned to one CPU
           (`taskset`), so that both sides pay their whole CPU cost and no wake-up of another vCPU \
        (see the note below). The broker rows come
           twice, reaching the Swift server over TCP and over a unix socket (a route to `unix:///PATH`), next to the
           floor of any broker: `Benchmarks/C/bench_relay.c`, a C relay that copies bytes between client and server
           with one `poll` loop and no RPC parsing, in the broker's place, and the floor of any broker on SwiftNIO:
           `crossbit-bench nio-floor relay` (Benchmarks/Sources/crossbit-bench/NIOFloor.swift), a relay on one
           event loop that writes each read on as it came. Both relay floors come unpinned too, next to the
           broker's targets. Each side of row 2 is measured alone as well, unpinned and on one CPU: the 64-bit C
           client against the Swift server (server side), the Swift client against the C server (client side),
           and the C client against the floor of any ONC RPC server on SwiftNIO (`crossbit-bench nio-floor server`:
           one event loop, record marks, a fixed answer, no Crossbit), each next to C↔C. The "CPU time per call"
           rows are the CPU time (user + system, `/proc/PID/task/*/schedstat`) the server, broker or relay process
           took during those runs, divided by their calls: what each costs, with no wake-up in it.
        4. **Calls per second**: 1, 8 or 32 client processes (the 32-bit C client), \
        each calling `PING_WIDE` in a loop over
           one common one-second window (after a 0.3 s warm-up window); the sum of their rates, through the broker \
        and direct. "No collapse": the
           broker's rate at 32 clients is at least 0.8× its rate at 8.
        5. **1 MiB**: 16 `ECHO_PAYLOAD` calls of 1 MiB per run from the 32-bit C client, after 32 warm-up calls; MB/s of
           argument plus result. crossbitd and the Swift server keep freed buffers in malloc's heap
           (`MessageMemory.keepFreedBuffers()`, docs/server-concurrency.md, "Large messages").
        6. **Resident memory**: `VmRSS` of `crossbitd` from `/proc/PID/status` after start, before any call (idle), and
           the highest value sampled every 50 ms during the 32-client runs. Target when idle: at most 20 MiB, most of it
           the pages of the executable and of shared libraries (the Swift runtime, Foundation) that the process has
           touched. The row "of it anonymous" is `Anonymous` of `/proc/PID/smaps_rollup` when idle: the memory the
           broker allocated itself, as against file pages that the page cache shares and can drop.
        7. **Shared regions** (docs/shared-memory.md): the 32-bit C client hands 1 MiB (16 handovers per run) or 64 MiB
           (2 per run) of 4096-byte `bench_block`s to the 64-bit Swift server. Shared region: per handover it writes
           every block's `seq`, bumps the region's generation and calls `READ_REGION(name)` through the broker; the
           server maps the region, checks its header and reads every block in place through the ILP32 view (header
           members and samples) and answers a sum the client checks. Against it, the same bytes as `SINK_PAYLOAD`
           calls of at most 4 MiB (`BENCH_PAYLOAD_MAX`) through the broker to the Swift server, and straight to the
           32-bit C server. MB/s of bytes handed over; ratios are shared region ÷ the other way.

        The machine is small (2 cores for up to 34 processes in row 4) and virtual: a ping-pong's latency jumps between
        two levels depending on whether its two processes share a vCPU (about 15 µs per TCP call C↔C) or not (about
        70 µs: waking a halted vCPU costs some 25 µs), so unpinned figures move from run to run and an unpinned ratio
        can say as much about where the scheduler placed each process as about either side. The one-CPU rows do not
        move that way, and show what each side costs in CPU: a broker doubles the hops, so on one CPU even the relay,
        which does nothing but copy bytes, costs about twice the direct call.
        On one CPU a p99 counts the interrupts that fall into a call \
        (the timer ticks 250 times a second on a busy CPU): the longer the call,
        the more of its runs they reach, so a two-hop call's p99 ratio is well above its median's; the relay's p99
        row shows how far for any broker.

        """
}
