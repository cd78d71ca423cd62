import ArgumentParser
import Foundation
import OnboardCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Flags of the commands that may buy: what to print and ask before the first request.
struct SpendOptions: ParsableArguments {
    @Flag(help: "Do not ask before buying (scripts and CI never get asked anyway: only a terminal does).")
    var yes = false

    @Option(help: ArgumentHelp("On a terminal, ask before starting when more than N purchases may be made.", valueName: "n"))
    var confirmAbove: Int = 1

    @Option(
        help: ArgumentHelp(
            "The most numbers this batch (or run) may ever buy, across every rerun and process; kept in the database (a manifest may set max_purchases).",
            valueName: "n"))
    var maxPurchases: Int?

    func validate() throws {
        guard confirmAbove >= 0 else { throw ValidationError("--confirm-above must not be negative (got \(confirmAbove)).") }
        if let maxPurchases, maxPurchases < 0 {
            throw ValidationError("--max-purchases must not be negative (got \(maxPurchases)).")
        }
    }
}

/// Says what an invocation may buy before it sends anything, and on a terminal asks first, like `terraform apply`.
enum SpendGuard {
    /// Prints the estimate (text: a line; `--json`: a JSON line on stderr) and, when standard input and output are
    /// a terminal and more than `--confirm-above` purchases may be made, asks; returns only on "yes".
    ///
    /// - Throws: `CLIError` (exit 1, nothing sent) when the answer is anything but yes.
    static func confirm(_ estimate: SpendEstimate, options: SpendOptions, json: Bool) throws {
        let text = "this may make \(estimate.purchases) purchase\(estimate.purchases == 1 ? "" : "s") and "
            + "\(estimate.creates) other create\(estimate.creates == 1 ? "" : "s") (\(estimate.items) item\(estimate.items == 1 ? "" : "s") "
            + "to run; what is done is not bought again, what is in doubt is looked up first)"
        if json {
            let line: JSONValue = [
                "event": "plan", "purchases": .int(estimate.purchases), "creates": .int(estimate.creates),
                "items": .int(estimate.items),
            ]
            FileHandle.standardError.write(Data((line.canonicalString() + "\n").utf8))
        } else {
            print(text)
        }
        guard !options.yes, estimate.purchases > options.confirmAbove, isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1
        else { return }
        print("Do you want to buy up to \(estimate.purchases) number\(estimate.purchases == 1 ? "" : "s")? Only 'yes' will be accepted: ", terminator: "")
        fflush(nil)
        let answer = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces).lowercased()
        guard answer == "yes" else {
            throw CLIError(message: "not confirmed ('\(answer ?? "")'): nothing was sent, nothing bought", status: .failed)
        }
    }
}
