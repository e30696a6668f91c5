/// How every error of the runtime and of the codecs over it writes where in a value it happened: field names
/// joined by dots, elements (`[3]`) without, as `list.items[3].size`.
///
/// ``XDRError`` and ``CViewError`` keep their paths as arrays of components, as does CrossbitDynamic's error
/// for JSON; each formats its path here, so that the same place in a value reads the same in every message.
public enum FieldPath {
    /// The components, outermost first, as one string: `["list", "items", "[3]", "size"]` is
    /// `list.items[3].size`.
    public static func description(of components: [String]) -> String {
        var text = ""
        for component in components {
            if !text.isEmpty, !component.hasPrefix("[") { text += "." }
            text += component
        }
        return text
    }
}
