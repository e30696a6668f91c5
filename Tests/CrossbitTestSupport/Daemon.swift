public import CrossbitCore
public import CrossbitTransport
import Foundation
import Testing

/// A running `crossbitd`: started with flags, ready once it logs so, its
/// endpoints read from that log line. Every test that runs the broker as a
/// process starts it here, so "ready" is read one way.
public struct Daemon: Sendable {
    public let process: ChildProcess
    /// The bound endpoints by layout, as `crossbitd ready:` lists them.
    public let endpoints: [(layout: WireLayout, address: RPCAddress)]

    /// Starts `crossbitd` with `arguments` and waits for its ready line (it
    /// must log at info or lower).
    public static func start(_ arguments: [String], environment: [String: String] = [:]) async throws -> Daemon {
        let process = ChildProcess(try Paths.product("crossbitd"), arguments, environment: environment)
        try await process.start()
        let ready: String
        do {
            ready = try await process.line(containing: "crossbitd ready:")
        } catch {
            await process.stop()
            throw error
        }
        let list = ready.components(separatedBy: "crossbitd ready:").last ?? ""
        let endpoints = list.split(separator: " ").compactMap { item -> (WireLayout, RPCAddress)? in
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let layout = WireLayout(rawValue: String(parts[0])),
                let address = try? RPCAddress(parsing: String(parts[1]))
            else { return nil }
            return (layout, address)
        }
        return Daemon(process: process, endpoints: endpoints)
    }

    /// The first endpoint of a layout (TCP before unix when both were given first).
    public func address(_ layout: WireLayout, unix: Bool = false) -> RPCAddress {
        endpoints.first { endpoint in
            guard endpoint.layout == layout else { return false }
            if case .unix = endpoint.address { return unix }
            return !unix
        }?.address ?? .tcp(host: "127.0.0.1", port: 1)
    }

    /// The TCP port of a layout's endpoint.
    public func port(_ layout: WireLayout) -> UInt16 {
        if case .tcp(_, let port) = address(layout) { return port }
        return 0
    }

    public var log: String { process.output }
}

/// Runs `body` with a broker started from `arguments` (logging at
/// `logLevel`); stops it with SIGTERM afterwards and expects it to exit 0.
public func withDaemon<T>(
    _ arguments: [String], logLevel: String = "debug", _ body: (Daemon) async throws -> T
) async throws -> T {
    let daemon = try await Daemon.start(arguments + ["--log-level", logLevel])
    do {
        let result = try await body(daemon)
        let status = await daemon.process.stop()
        #expect(status == 0, "crossbitd exited with \(status):\n\(daemon.log)")
        return result
    } catch {
        await daemon.process.stop()
        throw ProcessFailure(description: "\(error)\ncrossbitd log:\n\(daemon.log)")
    }
}
