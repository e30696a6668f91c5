import CrossbitBroker
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

let me = (try? ELFHeader(contentsOf: "/proc/self/exe")).map(\.description) ?? "unknown"
print("checksum-client: this process is \(me); calling \(arguments[0]) in the lp64 layout")
let checksum = Checksum.ChecksumV1Client(transport: try RPCClient(address: arguments[0], layout: .lp64))

let handle = try await checksum.open("greeting")
print("  CK_OPEN(\"greeting\")            -> handle \(signed(handle)): the 32-bit long, sign-extended")
let text = Array("Hello from a 64-bit process!".utf8)
print("  CK_UPDATE(handle, \(text.count) bytes)    -> total \(try await checksum.update(handle, text)) (size_t)")
print("  CK_SKIP(handle, 4000000000)      -> total \(try await checksum.skip(handle, 4_000_000_000)): fits a 32-bit size_t")
do {
    _ = try await checksum.skip(handle, 5_000_000_000)
    print("  CK_SKIP(handle, 5000000000)      -> accepted?!")
} catch {
    print("  CK_SKIP(handle, 5000000000)      -> \(error.code): does not fit the server's 32-bit size_t; never sent")
}
let state = try await checksum.state(handle)
print("  CK_STATE(handle)                 -> name \"\(state.name)\", total \(state.total), adler32 0x\(String(state.adler, radix: 16))")

// Kill the activated server mid-session: the next call starts it again.
let pid = try await checksum.serverPid()
print("  CK_SERVER_PID()                  -> \(pid); killing it with SIGKILL")
kill(pid, SIGKILL)
for _ in 0..<100 where kill(pid, 0) == 0 { try await Task.sleep(for: .milliseconds(20)) }
let restarted = try await checksum.serverPid()
print("  CK_SERVER_PID()                  -> \(restarted): the broker started a new server on this call")
let fresh = try await checksum.open("after-restart")
print("  CK_OPEN(\"after-restart\")       -> handle \(signed(fresh)) (the old server's streams died with it)")
print("  CK_CLOSE(handle)                 -> \(try await checksum.close(fresh))")
