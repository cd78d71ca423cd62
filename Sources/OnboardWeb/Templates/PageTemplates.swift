import Mustache

/// The Mustache templates of the pages, embedded as strings so the `onboard` binary needs no file beside it, and
/// parsed once per process.
///
/// ```swift
/// let html = PageTemplates.render(page, "run")   // page: a RunPage
/// ```
///
/// Page models are plain structs read by Mustache through reflection. Two rules keep them safe to render:
/// values are written with `{{name}}` only (HTML-escaped), and an optional field has a name no enclosing model
/// uses, because Mustache looks a missing (nil) name up in the enclosing contexts.
enum PageTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        let templates = [
            "header": LayoutTemplates.header, "footer": LayoutTemplates.footer, "error": LayoutTemplates.error,
            "index": IndexTemplate.text, "batch": BatchTemplate.text, "run": RunTemplate.text,
        ]
        for (name, text) in templates {
            do {
                try library.register(text, named: name)
            } catch {
                preconditionFailure("the embedded template \(name) does not parse: \(error)")
            }
        }
        return library
    }()

    static func render(_ page: Any, _ name: String) -> String {
        guard let html = library.render(page, withTemplate: name) else {
            preconditionFailure("no embedded template named \(name)")
        }
        return html
    }
}

/// The model of the error page.
struct ErrorPage: Sendable {
    var layout: Layout
    var heading: String
    var message: String
}
