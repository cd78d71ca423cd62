import Foundation

/// Where a manifest's `subscribers_csv` may point: beside the manifest, unless the user says otherwise.
///
/// The path is relative to the manifest's folder. After `..` and symbolic links are resolved it must still lie
/// inside that folder, so a manifest someone else wrote cannot make onboard read `../../../etc/shadow` or a link
/// to it. `--allow-csv-outside-manifest-dir` (`Manifest.load(path:allowCSVOutside:)`) lifts the rule.
enum CSVLocation {
    struct Location {
        /// The resolved path, which is opened.
        var path: String
        /// The path as the manifest wrote it, joined to the manifest's folder: what diagnostics show.
        var shown: String
    }

    struct Problem: Error {
        var message: String
    }

    static func resolve(_ written: String?, manifest: String, allowOutside: Bool) -> Result<Location, Problem> {
        guard let written, !written.isEmpty else { return .failure(Problem(message: "must be a file name")) }
        let folderURL = URL(fileURLWithPath: manifest).deletingLastPathComponent().standardized
        let shown = written.hasPrefix("/") ? written : folderURL.appendingPathComponent(written).standardized.path
        guard let folder = realPath(folderURL.path) else {
            return .failure(Problem(message: "cannot resolve the manifest's folder"))
        }
        let outside = Problem(
            message: "'\(written)' is outside the manifest's folder (\(folder)); keep subscriber lists beside the "
                + "manifest, or pass --allow-csv-outside-manifest-dir")
        // First as written (`..` removed), so a path outside is refused whether or not it exists...
        let lexical = URL(fileURLWithPath: shown).standardized.path
        if !allowOutside && !isInside(lexical, folderURL.path) && !isInside(lexical, folder) { return .failure(outside) }
        guard let resolved = realPath(shown) else {
            return .failure(Problem(message: "cannot read the CSV file '\(written)' (no such file)"))
        }
        // ...then with symbolic links followed, so a link beside the manifest cannot lead out of its folder.
        if !allowOutside && !isInside(resolved, folder) { return .failure(outside) }
        return .success(Location(path: resolved, shown: shown))
    }

    private static func isInside(_ path: String, _ folder: String) -> Bool {
        path == folder || path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/")
    }

    /// `path` with `.`, `..` and every symbolic link resolved; nil when it does not exist.
    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// The header of a subscriber CSV: which column is which field.
///
/// Every column must be one a subscriber takes (`key` and the manifest's shorthand: `name`, `email`, …), each once.
/// A file whose first line names none of them is not a subscriber list, and is refused with one error that
/// quotes nothing from it: a manifest pointing at some other file must not print that file, line by line.
enum CSVColumns {
    static func check(_ header: CSVReader.Row, file: String) throws(DiagnosticList) -> [String] {
        let known = Set(Manifest.shorthand.keys).union(["key"])
        let columns = header.fields
        func refuse(_ message: String) -> DiagnosticList {
            DiagnosticList([Diagnostic(file: file, line: header.line, field: nil, message: message)])
        }
        let names = (["key"] + Manifest.shorthand.keys.sorted()).joined(separator: ", ")
        guard columns.contains(where: known.contains) else {
            throw refuse(
                "not a subscriber list: its first line must name the columns (\(names)); none of its "
                    + "\(columns.count) column\(columns.count == 1 ? "" : "s") is one of them")
        }
        var unknown: [String] = []
        var seen: Set<String> = []
        for (index, column) in columns.enumerated() {
            if known.contains(column) {
                if !seen.insert(column).inserted { throw refuse("column '\(column)' appears twice in the header") }
            } else {
                // A name is shown only when it looks like one; anything else is named by its position.
                let looksLikeAName = column.utf8.count <= 40
                    && column.unicodeScalars.allSatisfy { scalar in
                        scalar.properties.isAlphabetic || scalar.properties.numericType != nil
                            || "_- ".unicodeScalars.contains(scalar)
                    }
                unknown.append(looksLikeAName && !column.isEmpty ? "'\(column)'" : "number \(index + 1)")
            }
        }
        if !unknown.isEmpty {
            let listed = unknown.prefix(5).joined(separator: ", ") + (unknown.count > 5 ? ", …" : "")
            throw refuse("unknown column\(unknown.count == 1 ? "" : "s") \(listed) (the columns are: \(names))")
        }
        return columns
    }
}
