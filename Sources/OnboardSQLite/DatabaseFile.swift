// Creating the database file with a umask-independent mode before SQLite opens it.
import Foundation
import OnboardCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

enum DatabaseFile {
    /// Creates an empty database file readable and writable by its owner only, unless one exists. SQLite gives
    /// its `-wal` and `-shm` files the main file's mode, so they follow.
    static func createIfMissing(_ path: String) throws {
        let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            let code = errno
            if code == EEXIST { return }
            throw StoreError(.io, "cannot create the database file \(path): \(String(cString: strerror(code)))")
        }
        defer { close(descriptor) }
        // The umask may have taken bits away from 0600 (never added any); set the mode exactly.
        guard fchmod(descriptor, 0o600) == 0 else {
            let code = errno
            throw StoreError(.io, "cannot set mode 0600 on \(path): \(String(cString: strerror(code)))")
        }
        // Make the new directory entry durable, so the first committed checkpoint cannot lose its file.
        let folder = (path as NSString).deletingLastPathComponent
        let folderDescriptor = open(folder.isEmpty ? "." : folder, O_RDONLY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            _ = fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }

    /// Gives the `-wal` and `-shm` files the main file's permission bits (SQLite already does when it creates
    /// them; this also covers files left behind by another program).
    static func matchCompanionModes(_ path: String) throws {
        var main = stat()
        guard stat(path, &main) == 0 else { return }
        let mode = main.st_mode & 0o777
        for suffix in ["-wal", "-shm"] {
            var companion = stat()
            guard stat(path + suffix, &companion) == 0, companion.st_mode & 0o777 != mode else { continue }
            guard chmod(path + suffix, mode) == 0 else {
                let code = errno
                throw StoreError(.io, "cannot set the mode of \(path + suffix): \(String(cString: strerror(code)))")
            }
        }
    }
}
