import Foundation

// MARK: 7. Shared regions

extension Benchmark {
    /// Large data handed from the 32-bit C client to the 64-bit Swift server:
    /// through a shared region (the C client updates every block's header and
    /// bumps the generation; one `READ_REGION` call through the broker carries
    /// the region's name; the server maps it, checks the header and reads every
    /// block in place through the ILP32 view, samples included) against the
    /// same bytes as `SINK_PAYLOAD` calls through the broker and straight to
    /// the 32-bit C server. Calls carry at most 4 MiB (`BENCH_PAYLOAD_MAX`),
    /// so 64 MiB go by RPC as 16 calls.
    mutating func sharedRegionRows() async {
        let names = ["8 1 MiB handed over: shared region vs", "8 64 MiB handed over: shared region vs"]
        let broker: Server
        let direct: Server
        do {
            let swiftServer = try await startSwiftServer("tcp", name: "")
            broker = try await startBroker(routingTo: swiftServer)
            direct = try await startCServer(c.ilp32.server, "tcp", name: "")
        } catch {
            rows += names.map { Row($0, unavailable: "broker unavailable: \(error)") }
            return
        }
        for (name, bytes, handovers, target) in [(names[0], 1 << 20, 16, 4.0), (names[1], 64 << 20, 2, nil)] {
            log("row: \(name)")
            do {
                let measured = try await handoverRates(
                    bytes: bytes, handovers: handovers, broker: broker, direct: direct)
                rows.append(
                    Row(
                        "\(name) through the broker", crossbit: measured.region, c: measured.broker, unit: "MB/s",
                        digits: 0, target: target.map { .atLeast($0) }))
                rows.append(
                    Row(
                        "\(name) direct C → C", crossbit: measured.region, c: measured.direct, unit: "MB/s", digits: 0,
                        target: nil))
            } catch {
                rows.append(Row(name, unavailable: "\(error)"))
            }
        }
    }

    /// MB/s of each way, run by run, after one warm-up handover of each.
    private func handoverRates(
        bytes: Int, handovers: Int, broker: Server, direct: Server
    ) async throws -> (region: [Double], broker: [Double], direct: [Double]) {
        let client = c.ilp32.client
        let ways: [(mode: String, server: Server)] = [("region", broker), ("sink", broker), ("sink", direct)]
        for way in ways { try await runTool(client, way.server.clientArguments + [way.mode, "2", "\(bytes)"]) }
        var rates: [[Double]] = [[], [], []]
        for _ in 0..<settings.runs {
            for (index, way) in ways.enumerated() {
                let figures = try numbers(
                    await runTool(client, way.server.clientArguments + [way.mode, "\(handovers)", "\(bytes)"]))
                rates[index].append(figures[0] / figures[1] * 1e3)
            }
        }
        return (rates[0], rates[1], rates[2])
    }
}
