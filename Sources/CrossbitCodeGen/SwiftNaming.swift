/// Converts IDL names (`nfs_fh3`, `NFSPROC_GETATTR`) to Swift conventions.
enum SwiftNaming {
    /// The words of a name, split at underscores.
    static func words(_ name: String) -> [String] {
        name.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
    }

    /// A word with only its first letter upper-cased; all-caps words are
    /// lowered first (`NFSPROC` → `Nfsproc`, `fhandle` → `Fhandle`).
    static func capitalized(_ word: String) -> String {
        let base = word == word.uppercased() ? word.lowercased() : word
        return base.prefix(1).uppercased() + base.dropFirst()
    }

    static func upperCamel(_ name: String) -> String {
        identifier(words(name).map(capitalized).joined())
    }

    static func lowerCamel(_ name: String) -> String {
        var parts = words(name)
        guard let first = parts.first else { return "_" }
        parts[0] = first == first.uppercased() ? first.lowercased() : first.prefix(1).lowercased() + first.dropFirst()
        return identifier(parts[0] + parts.dropFirst().map(capitalized).joined())
    }

    /// A valid identifier: names starting with a digit get a leading underscore.
    static func identifier(_ name: String) -> String {
        guard let first = name.first else { return "_" }
        return first.isNumber ? "_" + name : name
    }

    /// The name, in backticks if it is a Swift keyword.
    static func escaped(_ name: String) -> String {
        keywords.contains(name) ? "`\(name)`" : name
    }

    /// Drops the longest `_`-separated prefix all names share, when every
    /// name keeps a part that starts with a letter (`COLOR_RED`, `COLOR_BLUE`
    /// → `RED`, `BLUE`).
    static func strippingCommonPrefix(_ names: [String]) -> [String] {
        guard names.count > 1 else { return names }
        let split = names.map { $0.split(separator: "_", omittingEmptySubsequences: false).map(String.init) }
        var shared = 0
        while split.allSatisfy({ $0.count > shared + 1 && $0[shared] == split[0][shared] }) { shared += 1 }
        guard shared > 0 else { return names }
        let stripped = split.map { $0.dropFirst(shared).joined(separator: "_") }
        guard stripped.allSatisfy({ $0.first?.isLetter == true }) else { return names }
        return stripped
    }

    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
        "inout", "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public",
        "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue",
        "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return",
        "throw", "switch", "where", "while", "Any", "as", "await", "false", "is", "nil", "self", "Self",
        "super", "throws", "true", "try", "Type", "Protocol", "package", "consume", "borrowing", "consuming",
    ]

    /// Swift names generated code uses unqualified; IDL types may not shadow them.
    static let reservedTypeNames: Set<String> = [
        "Int", "UInt", "Int8", "UInt8", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64", "Float",
        "Double", "Bool", "String", "Void", "Array", "Optional", "Error", "Sendable", "Hashable", "Equatable",
        "Handle", "XDRQuadruple", "XDRIndirect", "XDRReader", "XDRWriter", "XDRError", "XDRCodable",
        "XDRDispatch", "RPCError", "RPCCallContext", "RPCClientTransport", "RPCServiceDispatcher",
        "ProcedureID", "CallOptions", "WireLayout", "CaseIterable", "Transport", "Service", "Swift",
        "CrossbitCore", "Self", "Type", "Protocol", "Any",
    ]
}
