public import Foundation

/// Where the repository and the package's built products are.
public enum Paths {
    /// The repository's root (this file is Tests/CrossbitTestSupport/Paths.swift).
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// `IDL/crossbit_sample.x`.
    public static let sampleIDL = repositoryRoot + "/IDL/crossbit_sample.x"

    /// The folder of the test bundle, where the package's products are built.
    public static let products = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent().path

    /// An executable product of the package (`crossbit`, `crossbitd`, `crossbit-idl`), or nil when it is not built.
    public static func builtProduct(_ name: String) -> String? {
        let path = products + "/" + name
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// An executable product of the package; throws when it is not built.
    public static func product(_ name: String) throws -> String {
        guard let path = builtProduct(name) else {
            throw ProcessFailure(
                description: "\(name) is not built in \(products): build with `swift build --build-tests`")
        }
        return path
    }

    /// Replays the committed inputs of a fuzz target (`Fuzz/Corpus/TARGET`) through the target's check: the
    /// failures, each as `FILE: what went wrong`. Throws when the folder is missing or empty.
    public static func replayFuzzCorpus(_ target: String, _ check: ([UInt8]) -> String?) throws -> [String] {
        let folder = URL(fileURLWithPath: repositoryRoot + "/Fuzz/Corpus/" + target)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        guard !names.isEmpty else { throw ProcessFailure(description: "\(folder.path) holds no inputs") }
        return try names.compactMap { name in
            check([UInt8](try Data(contentsOf: folder.appending(path: name)))).map { "\(name): \($0)" }
        }
    }

    /// A fresh path for a unix socket in /tmp (short enough for `sun_path`), its name containing `name`.
    public static func temporarySocket(_ name: String) -> String {
        "/tmp/crossbit-\(getpid())-\(name)-\(UInt32.random(in: 0...UInt32.max)).sock"
    }

    /// A fresh, empty temporary directory whose name contains `name`.
    public static func temporaryDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("crossbit-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
