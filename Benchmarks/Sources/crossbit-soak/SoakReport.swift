import Foundation

extension Soak.Report {
    /// Why the run failed; empty when it passed: a wrong answer, a call with
    /// neither an answer nor a typed error, other descriptors at the end than
    /// at the start, or RSS more than 10% above the first minute's.
    var failures: [String] {
        var failures: [String] = []
        let all = warmUp + tally
        if all.wrong > 0 { failures.append("\(all.wrong) wrong answer(s)") }
        if all.unanswered > 0 { failures.append("\(all.unanswered) call(s) with neither an answer nor a typed error") }
        if descriptors.end != descriptors.start {
            failures.append(
                "the broker holds \(descriptors.end) descriptors at the end, \(descriptors.start) at the start")
        }
        if Double(residentKiB.end) > Double(residentKiB.minute) * 1.1 {
            failures.append("the broker's RSS grew to \(residentKiB.end) KiB, over 110% of \(residentKiB.minute) KiB")
        }
        if residentKiB.start < 0 || residentKiB.minute < 0 || residentKiB.end < 0 {
            failures.append("the broker's RSS could not be read")
        }
        return failures
    }

    /// The printed report.
    var text: String {
        let growth =
            residentKiB.minute > 0
            ? String(format: "%+.1f%%", (Double(residentKiB.end) / Double(residentKiB.minute) - 1) * 100) : "?"
        var lines = [
            "crossbit soak: \(seconds) s, 32 clients through crossbitd "
                + "(16 32-bit rpcgen C clients -> 64-bit Swift servers,",
            "  16 64-bit Swift clients -> 32-bit rpcgen C servers; of each, half to a server the broker activates)",
            "faults injected (\(faults.count), one every 30 s):",
        ]
        lines += faults.enumerated().map { "  \(String(format: "%2d", $0.offset + 1)). \($0.element)" }
        lines += [
            "warm-up (5 s before the start figures): \(warmUp.calls) calls, \(warmUp.ok) right, \(warmUp.wrong) wrong, "
                + "\(warmUp.unanswered) unanswered, \(warmUp.errors.values.reduce(0, +)) typed errors",
            "calls:                                  \(tally.calls)",
            "answers checked right:                  \(tally.ok)",
            "wrong answers:                          \(tally.wrong)",
            "neither answer nor typed error:         \(tally.unanswered)",
            "typed errors by kind:                   \(tally.errors.isEmpty ? "none" : "")",
        ]
        lines += tally.errors.sorted { $0.key < $1.key }.map {
            "  \($0.key.padding(toLength: 38, withPad: " ", startingAt: 0))\($0.value)"
        }
        lines += [
            "broker open descriptors:                start \(descriptors.start), "
                + "after 1 min \(descriptors.minute) (under load), end \(descriptors.end)",
            "broker RSS:                             start \(residentKiB.start) KiB, "
                + "after 1 min \(residentKiB.minute) KiB, end \(residentKiB.end) KiB "
                + "(\(growth) on the 1-minute figure)",
        ]
        if descriptors.end != descriptors.start {
            lines.append("  descriptors by kind at the start: \(descriptorKinds.start.sorted { $0.key < $1.key })")
            lines.append("  descriptors by kind at the end:   \(descriptorKinds.end.sorted { $0.key < $1.key })")
        }
        lines += problems.prefix(20).map { "problem: \($0)" }
        let failures = failures
        lines.append(failures.isEmpty ? "result: PASS" : "result: FAIL: " + failures.joined(separator: "; "))
        return lines.joined(separator: "\n")
    }
}
