import Foundation

/// Finds the files onboard ships beside its source (`workflows/`, `examples/`): in the current directory first,
/// then upwards from the executable (which lives in `.build/<config>/` of a checkout).
enum Locator {
    static func workflow(_ nameOrPath: String) -> String? {
        if nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") || nameOrPath.contains("/") {
            return FileManager.default.fileExists(atPath: nameOrPath) ? nameOrPath : nil
        }
        return find("workflows/\(nameOrPath).yaml")
    }

    static func find(_ relative: String) -> String? {
        var candidates = [FileManager.default.currentDirectoryPath]
        var directory = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(directory.path)
            directory.deleteLastPathComponent()
        }
        for candidate in candidates {
            let path = URL(fileURLWithPath: candidate).appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }
}
