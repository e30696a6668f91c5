/// libFuzzer's entry point for a program that has its own `main` (SwiftPM names every executable's entry
/// point itself, so the `main` of `-sanitize=fuzzer` cannot be linked): scripts/fuzz.sh links
/// `libclang_rt.fuzzer_no_main`, which provides this function.
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Runs libFuzzer with the process's arguments; `check` gets each input and traps when a property fails.
public enum FuzzDriver {
    public static func run(_ check: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runDriver(&argc, &argv, check))
    }

    /// libFuzzer's answer for an input whose check found `failure` (nil: none): a failure stops the program with
    /// it, so that libFuzzer keeps the input.
    public static func verdict(_ failure: String?) -> CInt {
        if let failure { fatalError(failure) }
        return 0
    }

    /// The input libFuzzer passes, as bytes.
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ count: Int) -> [UInt8] {
        guard let data, count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: count))
    }
}

@_silgen_name("exit")
private func exit(_ status: CInt) -> Never
