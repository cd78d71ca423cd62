import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn` and reaped by a thread of its own.
///
/// Why not Foundation's `Process`: on Linux, `Process.run()` finds the highest open descriptor by copying each
/// `/proc/self/fd` entry's whole 256-byte `d_name` out of readdir's buffer, though an entry is only as long as its
/// name. Once the test process holds about 1,350 descriptors (many simulators, clients and databases at once), the
/// last entry of a full 32 KiB buffer sits near its end, the copy reads past the allocation, and the suite dies of
/// SIGSEGV now and then (CI, 2026-12-01: registers holding "1363" and "1364"). Taking a lock around `run()` did not
/// help, because the fault needs no second spawner. swift-subprocess would avoid it too, but its structured `run`
/// cannot hand a running child to code that stops, continues and kills it later, which these tests need.
///
/// The child gets stdin, stdout and stderr (`/dev/null` where none is given), every other descriptor closed
/// (`posix_spawn_file_actions_addclosefrom_np`), an empty signal mask and a process group of its own, as
/// `Process` gave it.
final class ChildProcess: Sendable {
    struct Exit: Sendable, Equatable {
        /// The exit status, or the signal's number when `signalled`.
        var status: Int32
        var signalled: Bool
    }

    enum SpawnError: Error, CustomStringConvertible {
        case failed(executable: String, errno: Int32)
        case unsupported(String)

        var description: String {
            switch self {
            case .failed(let executable, let number): "cannot start \(executable): \(String(cString: strerror(number)))"
            case .unsupported(let what): "this C library lacks \(what) (glibc 2.34 or later has it)"
            }
        }
    }

    let pid: pid_t
    private let state = Locked(State())

    private struct State: Sendable {
        var exit: Exit?
        var waiters: [CheckedContinuation<Exit, Never>] = []
    }

    /// Starts `executable` with `arguments`; `environment` nil keeps this process's, `directory` nil its folder.
    init(
        executable: String, arguments: [String], environment: [String: String]? = nil, directory: URL? = nil,
        stdin: FileHandle? = nil, stdout: FileHandle? = nil, stderr: FileHandle? = nil
    ) throws {
        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard devNull >= 0 else { throw SpawnError.failed(executable: "/dev/null", errno: errno) }
        defer { close(devNull) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, handle) in [(STDIN_FILENO, stdin), (STDOUT_FILENO, stdout), (STDERR_FILENO, stderr)] {
            posix_spawn_file_actions_adddup2(&actions, handle?.fileDescriptor ?? devNull, target)
        }
        if let directory {
            guard let addchdir = Self.addchdir else { throw SpawnError.unsupported("posix_spawn_file_actions_addchdir_np") }
            _ = directory.path.withCString { addchdir(&actions, $0) }
        }
        guard let addclosefrom = Self.addclosefrom else { throw SpawnError.unsupported("posix_spawn_file_actions_addclosefrom_np") }
        _ = addclosefrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let pairs = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let envp = pairs.map { strdup($0) } + [nil]
        defer { for pointer in envp { free(pointer) } }

        var spawned = pid_t()
        let result = posix_spawn(&spawned, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw SpawnError.failed(executable: executable, errno: result) }
        let pid = spawned
        self.pid = pid

        let state = self.state
        let reaper = Thread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1, errno == EINTR {}
            let signalled = (status & 0x7f) != 0 && (status & 0x7f) != 0x7f
            let exit = Exit(status: signalled ? status & 0x7f : (status >> 8) & 0xff, signalled: signalled)
            let waiters = state.withLock { value in
                value.exit = exit
                defer { value.waiters = [] }
                return value.waiters
            }
            for waiter in waiters { waiter.resume(returning: exit) }
        }
        reaper.name = "reaper \(pid)"
        reaper.start()
    }

    var isRunning: Bool { state.withLock { $0.exit == nil } }

    /// Sends `number` to the child, unless it has already been reaped (its pid could belong to another process).
    func signal(_ number: Int32) {
        state.withLock { value in
            if value.exit == nil { _ = kill(pid, number) }
        }
    }

    /// Resumes once the child has exited and been reaped (at once if it has); can be called more than once.
    func exited() async -> Exit {
        await withCheckedContinuation { continuation in
            let done: Exit? = state.withLock { value in
                if let exit = value.exit { return exit }
                value.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    // glibc declares these only under _GNU_SOURCE, which Swift's Glibc module is not built with.
    private typealias FileActionsAddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    private typealias FileActionsAddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32

    private static let addclosefrom: FileActionsAddCloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
    private static let addchdir: FileActionsAddChdir? = symbol("posix_spawn_file_actions_addchdir_np")

    private static func symbol<Function>(_ name: String) -> Function? {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(address, to: Function.self)
    }
}
