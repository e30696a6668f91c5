import CrossbitCore
import CrossbitSharedMemory
import CrossbitTransport
import Foundation
import Logging

// A 64-bit Swift service that works on a table in shared memory which a
// 32-bit C program filled: it opens the region by the name the call carries,
// reads the header (the writer's layout, the type's fingerprint), and reads
// and updates the rows in place through a view of rpcgen's ILP32 struct.

/// A line on standard output, written at once (the broker logs it in order with the calls).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

final class TableService: ShmTable.ShmV1Service {
    let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func shmProcess(_ name: String, context: RPCCallContext) async throws -> Int32 {
        let region: SharedRegion
        do {
            region = try SharedRegion.open(name: name, ShmTable.ShmRowView.self)
        } catch {
            logger.error("cannot open region", metadata: ["region": "\(name)", "error": "\(error)"])
            throw RPCError(code: .systemError, message: "\(error)")
        }
        let rows = try region.view(ShmTable.ShmRowView.self)
        say(
            "shm-server: \(name): \(rows.count) × shm_row in the writer's \(region.header.layout) layout "
                + "(\(region.header.elementSize) bytes each), generation \(region.generation)")
        var updated: Int32 = 0
        for (index, row) in rows.enumerated() {
            let value = try row.load()
            do {
                // Doubling a length past 4294967295 cannot be written back into a 32-bit size_t.
                try row.setLength(value.length &* 2)
                try row.setChecksum(value.checksum &+ Int64(value.length))
                try row.setStatus(1)
                updated += 1
                say(
                    "  row \(index): length \(value.length), owner \(value.owner) (sign-extended), "
                        + "checksum \(value.checksum) -> updated")
            } catch {
                try row.setStatus(2)
                say("  row \(index): length \(value.length) -> refused: \(error)")
            }
        }
        region.publish()
        return updated
    }
}

let address = CommandLine.arguments.dropFirst().first ?? ProcessInfo.processInfo.environment["CROSSBIT_LISTEN"]
guard let address else {
    FileHandle.standardError.write(Data("usage: shm-server ADDRESS (or set CROSSBIT_LISTEN)\n".utf8))
    exit(2)
}
signal(SIGPIPE, SIG_IGN)
let logger = Logger(label: "shm-server")
let server = RPCServer(
    services: [ShmTable.ShmV1Dispatcher(service: TableService(logger: logger))],
    endpoints: [try ServerEndpoint(address: try RPCAddress(parsing: address), layout: .lp64)], logger: logger)
// SIGTERM (the broker stopping an idle server) ends the server gracefully.
let termination = DispatchSource.makeSignalSource(signal: SIGTERM)
signal(SIGTERM, SIG_IGN)
termination.setEventHandler { server.shutdown() }
termination.resume()
say("shm-server: serving lp64 at \(address)")
try await server.run()
