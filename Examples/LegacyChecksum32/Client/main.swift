import CrossbitELF
import CrossbitCore
import CrossbitTransport
import Foundation

// The 64-bit Swift caller of the legacy 32-bit checksum server. It speaks
// LP64 to the broker; the broker starts the 32-bit server on the first call
// (its route names the executable) and converts every size_t and handle.
//
//   checksum-client ADDRESS          e.g. unix:///tmp/crossbit-demo/lp64.sock
//   checksum-client --elf FILE...    the ELF class of each file, as the broker reads it

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--elf", arguments.count > 1 {
    for path in arguments.dropFirst() {
        do {
            print("\(path): \(try ELFHeader(contentsOf: path))")
        } catch {
            print("\(error)")
        }
    }
    exit(0)
}
guard arguments.count == 1 else {
    FileHandle.standardError.write(Data("usage: checksum-client ADDRESS | --elf FILE...\n".utf8))
    exit(2)
}

/// A handle as the C library sees it: a signed long.
func signed(_ handle: Handle) -> String { "\(handle) (\(Int(bitPattern: handle.rawValue)))" }

/// Prints one call and its result, aligned.
func show(_ call: String, _ result: String) {
    print("  \(call.padding(toLength: 28, withPad: " ", startingAt: 0)) -> \(result)")
}

/// Ends the program with status 1 unless `condition` holds: `make test` runs this example.
func check(_ condition: Bool, _ what: String) {
    guard !condition else { return }
    print("checksum-client: FAILED: \(what)")
    exit(1)
}

let me = (try? ELFHeader(contentsOf: "/proc/self/exe")).map(\.description) ?? "unknown"
print("checksum-client: this process is \(me); calling \(arguments[0]) in the lp64 layout")
let checksum = Checksum.ChecksumV1Client(transport: try RPCClient(address: arguments[0], layout: .lp64))

let handle = try await checksum.open("greeting")
show("CK_OPEN(\"greeting\")", "handle \(signed(handle)): the 32-bit long, sign-extended")
check(Int(bitPattern: handle.rawValue) < 0, "a handle with the top bit set arrives sign-extended")
let text = Array("Hello from a 64-bit process!".utf8)
let total = try await checksum.update(handle, text)
show("CK_UPDATE(handle, \(text.count) bytes)", "total \(total) (size_t)")
let skipped = try await checksum.skip(handle, 4_000_000_000)
show("CK_SKIP(handle, 4000000000)", "total \(skipped): fits a 32-bit size_t")
check(skipped == 4_000_000_028, "size_t totals cross unchanged")
do {
    _ = try await checksum.skip(handle, 5_000_000_000)
    check(false, "5000000000 cannot reach a 32-bit size_t")
} catch {
    show(
        "CK_SKIP(handle, 5000000000)", "SYSTEM_ERR (\(error.code)): does not fit the server's 32-bit size_t; never sent"
    )
    check(error.code == .systemError, "SYSTEM_ERR for a value that does not fit")
}
let state = try await checksum.state(handle)
show("CK_STATE(handle)", "name \"\(state.name)\", total \(state.total), adler32 0x\(String(state.adler, radix: 16))")
check(state.name == "greeting" && state.total == 4_000_000_028, "the stream's state")

// Kill the activated server mid-session: the next call starts it again.
let pid = try await checksum.serverPid()
show("CK_SERVER_PID()", "\(pid); killing it with SIGKILL")
kill(pid, SIGKILL)
for _ in 0..<100 where kill(pid, 0) == 0 { try await Task.sleep(for: .milliseconds(20)) }
let restarted = try await checksum.serverPid()
show("CK_SERVER_PID()", "\(restarted): the broker started a new server on this call")
check(restarted != pid, "a new server process")
let fresh = try await checksum.open("after-restart")
show("CK_OPEN(\"after-restart\")", "handle \(signed(fresh)) (the old server's streams died with it)")
let closed = try await checksum.close(fresh)
show("CK_CLOSE(handle)", "\(closed)")
check(closed == 0, "closing an open stream")
