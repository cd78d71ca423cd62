@preconcurrency import Dispatch
import Foundation
import OnboardCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Ctrl-C / SIGTERM: the first asks runs to stop starting requests, finish the one in flight and commit (they
/// then return `interrupted`, exit 130); a second, or 15 s without stopping, exits 130 at once (a request still in
/// flight is then in doubt, which the next resume reconciles).
/// `@unchecked`: the signal sources are only touched in `init` and `cancel`, by the task that owns the trap.
final class SignalTrap: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(shutdown: ShutdownSignal, reporter: Reporter) {
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if shutdown.isRequested {
                    _exit(130)
                }
                shutdown.request()
                if !reporter.json {
                    FileHandle.standardError.write(
                        Data("\nstopping: finishing the request in flight and saving (Ctrl-C again to quit now)\n".utf8))
                }
                DispatchQueue.global().asyncAfter(deadline: .now() + 15) { _exit(130) }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func cancel() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
