import Mustache

// How Mustache reads each page model: by name through key paths. Reflection (`Mirror`, Mustache's default) cost
// about 2 ms per row, a third of a second for a batch page of 50 accounts; this is a dictionary lookup.
// `TemplateFieldsTests` checks that every stored property of every model is listed here.
extension IndexPage: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "layout": \.layout, "filterStatus": \.filterStatus, "filterBatch": \.filterBatch, "filterKey": \.filterKey,
        "statusOptions": \.statusOptions, "isFiltered": \.isFiltered, "batchNote": \.batchNote, "counts": \.counts,
        "total": \.total, "runs": \.runs, "hasRuns": \.hasRuns, "paging": \.paging, "batches": \.batches,
        "hasBatches": \.hasBatches,
    ]
}

extension IndexPage.StatusCount: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "status": \.status, "label": \.label, "count": \.count, "link": \.link, "selected": \.selected,
    ]
}

extension IndexPage.RunRow: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "id": \.id, "link": \.link, "key": \.key, "kind": \.kind, "status": \.status, "statusLabel": \.statusLabel,
        "workflow": \.workflow, "batchID": \.batchID, "batchLink": \.batchLink, "updated": \.updated,
        "updatedAt": \.updatedAt, "runError": \.runError,
    ]
}

extension IndexPage.BatchRow: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "id": \.id, "link": \.link, "name": \.name, "workflow": \.workflow, "created": \.created,
        "summary": \.summary,
    ]
}

extension IndexPage.Option: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "value": \.value, "label": \.label, "selected": \.selected,
    ]
}

extension IndexPage.Paging: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "from": \.from, "to": \.to, "total": \.total, "previousLink": \.previousLink, "nextLink": \.nextLink,
    ]
}

extension BatchPage: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "layout": \.layout, "id": \.id, "name": \.name, "manifest": \.manifest, "workflow": \.workflow,
        "created": \.created, "percent": \.percent, "doneText": \.doneText, "totalText": \.totalText,
        "segments": \.segments, "counts": \.counts, "notStarted": \.notStarted, "inDoubtSteps": \.inDoubtSteps,
        "rate": \.rate, "eta": \.eta, "manifestNote": \.manifestNote, "accounts": \.accounts,
        "accountsFrom": \.accountsFrom, "accountsTo": \.accountsTo, "accountsTotal": \.accountsTotal,
        "previousLink": \.previousLink, "nextLink": \.nextLink, "blocked": \.blocked, "hasBlocked": \.hasBlocked,
        "blockedTotal": \.blockedTotal, "blockedMore": \.blockedMore,
    ]
}

extension BatchPage.Count: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "status": \.status, "label": \.label, "count": \.count, "link": \.link,
    ]
}

extension BatchPage.Segment: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "status": \.status, "x": \.x, "width": \.width, "title": \.title,
    ]
}

extension BatchPage.SubscriberRow: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "id": \.id, "link": \.link, "key": \.key, "status": \.status, "statusLabel": \.statusLabel,
        "subscriberError": \.subscriberError,
    ]
}

extension BatchPage.AccountRow: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "id": \.id, "link": \.link, "key": \.key, "status": \.status, "statusLabel": \.statusLabel,
        "accountError": \.accountError, "subscribers": \.subscribers, "subscriberSummary": \.subscriberSummary,
        "moreLink": \.moreLink, "moreCount": \.moreCount,
    ]
}

extension BatchPage.BlockedRow: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "key": \.key, "blockedRunLink": \.blockedRunLink, "blockerKey": \.blockerKey, "blockerLink": \.blockerLink,
        "blockerStatus": \.blockerStatus, "blockerLabel": \.blockerLabel, "blockerError": \.blockerError,
    ]
}

extension RunPage: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "layout": \.layout, "id": \.id, "key": \.key, "kind": \.kind, "status": \.status,
        "statusLabel": \.statusLabel, "workflow": \.workflow, "runError": \.runError, "created": \.created,
        "updated": \.updated, "batchID": \.batchID, "batchLink": \.batchLink, "parentKey": \.parentKey,
        "parentLink": \.parentLink, "lease": \.lease, "nextCommands": \.nextCommands, "hasNext": \.hasNext,
        "steps": \.steps, "attempts": \.attempts, "hasAttempts": \.hasAttempts, "attemptCount": \.attemptCount,
        "inDoubt": \.inDoubt, "accepted": \.accepted, "hasAccepted": \.hasAccepted, "children": \.children, "hasChildren": \.hasChildren, "childrenMore": \.childrenMore,
        "baseURL": \.baseURL, "workflowPath": \.workflowPath, "inputPath": \.inputPath,
        "definitionDigest": \.definitionDigest, "inputsDigest": \.inputsDigest, "inputsJSON": \.inputsJSON,
    ]
}

extension RunPage.Output: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "name": \.name, "value": \.value,
    ]
}

extension RunPage.StepRow: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "stepID": \.stepID, "status": \.status, "statusLabel": \.statusLabel, "sends": \.sends, "outputs": \.outputs,
        "stepError": \.stepError, "nextRetry": \.nextRetry, "stepUpdated": \.stepUpdated,
    ]
}

extension RunPage.AttemptRow: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "time": \.time, "duration": \.duration, "step": \.step, "purpose": \.purpose, "request": \.request,
        "statusCode": \.statusCode, "outcome": \.outcome, "outcomeLabel": \.outcomeLabel,
        "attemptError": \.attemptError, "idempotencyKey": \.idempotencyKey,
    ]
}

extension RunPage.DoubtRow: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "step": \.step, "requests": \.requests, "pinnedTo": \.pinnedTo, "happened": \.happened,
        "notHappened": \.notHappened, "resume": \.resume,
    ]
}

extension RunPage.ChildRow: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "link": \.link, "key": \.key, "status": \.status, "statusLabel": \.statusLabel,
    ]
}

extension Layout: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "title": \.title, "database": \.database, "generated": \.generated, "live": \.live,
        "refreshSeconds": \.refreshSeconds, "banner": \.banner,
    ]
}

extension LiveBanner: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "requests": \.requests, "requestsPerMinute": \.requestsPerMinute, "waiting": \.waiting, "elapsed": \.elapsed,
        "liveBatchLink": \.liveBatchLink,
    ]
}

extension ErrorPage: TemplateFields {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "layout": \.layout, "heading": \.heading, "message": \.message,
    ]
}
