/// Finds the name someone probably meant when they misspelt one: the IDL
/// checker's types, `crossbit call`'s and the broker's program, version and
/// procedure names all suggest through here, so that "did you mean" follows
/// one rule everywhere.
public enum CloseMatch {
    /// The candidate nearest to `name` (edit distance, ignoring case), when
    /// it is near enough to be a slip: at most one edit in three characters,
    /// and at least one. Ties go to the earlier candidate.
    public static func suggestion(for name: String, among candidates: some Sequence<String>) -> String? {
        let wanted = Array(name.lowercased().unicodeScalars)
        let allowed = max(1, wanted.count / 3)
        var best: (name: String, distance: Int)?
        for candidate in candidates where candidate != name {
            let distance = editDistance(wanted, Array(candidate.lowercased().unicodeScalars), limit: allowed)
            if distance <= allowed, distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        return best?.name
    }

    /// " (did you mean 'string'?)" or "" when nothing is close.
    public static func didYouMean(_ name: String, among candidates: some Sequence<String>) -> String {
        suggestion(for: name, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// Levenshtein distance, or more than `limit` as soon as it must exceed it.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int) -> Int {
        guard abs(a.count - b.count) <= limit else { return limit + 1 }
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            if current.allSatisfy({ $0 > limit }) { return limit + 1 }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
