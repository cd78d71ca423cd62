import Foundation
import OnboardCore
import OnboardRuntime
import OnboardSQLite
@testable import OnboardWeb
import Testing

/// Mustache reads page models through their `fields` tables (`PageModels+TemplateFields.swift`), not reflection:
/// a stored property missing from its table would silently render as nothing. Every model reached from the demo
/// batch's pages is compared with what reflection sees.
@Suite("onboard serve: template field tables")
struct TemplateFieldsTests {
    /// Walks `value` and everything in it; records every model whose table differs from its stored properties.
    func check(_ value: Any, path: String, seen: inout Set<String>) {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {  // look inside; `as?` would unwrap it silently
            for child in mirror.children { check(child.value, path: path, seen: &seen) }
            return
        }
        if let model = value as? any TemplateFields {
            let type = String(reflecting: Swift.type(of: value))
            let labels = Set(mirror.children.compactMap(\.label))
            let listed = Set(Swift.type(of: model).fieldNames)
            #expect(labels == listed, "\(type) at \(path): missing \(labels.subtracting(listed)), extra \(listed.subtracting(labels))")
            seen.insert(type)
        }
        for (index, child) in mirror.children.enumerated() {
            check(child.value, path: path + "." + (child.label ?? String(index)), seen: &seen)
        }
    }

    @Test func everyStoredPropertyIsInItsTable() async throws {
        let demo = try await DemoBatch.shared()
        let store = try SQLiteCheckpointStore(path: demo.dbPath)
        defer { try? store.close() }
        let context = PageContext(
            store: store,
            configuration: WebConfiguration(database: .sqlite(path: demo.dbPath), findWorkflow: { _ in demo.workflowPath }))
        var seen: Set<String> = []
        let index = try await IndexPage.build(IndexPage.Query(QueryParameters("limit=2"), pageSize: 50), context: context)
        check(index, path: "index", seen: &seen)
        check(try #require(try await BatchPage.build(id: demo.batchID, offset: 0, context: context)), path: "batch", seen: &seen)
        for id in [demo.inDoubtRunID, demo.failedAccountRunID, Runner.runID(forKey: "acme")] {
            check(try #require(try await RunPage.build(id: id, context: context)), path: "run", seen: &seen)
        }
        let banner = LiveBanner(requests: "1", requestsPerMinute: 2, waiting: 3, elapsed: "4 s", liveBatchLink: "/b")
        let layout = Layout(title: "t", database: "d", generated: "g", live: true, refreshSeconds: 2, banner: banner)
        check(ErrorPage(layout: layout, heading: "h", message: "m"), path: "error", seen: &seen)
        #expect(seen.count == 21, "\(seen.sorted())")  // every model of PageModels+TemplateFields.swift
    }
}
