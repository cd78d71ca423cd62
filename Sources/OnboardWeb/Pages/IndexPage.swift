import Foundation
import OnboardCore

/// `/`: the batches, then the runs newest first with their counts per status, filtered by status, batch and key,
/// one page at a time. Every list is a bounded query (`LIMIT`/`OFFSET` on an index), so the first view of a
/// database of 100,000 runs reads about a page of rows.
struct IndexPage: Sendable {
    struct StatusCount: Sendable {
        var status: String
        var label: String
        var count: String
        var link: String
        var selected: Bool
    }

    struct RunRow: Sendable {
        var id: String
        var link: String
        var key: String
        var kind: String
        var status: String
        var statusLabel: String
        var workflow: String
        var batchID: String?
        var batchLink: String?
        var updated: String
        var updatedAt: String
        var runError: String?
    }

    struct BatchRow: Sendable {
        var id: String
        var link: String
        var name: String
        var workflow: String
        var created: String
        var summary: String
    }

    struct Option: Sendable {
        var value: String
        var label: String
        var selected: Bool
    }

    struct Paging: Sendable {
        var from: String
        var to: String
        var total: String
        var previousLink: String?
        var nextLink: String?
    }

    var layout: Layout
    var filterStatus: String
    var filterBatch: String
    var filterKey: String
    var statusOptions: [Option]
    var isFiltered: Bool
    var batchNote: String?
    var counts: [StatusCount]
    var total: String
    var runs: [RunRow]
    var hasRuns: Bool
    var paging: Paging
    var batches: [BatchRow]
    var hasBatches: Bool

    /// The query of `/` and `/api/runs`: `status`, `batch` (an id, or part of a batch's name or manifest path),
    /// `key` (part of a run's key), `page` (from 1) or `offset`, `per` or `limit`.
    struct Query: Sendable {
        var status: RunStatus?
        var statusText: String?
        var batch: String?
        var key: String?
        var offset: Int
        var limit: Int

        init(_ parameters: QueryParameters, pageSize: Int) {
            statusText = parameters["status"]
            status = statusText.flatMap(RunStatus.init(rawValue:))
            batch = parameters["batch"]
            key = parameters["key"]
            limit = parameters.int("limit", in: 1...1_000, default: parameters.int("per", in: 1...1_000, default: pageSize))
            let page = parameters.int("page", in: 1...1_000_000, default: 1)
            offset = parameters.int("offset", in: 0...100_000_000, default: (page - 1) * limit)
        }
    }

    /// The store filter of `query`, with `batch` resolved to a batch id (a note says which batch was taken, or
    /// that none matched).
    static func filter(_ query: Query, context: PageContext) async throws -> (RunFilter, note: String?) {
        var filter = RunFilter(status: query.status, keyContains: query.key, newestFirst: true)
        guard let text = query.batch else { return (filter, nil) }
        filter.batchID = text
        guard let browsing = context.browsing, try await browsing.batch(id: text) == nil else { return (filter, nil) }
        for batch in try await browsing.batches(limit: 500, offset: 0) {
            let name = await context.batchName(batch)
            if name == text || batch.manifestPath.contains(text) {
                filter.batchID = batch.id
                return (filter, "batch \(batch.id) (\(name))")
            }
        }
        return (filter, "no batch has the id or name \(text)")
    }

    static func build(_ query: Query, context: PageContext) async throws -> IndexPage {
        let (filter, note) = try await filter(query, context: context)
        let counts = try await context.store.runCounts(matching: filter)
        let total = query.status.map { counts[$0] ?? 0 } ?? counts.values.reduce(0, +)
        var page = filter
        page.limit = query.limit
        page.offset = query.offset
        let runs = try await context.store.runs(matching: page)
        let now = context.now
        let link = { (status: String?, offset: Int?) in
            URLText.path("/", [
                ("status", status), ("batch", query.batch), ("key", query.key),
                ("offset", offset.flatMap { $0 > 0 ? String($0) : nil }),
                ("limit", query.limit == context.pageSize ? nil : String(query.limit)),
            ])
        }
        let batches = try await context.browsing?.batches(limit: 10, offset: 0) ?? []
        var batchRows: [BatchRow] = []
        for batch in batches {
            let byStatus = try await context.store.runCounts(matching: RunFilter(batchID: batch.id))
            batchRows.append(BatchRow(
                id: batch.id, link: URLText.batch(batch.id),
                name: await context.batchName(batch),
                workflow: batch.workflow, created: Display.time(batch.createdAt),
                summary: Display.statusOrder.compactMap { status in
                    byStatus[status].map { "\(Display.count($0)) \(Display.label(status.rawValue))" }
                }.joined(separator: " · ")))
        }
        let active = try await context.activeRuns()
        return IndexPage(
            layout: await Layout.make("Runs", context: context, active: active),
            filterStatus: query.statusText ?? "", filterBatch: query.batch ?? "", filterKey: query.key ?? "",
            statusOptions: [Option(value: "", label: "any status", selected: query.status == nil)]
                + Display.statusOrder.map {
                    Option(value: $0.rawValue, label: Display.label($0.rawValue), selected: $0 == query.status)
                },
            isFiltered: query.status != nil || query.batch != nil || query.key != nil, batchNote: note,
            counts: Display.statusOrder.map { status in
                StatusCount(
                    status: status.rawValue, label: Display.label(status.rawValue),
                    count: Display.count(counts[status] ?? 0), link: link(status.rawValue, nil),
                    selected: status == query.status)
            },
            total: Display.count(total),
            runs: runs.map { run in
                RunRow(
                    id: run.id, link: URLText.run(run.id), key: run.key, kind: run.kind.rawValue,
                    status: run.status.rawValue, statusLabel: Display.label(run.status.rawValue),
                    workflow: run.workflow, batchID: run.batchID, batchLink: run.batchID.map(URLText.batch),
                    updated: Display.ago(run.updatedAt, now: now), updatedAt: Display.time(run.updatedAt),
                    runError: run.lastError)
            },
            hasRuns: !runs.isEmpty,
            paging: Paging(
                from: Display.count(runs.isEmpty ? 0 : query.offset + 1), to: Display.count(query.offset + runs.count),
                total: Display.count(total),
                previousLink: query.offset > 0 ? link(query.statusText, max(0, query.offset - query.limit)) : nil,
                nextLink: query.offset + runs.count < total ? link(query.statusText, query.offset + query.limit) : nil),
            batches: batchRows, hasBatches: !batchRows.isEmpty)
    }
}
