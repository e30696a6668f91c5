import CrossbitCore
import CrossbitTransport
import Foundation

/// The 64-bit Swift server of every soak program (the broker routes SOAK_TO64
/// and SOAK_ACT64 to it): the answer computed from the arguments.
struct SoakService: CrossbitSoak.SoakTo64V1Service, CrossbitSoak.SoakAct64V1Service,
    CrossbitSoak.SoakTo32V1Service, CrossbitSoak.SoakAct32V1Service
{
    func soakTo64Step(
        _ argument: CrossbitSoak.SoakArgs, context: RPCCallContext
    ) async throws -> CrossbitSoak.SoakAnswer {
        SoakValues.answer(to: argument)
    }
    func soakAct64Step(
        _ argument: CrossbitSoak.SoakArgs, context: RPCCallContext
    ) async throws -> CrossbitSoak.SoakAnswer {
        SoakValues.answer(to: argument)
    }
    func soakTo32Step(
        _ argument: CrossbitSoak.SoakArgs, context: RPCCallContext
    ) async throws -> CrossbitSoak.SoakAnswer {
        SoakValues.answer(to: argument)
    }
    func soakAct32Step(
        _ argument: CrossbitSoak.SoakArgs, context: RPCCallContext
    ) async throws -> CrossbitSoak.SoakAnswer {
        SoakValues.answer(to: argument)
    }
}

/// `crossbit-soak serve [URL]`: serves at URL, else where `CROSSBIT_LISTEN` says (the
/// broker sets it when it starts the server), until SIGTERM; prints `READY ADDRESS`.
func serve(_ arguments: [String]) async throws {
    guard let address = arguments.first ?? ProcessInfo.processInfo.environment["CROSSBIT_LISTEN"] else {
        throw BenchFailure("usage: crossbit-soak serve tcp://HOST:PORT (or CROSSBIT_LISTEN)")
    }
    let service = SoakService()
    let server = RPCServer(
        services: [
            CrossbitSoak.SoakTo64V1Dispatcher(service: service), CrossbitSoak.SoakAct64V1Dispatcher(service: service),
            CrossbitSoak.SoakTo32V1Dispatcher(service: service), CrossbitSoak.SoakAct32V1Dispatcher(service: service),
        ],
        endpoints: [try ServerEndpoint(address: RPCAddress(parsing: address), layout: .lp64)])
    try await serveUntilTerminated(server)
}

/// What one client saw: the line both languages' clients print at the end
/// (`SOAK calls=N ok=N wrong=N unanswered=N errors=KIND=N,…`).
struct ClientTally {
    var calls = 0
    var ok = 0
    var wrong = 0
    var unanswered = 0
    var errors: [String: Int] = [:]

    var line: String {
        let kinds = errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return "SOAK calls=\(calls) ok=\(ok) wrong=\(wrong) unanswered=\(unanswered) errors=\(kinds)"
    }

    /// Reads the line back; nil when `text` holds none.
    init?(parsing text: String) {
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("SOAK ") }) else { return nil }
        for field in line.dropFirst(5).split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else { return nil }
            switch parts[0] {
            case "calls": calls = Int(parts[1]) ?? -1
            case "ok": ok = Int(parts[1]) ?? -1
            case "wrong": wrong = Int(parts[1]) ?? -1
            case "unanswered": unanswered = Int(parts[1]) ?? -1
            case "errors":
                for pair in parts[1].split(separator: ",") {
                    guard let equals = pair.lastIndex(of: "="), let count = Int(pair[pair.index(after: equals)...])
                    else {
                        return nil
                    }
                    errors[String(pair[..<equals]), default: 0] += count
                }
            default: return nil
            }
        }
        guard calls >= 0, ok >= 0, wrong >= 0, unanswered >= 0 else { return nil }
    }

    init() {}

    static func + (a: ClientTally, b: ClientTally) -> ClientTally {
        var sum = a
        sum.calls += b.calls
        sum.ok += b.ok
        sum.wrong += b.wrong
        sum.unanswered += b.unanswered
        sum.errors.merge(b.errors, uniquingKeysWith: +)
        return sum
    }
}

/// `crossbit-soak client URL to32|act32 CLIENT SECONDS PAUSE_MS`: a 64-bit client
/// of a 32-bit server through the broker's LP64 endpoint at URL, the Swift twin
/// of Benchmarks/C/soak_client.c: calls for SECONDS, checks every answer, and
/// after a typed error (`RPCError`) waits 50 ms and makes the same call again.
func runClient(_ arguments: [String]) async throws {
    guard arguments.count == 5, ["to32", "act32"].contains(arguments[1]), let id = UInt32(arguments[2]),
        let seconds = Double(arguments[3]), let pause = Int(arguments[4])
    else { throw BenchFailure("usage: crossbit-soak client URL to32|act32 CLIENT SECONDS PAUSE_MS") }
    let connection = try RPCClient(address: arguments[0], layout: .lp64, options: .init(defaultTimeout: .seconds(20)))
    defer { connection.close() }
    typealias Call = (CrossbitSoak.SoakArgs) async throws(RPCError) -> CrossbitSoak.SoakAnswer
    let to32 = CrossbitSoak.SoakTo32V1Client(transport: connection)
    let act32 = CrossbitSoak.SoakAct32V1Client(transport: connection)
    let call: Call =
        arguments[1] == "to32"
        ? { argument async throws(RPCError) in try await to32.soakTo32Step(argument) }
        : { argument async throws(RPCError) in try await act32.soakAct32Step(argument) }
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    var tally = ClientTally()
    var seq: UInt32 = 0
    while ContinuousClock.now < deadline {
        tally.calls += 1
        let argument = SoakValues.arguments(client: id, seq: seq)
        let expected = SoakValues.answerOf32BitServer(to: argument)
        let answer: CrossbitSoak.SoakAnswer
        do throws(RPCError) {
            answer = try await call(argument)
        } catch {
            // The line is split at spaces: "system error" becomes "system_error", as the C client writes its kinds.
            tally.errors["Swift:" + "\(error.code)".replacingOccurrences(of: " ", with: "_"), default: 0] += 1
            try await Task.sleep(for: .milliseconds(50))
            continue
        }
        if answer == expected {
            tally.ok += 1
        } else {
            tally.wrong += 1
            let message =
                "soak client \(id): wrong answer to call \(seq) of \(arguments[1])\n"
                + "  expected: \(expected)\n  received: \(answer)\n"
            FileHandle.standardError.write(Data(message.utf8))
        }
        seq &+= 1
        if pause > 0 { try await Task.sleep(for: .milliseconds(pause)) }
    }
    print(tally.line)
}
