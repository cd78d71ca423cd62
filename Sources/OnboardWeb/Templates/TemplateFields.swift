import Mustache

/// A page model that Mustache reads field by field through a table of key paths instead of reflection.
///
/// ```swift
/// extension ErrorPage: TemplateFields {
///     static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
///         "layout": \.layout, "heading": \.heading, "message": \.message,
///     ]
/// }
/// ```
///
/// A nil optional reads as absent, as with reflection: Mustache then looks the name up in the enclosing models,
/// which is why an optional field's name is used by no enclosing model.
protocol TemplateFields: MustacheParent {
    static var fields: [String: any PartialKeyPath<Self> & Sendable] { get }
}

extension TemplateFields {
    func child(named name: String) -> Any? {
        guard let path = Self.fields[name] else { return nil }
        let value = self[keyPath: path]
        if let optional = value as? any OptionalField { return optional.wrappedField }
        return value
    }
}

/// Unwraps an optional that came back as `Any` from a key path.
protocol OptionalField {
    var wrappedField: Any? { get }
}

extension Optional: OptionalField {
    var wrappedField: Any? { self.map { $0 as Any } }
}

extension TemplateFields {
    /// The names Mustache can read (for the test that compares them with the stored properties).
    static var fieldNames: [String] { Array(fields.keys) }
}
