// The libFuzzer target for the loaders of user files (TESTING.md, "Fuzzing").
//
// Built with `-Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING -Xcc -DONBOARD_FUZZING` (scripts/fuzz.sh) this hands
// control to libFuzzer, which calls `FuzzTarget.run` with each input it makes. A plain build (what `swift build` makes)
// replays inputs given as files instead, so a crash the fuzzer found runs again under a debugger, and the target
// always compiles:
//
//     swift run onboard-fuzz .build-fuzz/artifacts/crash-1234abcd
import CLibFuzzer
import Foundation

@main
enum Entry {
    static func main() {
        #if FUZZING
            var count = CommandLine.argc
            var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(
                onboard_fuzz_run_driver(&count, &arguments) { data, size in
                    FuzzTarget.run(UnsafeRawBufferPointer(start: data, count: size))
                    return 0
                })
        #else
            replay(CommandLine.arguments.dropFirst())
        #endif
    }

    /// Runs each input file once, as the fuzzer would.
    static func replay(_ inputs: ArraySlice<String>) {
        if inputs.isEmpty {
            FileHandle.standardError.write(Data("usage: onboard-fuzz INPUT...  (replays fuzz inputs; TESTING.md)\n".utf8))
            exit(2)
        }
        for path in inputs {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("onboard-fuzz: cannot read \(path)\n".utf8))
                exit(2)
            }
            data.withUnsafeBytes { FuzzTarget.run($0) }
            print("\(path): ok")
        }
    }
}
