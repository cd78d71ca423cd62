import Foundation
import OnboardCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Colour for people, never for pipes: on only when stdout is a terminal, `NO_COLOR` is unset
/// (https://no-color.org) and `--no-color` was not given.
struct Style {
    enum Color: String {
        case green = "32"
        case red = "31"
        case yellow = "33"
        case dim = "2"
    }

    let enabled: Bool

    init(_ global: GlobalOptions, environment: [String: String] = ProcessInfo.processInfo.environment) {
        enabled = isatty(STDOUT_FILENO) == 1 && !global.json && !global.noColor && (environment["NO_COLOR"] ?? "").isEmpty
    }

    func apply(_ color: Color?, _ text: String) -> String {
        guard enabled, let color else { return text }
        return "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m"
    }

    func status(_ status: RunStatus) -> Color? {
        switch status {
        case .done: return .green
        case .failed: return .red
        case .inDoubt, .interrupted: return .yellow
        case .pending, .running: return nil
        }
    }

    func step(_ status: StepStatus) -> Color? {
        switch status {
        case .done: return .green
        case .failed: return .red
        case .inDoubt: return .yellow
        case .skipped: return .dim
        case .pending, .running: return nil
        }
    }
}

/// Columns padded to their widest cell, with a header; colour applied after padding so it never shifts them.
final class TextTable {
    private let columns: [String]
    private var rows: [([String], [Style.Color?])] = []

    init(columns: [String]) { self.columns = columns }

    func add(_ cells: [String], styles: [Style.Color?] = []) {
        rows.append((cells, styles))
    }

    func render(_ style: Style) -> String {
        var widths = columns.map(\.count)
        for (cells, _) in rows {
            for (index, cell) in cells.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String], _ styles: [Style.Color?]) -> String {
            cells.enumerated().map { index, cell in
                let padded = index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                return style.apply(index < styles.count ? styles[index] : nil, padded)
            }.joined(separator: "  ")
        }
        return ([line(columns, [])] + rows.map { line($0.0, $0.1) }).joined(separator: "\n")
    }
}

/// `2026-12-01 14:03:07` in local time: what a table shows.
func shortTime(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
    return formatter.string(from: date)
}
