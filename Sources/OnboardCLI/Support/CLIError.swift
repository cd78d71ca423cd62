import ArgumentParser
import Foundation
import OnboardCore
import TelegentClient

/// The exit codes scripts rely on (DESIGN.md section 5).
enum ExitStatus: Int32 {
    case done = 0
    case failed = 1
    case badInput = 2
    case inDoubt = 3
    /// Another live execution holds the run's lease.
    case busy = 4
    case interrupted = 130

    init(_ status: RunStatus) {
        switch status {
        case .done: self = .done
        case .inDoubt: self = .inDoubt
        case .interrupted: self = .interrupted
        case .failed, .pending, .running: self = .failed
        }
    }
}

/// An error the CLI reports with a message and an exit status; every command error ends up here.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    var status: ExitStatus

    var description: String { message }

    static func badInput(_ message: String) -> CLIError { CLIError(message: message, status: .badInput) }
}

extension CLIError {
    /// Maps errors of every module to what the user reads and the exit status, in one place.
    init(_ error: any Error) {
        switch error {
        case let error as CLIError: self = error
        case let error as DiagnosticList: self = .badInput(error.description)
        case let error as ChangedPinsError: self = .badInput(error.description)
        case let error as RunnerError:
            switch error {
            case .busy, .lockWait: self = CLIError(message: error.description, status: .busy)
            case .targetMismatch, .keyInUse: self = .badInput(error.description)
            case .leaseLost, .definitionMismatch: self = CLIError(message: error.description, status: .failed)
            }
        case let error as BaseURLError: self = .badInput(error.description)
        case let error as StoreError: self = CLIError(message: error.message, status: .failed)
        default: self = CLIError(message: "\(error)", status: .failed)
        }
    }
}
