import Foundation
import OnboardCore
import Testing

/// Headless Chromium loads `/`, the demo batch's page and the in-doubt run's page from a real `onboard serve`
/// server, and the rendered DOM (`--dump-dom`) is checked: run ids, statuses, the resolve command, the hostile
/// account name as text. Screenshots go to `.build/screenshots/` (ignored by git). Without a chromium that
/// starts, the test says why and skips; CI installs Debian's `chromium` first (`.ci/run`).
@Suite("onboard serve: in a real browser", .serialized)
struct BrowserTests {
    @Test func chromiumRendersTheIndexBatchAndRunPages() async throws {
        guard let chromium = Chromium.find() else {
            print("skipped: no chromium on PATH (apt-get install -y chromium; .ci/run installs it)")
            return
        }
        let demo = try await DemoBatch.shared()
        let shots = Harness.root.appendingPathComponent(".build/screenshots")
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        try await WebFixture.withServer(dbPath: demo.dbPath, findWorkflow: { _ in demo.workflowPath }) { client in
            let index: String
            do {
                index = try await chromium.dumpDOM(client.base + "/")
            } catch let error as ChromiumError where error.couldNotStart {
                print("skipped: chromium cannot start here: \(error)")
                return
            }
            #expect(index.contains("/runs/\(demo.inDoubtRunID)"))
            #expect(index.contains("/runs/\(demo.failedAccountRunID)"))
            #expect(index.contains(#"<span class="badge st-in_doubt">in doubt</span>"#))
            #expect(index.contains(#"<span class="badge st-failed">failed</span>"#))
            // The browser parsed the hostile name as text: serialised back escaped, and no such element exists.
            #expect(index.contains(WebPageTests.escapedKey))
            #expect(!index.contains(DemoBatch.hostile))
            #expect(!index.contains("<b>route</b>"))

            let batch = try await chromium.dumpDOM(client.base + "/batches/\(demo.batchID)")
            #expect(batch.contains("<strong>50%</strong> done · 4 of 8 items"))
            #expect(batch.contains("globex/ann@globex.example"))
            #expect(batch.contains(WebPageTests.escapedKey + "/eve@example.com"))
            #expect(!batch.contains("<img"))

            let run = try await chromium.dumpDOM(client.base + "/runs/\(demo.inDoubtRunID)")
            #expect(run.contains(#"id="run-status">in doubt</span>"#))
            #expect(run.contains("onboard resolve \(demo.inDoubtRunID) subscriber --happened --set subscriber_id=VALUE --db \(demo.dbPath)"))
            #expect(run.contains("onboard resolve \(demo.inDoubtRunID) subscriber --not-happened --db \(demo.dbPath)"))

            for (name, path, height) in [
                ("index", "/", 900), ("batch", "/batches/\(demo.batchID)", 1100), ("run", "/runs/\(demo.inDoubtRunID)", 1500),
            ] {
                let file = shots.appendingPathComponent("\(name).png").path
                try await chromium.screenshot(client.base + path, to: file, width: 1280, height: height)
                let size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? 0
                #expect(size > 10_000, "\(file) is \(size) bytes")
                print("screenshot: \(file)")
            }
        }
    }
}

/// Debian's headless Chromium, run as a subprocess with its output in files (not pipes; see Subprocess.swift).
struct Chromium: Sendable {
    let path: String

    static func find() -> Chromium? {
        let names = ["chromium", "chromium-browser", "google-chrome"]
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map(String.init)
        for folder in folders {
            for name in names where FileManager.default.isExecutableFile(atPath: folder + "/" + name) {
                return Chromium(path: folder + "/" + name)
            }
        }
        return nil
    }

    func dumpDOM(_ url: String) async throws -> String {
        let result = try await run(["--dump-dom", url])
        guard result.status == 0, result.stdout.contains("<html") else {
            throw ChromiumError(status: result.status, stderr: result.stderr, couldNotStart: result.status != 0 && result.stdout.isEmpty)
        }
        return result.stdout
    }

    func screenshot(_ url: String, to file: String, width: Int, height: Int) async throws {
        try? FileManager.default.removeItem(atPath: file)
        let result = try await run(["--screenshot=\(file)", "--window-size=\(width),\(height)", "--hide-scrollbars", url])
        guard result.status == 0, FileManager.default.fileExists(atPath: file) else {
            throw ChromiumError(status: result.status, stderr: result.stderr, couldNotStart: false)
        }
    }

    /// Runs chromium with a profile folder of its own (no lock shared with another instance), killed after 120 s.
    private func run(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("stdout"), err = folder.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let child: ChildProcess
        do {
            child = try ChildProcess(
                executable: path,
                arguments: [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                    "--user-data-dir=\(folder.appendingPathComponent("profile").path)",
                ] + arguments,
                stdout: try FileHandle(forWritingTo: out), stderr: try FileHandle(forWritingTo: err))
        } catch {
            throw ChromiumError(status: -1, stderr: "\(error)", couldNotStart: true)
        }
        let deadline = Task {
            try await Task.sleep(for: .seconds(120))
            child.signal(SIGKILL)
        }
        let status = await child.exited().status
        deadline.cancel()
        let read = { (url: URL) in (try? String(contentsOf: url, encoding: .utf8)) ?? "" }
        return (status, read(out), read(err))
    }
}

struct ChromiumError: Error, CustomStringConvertible {
    var status: Int32
    var stderr: String
    var couldNotStart: Bool
    var description: String { "chromium exited \(status): \(stderr.suffix(2_000))" }
}
