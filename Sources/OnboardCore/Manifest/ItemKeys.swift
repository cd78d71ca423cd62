/// The keys of a manifest's items, built so that two items can never share one by accident.
///
/// An account's item key is `ACCOUNTKEY`; a subscriber's is `ACCOUNTKEY/SUBSCRIBERKEY`. The `/` is the separator,
/// so an account key never holds one:
///
/// - an explicit `key:` with a `/` is refused (`acme/west` would read as account `acme`'s subscriber `west`);
/// - a key derived from `account.name` encodes `/` as `%2F` and `%` as `%25` (`Acme/West 100%` →
///   `Acme%2FWest 100%25`), so a derived key never holds a raw `/` and two names never give one key.
///
/// Keys never hold control characters and are at most 256 characters. `ItemKeys.Registry` then checks the whole
/// manifest: two items with one key are reported at both places.
enum ItemKeys {
    static let maxLength = 256

    /// The account's key, or why it cannot have one.
    static func account(explicit: JSONValue?, name: String?) -> Result<String, KeyProblem> {
        if let explicit, explicit != .null {
            guard let key = explicit.stringValue, !key.isEmpty else { return .failure(.init(field: "key", message: "must be text")) }
            if key.contains("/") {
                return .failure(
                    .init(
                        field: "key",
                        message: "an account key cannot contain '/': it separates an account from its subscriber in "
                            + "item keys (acme/jane@acme.example)"))
            }
            return check(key, field: "key")
        }
        guard let name, !name.isEmpty else {
            return .failure(.init(field: "account.name", message: "an account needs account.name (or a key)"))
        }
        return check(encode(name), field: "account.name")
    }

    /// The subscriber's key under `account`: its explicit `key`, else its e-mail.
    static func subscriber(account: String, explicit: String?, email: String) -> Result<String, KeyProblem> {
        if let explicit {
            return check(explicit, field: "key").map { account + "/" + $0 }
        }
        return .success(account + "/" + email)
    }

    /// `%` → `%25`, `/` → `%2F`; everything else as written, so keys derived before this rule keep their value.
    static func encode(_ name: String) -> String {
        guard name.contains("/") || name.contains("%") else { return name }
        var result = ""
        for character in name {
            switch character {
            case "%": result += "%25"
            case "/": result += "%2F"
            default: result.append(character)
            }
        }
        return result
    }

    static func check(_ key: String, field: String) -> Result<String, KeyProblem> {
        if key.unicodeScalars.contains(where: TerminalText.needsEscape) {
            return .failure(.init(field: field, message: "a key cannot contain control characters"))
        }
        if key.unicodeScalars.count > maxLength {
            return .failure(.init(field: field, message: "a key is at most \(maxLength) characters"))
        }
        return .success(key)
    }

    struct KeyProblem: Error {
        var field: String
        var message: String
    }

    /// Every item key of a manifest with the place it was first used, to report a key used twice at both places.
    struct Registry {
        /// Files are kept once; places refer to them by index (a manifest may list 100,000 items).
        private var files: [String] = []
        private var fileIndexes: [String: Int] = [:]
        private var places: [String: (file: Int32, line: Int32)] = [:]

        /// Records `key` at `file:line`; returns the diagnostic when another item already has it.
        mutating func register(_ key: String, file: String, line: Int?, field: String?) -> Diagnostic? {
            let fileIndex: Int
            if let index = fileIndexes[file] {
                fileIndex = index
            } else {
                files.append(file)
                fileIndex = files.count - 1
                fileIndexes[file] = fileIndex
            }
            if let first = places[key] {
                let place = files[Int(first.file)] + (first.line > 0 ? ":\(first.line)" : "")
                return Diagnostic(
                    file: file, line: line, field: field, item: key,
                    message: "item key '\(key)' is used twice: also at \(place); give one of them another key")
            }
            places[key] = (Int32(fileIndex), Int32(clamping: line ?? 0))
            return nil
        }
    }
}
