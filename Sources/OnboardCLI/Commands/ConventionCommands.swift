import ArgumentParser
import Foundation
import OnboardCore

/// The release of this build of onboard (`onboard --version`, `onboard version`).
public enum OnboardVersion {
    public static let string = "0.2.0"
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print the version of onboard (the same as --version).")

    @Flag(help: "Print one JSON document.")
    var json = false

    func run() {
        if json {
            print(JSONValue.object(["version": .string(OnboardVersion.string)]).prettyString())
        } else {
            print(OnboardVersion.string)
        }
    }
}

struct CompletionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completions",
        abstract: "Print a shell completion script (bash, zsh or fish).",
        discussion: """
            Install it once:
              onboard completions bash > ~/.local/share/bash-completion/completions/onboard
              onboard completions zsh > ~/.zfunc/_onboard
                # and fpath+=(~/.zfunc) in ~/.zshrc
              onboard completions fish > ~/.config/fish/completions/onboard.fish
            """)

    @Argument(help: "bash, zsh or fish.")
    var shell: String

    func validate() throws {
        guard CompletionShell(rawValue: shell) != nil else { throw ValidationError("the shell must be bash, zsh or fish (got \(shell)).") }
    }

    func run() {
        print(Onboard.completionScript(for: CompletionShell(rawValue: shell)!))
    }
}
