import CrossbitCore
import Dispatch
import Testing

@testable import CrossbitTransport

/// Blocking work (name and rpcbind look-ups, connecting) runs on threads of
/// its own; a call's deadline bounds how long it waits for that work.
@Suite("Blocking operations")
struct BlockingOperationTests {
    @Test(
        "an operation still blocked at the deadline gives .timeout, and what it returns later is released",
        .timeLimit(.minutes(1)))
    func deadlinePasses() async throws {
        let gate = DispatchSemaphore(value: 0)
        let (released, release) = AsyncStream<Int>.makeStream()
        do {
            let value = try await runBlocking(
                until: monotonicNanoseconds() + 50_000_000,
                { () throws(RPCError) -> Int in
                    gate.wait()  // until the test lets it go, which is after runBlocking has returned
                    return 7
                },
                abandoned: { value in
                    release.yield(value)
                    release.finish()
                })
            Issue.record("returned \(value) although the operation was still blocked")
        } catch {
            #expect(error.code == .timeout)
        }
        gate.signal()
        var abandoned = released.makeAsyncIterator()
        #expect(await abandoned.next() == 7)
    }

    @Test("an operation that ends before the deadline gives its result or its error")
    func endsInTime() async throws {
        let deadline = monotonicNanoseconds() + 60_000_000_000
        let value = try await runBlocking(
            until: deadline, { () throws(RPCError) in 42 },
            abandoned: { _ in
                Issue.record("a result in time was abandoned")
            })
        #expect(value == 42)
        await #expect(throws: RPCError.self) {
            try await runBlocking(
                until: deadline,
                { () throws(RPCError) -> Int in
                    throw RPCError(code: .transportFailure, message: "refused")
                }, abandoned: { _ in })
        }
    }
}
