#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Each system call a region makes, wrapped once: checked, retried on `EINTR`
/// where the call can be interrupted, and failing with the call's name, the
/// region's name and `errno`.
enum SystemCalls {
    static func failure(_ call: String, _ name: String) -> SharedRegionError {
        let code = errno
        return SharedRegionError(
            code: .systemCallFailed, message: "\(call)(\(name)): \(String(cString: strerror(code)))", errno: code)
    }

    static func open(_ name: String, flags: Int32, mode: mode_t) throws(SharedRegionError) -> Int32 {
        while true {
            let descriptor = shm_open(name, flags, mode)
            if descriptor >= 0 { return descriptor }
            if errno != EINTR { throw failure("shm_open", name) }
        }
    }

    static func truncate(_ descriptor: Int32, size: Int, name: String) throws(SharedRegionError) {
        while ftruncate(descriptor, off_t(size)) != 0 {
            if errno != EINTR { throw failure("ftruncate", name) }
        }
    }

    /// The object's size and identity (device and inode).
    static func status(_ descriptor: Int32, name: String) throws(SharedRegionError) -> (size: Int, identity: [UInt64]) {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure("fstat", name) }
        return (Int(status.st_size), [UInt64(status.st_dev), UInt64(status.st_ino)])
    }

    static func map(_ descriptor: Int32, size: Int, name: String) throws(SharedRegionError) -> UnsafeMutableRawPointer {
        let address = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0)
        guard let address, address != MAP_FAILED else { throw failure("mmap", name) }
        return address
    }

    static func close(_ descriptor: Int32, name: String) throws(SharedRegionError) {
        // POSIX leaves the descriptor's state unspecified after EINTR; Linux closes it: no retry.
        guard Glibc.close(descriptor) == 0 || errno == EINTR else { throw failure("close", name) }
    }

    static func unmap(_ address: UnsafeMutableRawPointer, size: Int, name: String) throws(SharedRegionError) {
        guard munmap(address, size) == 0 else { throw failure("munmap", name) }
    }

    static func unlink(_ name: String) throws(SharedRegionError) {
        guard shm_unlink(name) == 0 else { throw failure("shm_unlink", name) }
    }
}
