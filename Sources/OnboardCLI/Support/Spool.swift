import Foundation

/// Text written now and printed later, kept in a temporary file that is unlinked as soon as it is open, so that
/// holding it costs no memory however long it grows and nothing is left on disk however the process ends.
///
/// `plan --json` on a manifest prints one object per item inside a document whose totals are known only at the
/// end; held as values, 100,000 items took 170 MB.
final class Spool {
    private let handle: FileHandle
    private var pending: [UInt8] = []
    private static let chunk = 1 << 16

    init() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("onboard-\(UUID().uuidString).spool").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let folder = FileManager.default.temporaryDirectory.path
            throw CLIError(message: "cannot create a temporary file in \(folder): \(String(cString: strerror(errno)))", status: .failed)
        }
        unlink(path)
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    func append(_ text: String) throws {
        pending.append(contentsOf: text.utf8)
        if pending.count >= Self.chunk { try flush() }
    }

    /// Writes everything appended to standard output, after what `print` has buffered so far.
    func copyToStandardOutput() throws {
        try flush()
        fflush(nil)
        try handle.seek(toOffset: 0)
        while let data = try handle.read(upToCount: Self.chunk), !data.isEmpty {
            try FileHandle.standardOutput.write(contentsOf: data)
        }
    }

    private func flush() throws {
        guard !pending.isEmpty else { return }
        try handle.write(contentsOf: pending)
        pending.removeAll(keepingCapacity: true)
    }
}
