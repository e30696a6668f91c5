/// The two path operations the front end needs, on plain strings: it
/// imports FoundationEssentials, which has no `NSString` path methods, so
/// that the broker linking it need not load all of Foundation and its ICU data.
enum Path {
    /// Everything before the last `/` ("" for a bare name, "/" for a file at the root).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Everything after the last `/`.
    static func lastComponent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
