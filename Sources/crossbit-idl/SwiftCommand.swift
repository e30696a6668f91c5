import ArgumentParser

struct SwiftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "swift", abstract: "Generate Swift (not yet available)")
    func run() throws { throw ValidationError("swift generation is not built yet") }
}
