public import CrossbitCore
import FoundationEssentials
import Glibc

/// The identity of an ELF executable, read from its header: 32- or 64-bit
/// class, byte order, file type and machine. It tells the broker which
/// layout an activated server speaks when its route does not say.
public struct ELFHeader: Sendable, Hashable, CustomStringConvertible {
    /// `EI_CLASS`: 1 for 32-bit, 2 for 64-bit.
    public enum Class: UInt8, Sendable, Hashable {
        case elf32 = 1
        case elf64 = 2
    }

    public var elfClass: Class
    public var isLittleEndian: Bool
    /// `e_type`: 2 for an executable, 3 for a shared object (position-independent executables).
    public var type: UInt16
    /// `e_machine`: 3 for i386, 62 for x86-64, 40 for ARM, 183 for AArch64.
    public var machine: UInt16

    /// The layout of a process running this executable: ILP32 for 32-bit, LP64 for 64-bit.
    public var layout: WireLayout { elfClass == .elf32 ? .ilp32 : .lp64 }

    /// A short name of the machine, e.g. `i386`, or `machine 99`.
    public var machineName: String {
        switch machine {
        case 3: "i386"
        case 62: "x86-64"
        case 40: "arm"
        case 183: "aarch64"
        case 8: "mips"
        case 20: "ppc"
        case 21: "ppc64"
        case 243: "riscv"
        default: "machine \(machine)"
        }
    }

    /// E.g. `ELF 32-bit i386 (ilp32)`.
    public var description: String {
        "ELF \(elfClass == .elf32 ? 32 : 64)-bit \(machineName) (\(layout))"
    }

    /// Parses the first bytes of a file; `path` names it in errors.
    public init(bytes: some Collection<UInt8>, path: String) throws(ELFError) {
        let header = Array(bytes.prefix(20))
        guard header.count >= 4, header[0] == 0x7F, header[1] == 0x45, header[2] == 0x4C, header[3] == 0x46 else {
            throw ELFError(path: path, reason: "not an ELF file (no \\x7FELF magic at its start)")
        }
        guard header.count == 20 else {
            throw ELFError(path: path, reason: "truncated ELF header (\(header.count) bytes)")
        }
        guard let elfClass = Class(rawValue: header[4]) else {
            throw ELFError(path: path, reason: "unknown ELF class \(header[4]) (expected 1 for 32-bit or 2 for 64-bit)")
        }
        guard header[5] == 1 || header[5] == 2 else {
            throw ELFError(path: path, reason: "unknown ELF data encoding \(header[5])")
        }
        let little = header[5] == 1
        func half(_ offset: Int) -> UInt16 {
            let (low, high) = little ? (header[offset], header[offset + 1]) : (header[offset + 1], header[offset])
            return UInt16(low) | UInt16(high) << 8
        }
        let type = half(16)
        guard type == 2 || type == 3 else {
            throw ELFError(
                path: path,
                reason: "ELF type \(type) is not an executable (2) or a position-independent executable (3)")
        }
        self.elfClass = elfClass
        self.isLittleEndian = little
        self.type = type
        self.machine = half(18)
    }

    /// Reads the header of the file at `path`.
    public init(contentsOf path: String) throws(ELFError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = errno == ENOENT ? "does not exist" : "cannot be read"
            throw ELFError(path: path, reason: reason)
        }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 20)
        var count = 0
        while count < bytes.count {
            let read = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if read < 0 && errno == EINTR { continue }
            guard read >= 0 else {
                throw ELFError(path: path, reason: "cannot be read: \(String(cString: strerror(errno)))")
            }
            if read == 0 { break }
            count += read
        }
        try self.init(bytes: bytes[..<count], path: path)
    }
}

/// A file that is not an ELF executable the broker can run.
public struct ELFError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "\(path): \(reason)" }
}
