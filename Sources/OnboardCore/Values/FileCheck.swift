import Foundation

/// Checks made before a file a user named is opened: it must be a regular file (not a directory, a FIFO that
/// never ends, or `/dev/zero`, which would be read forever), and a file read whole must not be huge.
enum FileCheck {
    /// Throws unless `path` names a regular file (after following symbolic links).
    static func requireRegularFile(_ path: String, what: String) throws(DiagnosticList) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = errno == ENOENT ? "no such file" : String(cString: strerror(errno))
            throw DiagnosticList([Diagnostic(file: path, line: nil, field: nil, message: "cannot read the \(what) (\(reason))")])
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw DiagnosticList([
                Diagnostic(file: path, line: nil, field: nil, message: "cannot read the \(what): not a regular file")
            ])
        }
    }

    /// The bytes of `path`, refused above `limit` bytes.
    static func contents(of path: String, limit: Int) throws(DiagnosticList) -> Data {
        try requireRegularFile(path, what: "file")
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            // One byte past the limit is enough to know the file is too large, without reading all of it.
            data = try handle.read(upToCount: limit + 1) ?? Data()
        } catch {
            throw DiagnosticList([Diagnostic(file: path, line: nil, field: nil, message: "cannot read the file")])
        }
        guard data.count <= limit else {
            throw DiagnosticList([
                Diagnostic(
                    file: path, line: nil, field: nil,
                    message: "the file is larger than \(limit.bytes), the most onboard reads whole")
            ])
        }
        return data
    }
}
