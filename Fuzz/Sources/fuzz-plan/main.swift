import CrossbitBroker
import FuzzDriver

/// IDL/crossbit_sample.x's plans, from its path relative to this file.
let samplePlans: [ProcedurePlan] = {
    let idl = "/" + "\(#filePath)".split(separator: "/").dropLast(4).joined(separator: "/") + "/IDL/crossbit_sample.x"
    do {
        return try PlanCheck.samplePlans(idl: idl)
    } catch {
        fatalError("cannot load \(idl): \(error)")
    }
}()

FuzzDriver.run { data, count in
    FuzzDriver.verdict(PlanCheck.check(FuzzDriver.bytes(data, count), plans: samplePlans))
}
