import Foundation
import OnboardCore

/// A fresh folder for files a test writes, removed at the end of `with`.
struct TemporaryFolder {
    let url: URL

    var path: String { url.path }

    static func with<T>(_ body: (TemporaryFolder) async throws -> T) async throws -> T {
        let folder = try make()
        defer { try? FileManager.default.removeItem(at: folder.url) }
        return try await body(folder)
    }

    static func with<T>(_ body: (TemporaryFolder) throws -> T) throws -> T {
        let folder = try make()
        defer { try? FileManager.default.removeItem(at: folder.url) }
        return try body(folder)
    }

    private static func make() throws -> TemporaryFolder {
        // Resolved, so paths in diagnostics compare equal to the ones the test builds (/tmp may be a link).
        let base = URL(fileURLWithPath: FileManager.default.temporaryDirectory.resolvingSymlinksInPath().path)
        let url = base.appendingPathComponent("onboard-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return TemporaryFolder(url: url)
    }

    /// Writes `text` (or `bytes`) at `name` (folders created) and returns the file's path.
    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        try write(Data(text.utf8), to: name)
    }

    @discardableResult
    func write(_ data: Data, to name: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
        return file.path
    }
}

/// The diagnostics `body` throws, as the lines a user reads; empty when it throws none.
func diagnostics(_ body: () throws -> Void) -> [String] {
    do {
        try body()
        return []
    } catch let error as DiagnosticList {
        return error.diagnostics.map(\.description)
    } catch {
        return ["unexpected error: \(error)"]
    }
}

