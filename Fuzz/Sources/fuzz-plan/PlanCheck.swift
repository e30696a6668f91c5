import CrossbitBroker
import CrossbitCore

/// The broker's conversion plans over any bytes. The first byte picks a procedure of the program, the second
/// its arguments or result and the direction; the rest is converted. Widening from ILP32 and narrowing back
/// must give exactly the bytes converted; what narrows from LP64 must widen again, and narrow to the same bytes.
enum PlanCheck {
    /// Nil, or what went wrong.
    static func check(_ bytes: [UInt8], plans: [ProcedurePlan]) -> String? {
        guard bytes.count >= 2, !plans.isEmpty else { return nil }
        let plan = plans[Int(bytes[0]) % plans.count]
        let results = bytes[1] & 1 == 1
        let source: WireLayout = bytes[1] & 2 == 0 ? .ilp32 : .lp64
        let target: WireLayout = source == .ilp32 ? .lp64 : .ilp32
        let body = Array(bytes.dropFirst(2))
        // A value followed by other bytes is carried without them: only whole values are compared.
        let convert = { (input: [UInt8], from: WireLayout, to: WireLayout) throws(XDRError) -> [UInt8] in
            let carried =
                results
                ? try plan.carryResult(input, from: from, to: to)
                : try plan.carryArguments(input, from: from, to: to)
            guard carried.trailingBytes == 0 else {
                throw XDRError(
                    .trailingBytes(count: carried.trailingBytes), offset: input.count - carried.trailingBytes)
            }
            return carried.bytes
        }
        guard let converted = try? convert(body, source, target) else { return nil }
        let part = "\(plan.program).\(plan.version).\(plan.name) \(results ? "result" : "arguments") \(body)"
        do {
            let back = try convert(converted, target, source)
            if source == .ilp32 {
                return back == body ? nil : "\(part): ILP32 -> LP64 -> ILP32 gives \(back)"
            }
            let again = try convert(back, source, target)
            return again == converted ? nil : "\(part): narrowed \(converted), then \(again)"
        } catch {
            return "\(part): what converted from \(source) does not convert back: \(error)"
        }
    }

    /// Every procedure's plan of CROSSBIT_SAMPLE_V1 (IDL/crossbit_sample.x at `path`), procedure 0 first.
    static func samplePlans(idl path: String) throws(ConfigurationError) -> [ProcedurePlan] {
        let catalog = try IDLCatalog(paths: [path])
        return (0...UInt32(255)).compactMap { catalog.plan(program: 0x2000_1001, version: 1, procedure: $0) }
    }
}
