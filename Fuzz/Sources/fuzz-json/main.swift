import CrossbitDynamic
import CrossbitIDL
import FuzzDriver

/// IDL/crossbit_sample.x, from its path relative to this file.
let sampleCodec: DynamicCodec = {
    let idl = "/" + "\(#filePath)".split(separator: "/").dropLast(4).joined(separator: "/") + "/IDL/crossbit_sample.x"
    do {
        return DynamicCodec(module: try IDLFrontEnd.load(path: idl))
    } catch {
        fatalError("cannot load \(idl): \(error)")
    }
}()

FuzzDriver.run { data, count in
    FuzzDriver.verdict(JSONCheck.check(FuzzDriver.bytes(data, count), codec: sampleCodec, types: JSONCheck.sampleTypes))
}
