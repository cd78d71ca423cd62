import CoreMetrics
import Foundation
import Hummingbird
import OnboardCore
import OnboardRuntime
import Prometheus

/// The routes of `onboard serve`: pages, JSON, metrics and the two assets. Every route only reads.
struct WebRoutes: Sendable {
    let context: PageContext

    func register(on router: Router<BasicRequestContext>) {
        router.get("/") { request, _ in
            let query = IndexPage.Query(QueryParameters(request.uri.query), pageSize: context.pageSize)
            return try await page { try await IndexPage.build(query, context: context) } render: { PageTemplates.render($0, "index") }
        }
        router.get("/batches/{id}") { request, requestContext in
            let id = try Self.decoded(requestContext.parameters.require("id"))
            let offset = QueryParameters(request.uri.query).int("offset", in: 0...100_000_000, default: 0)
            return try await page { try await BatchPage.build(id: id, offset: offset, context: context) }
                render: { PageTemplates.render($0, "batch") }
        }
        router.get("/runs/{id}") { _, requestContext in
            let id = try Self.decoded(requestContext.parameters.require("id"))
            return try await page { try await RunPage.build(id: id, context: context) } render: { PageTemplates.render($0, "run") }
        }
        router.get("/api/runs") { request, _ in
            let parameters = QueryParameters(request.uri.query)
            var query = IndexPage.Query(parameters, pageSize: 200)
            query.limit = parameters.int("limit", in: 1...1_000, default: 200)
            return try await json { try await APIDocuments.runs(query, context: context) }
        }
        router.get("/api/runs/{id}") { _, requestContext in
            let id = try Self.decoded(requestContext.parameters.require("id"))
            return try await json { try await APIDocuments.run(id, context: context) }
        }
        router.get("/api/batches/{id}") { request, requestContext in
            let id = try Self.decoded(requestContext.parameters.require("id"))
            let parameters = QueryParameters(request.uri.query)
            return try await json {
                try await APIDocuments.batch(
                    id, offset: parameters.int("offset", in: 0...100_000_000, default: 0),
                    limit: parameters.int("limit", in: 1...5_000, default: 500), context: context)
            }
        }
        router.get("/metrics") { _, _ in
            // The engine records this gauge when a wait ends, so while requests are queued it would show the last
            // value; a batch in this process knows the queue now.
            if let live = await context.live() {
                Gauge(label: OnboardMetrics.rateLimiterWaiting).record(live.waitingForRateLimit)
            }
            do {
                let text = PrometheusBackend.registry.emitToString() + (try await StoreGauges.text(store: context.store))
                return WebResponse.text(text, contentType: "text/plain; version=0.0.4; charset=utf-8")
            } catch {
                return WebResponse.text("# the database could not be read: \(error)\n", status: .internalServerError)
            }
        }
        router.get("/assets/onboard.css") { _, _ in
            WebResponse.text(Stylesheet.text, contentType: "text/css; charset=utf-8", cache: true)
        }
        router.get("/assets/live.js") { _, _ in
            WebResponse.text(LiveScript.text, contentType: "text/javascript; charset=utf-8", cache: true)
        }
    }

    /// A path parameter as sent, percent-decoding included (a run's key holds a `/`, sent as `%2F`).
    private static func decoded(_ parameter: String) -> String { parameter.removingPercentEncoding ?? parameter }

    /// Builds a page model and renders it; nil is a 404, an error (the database could not be read) a 500, both
    /// as pages.
    private func page<Page>(
        _ build: () async throws -> Page?, render: (Page) -> String
    ) async throws -> Response {
        do {
            guard let model = try await build() else {
                return await errorPage(.notFound, "Not found", "Nothing with this id is in the database \(context.configuration.database).")
            }
            return WebResponse.html(render(model))
        } catch {
            return await errorPage(.internalServerError, "The database could not be read", "\(error)")
        }
    }

    private func json(_ build: () async throws -> JSONValue?) async throws -> Response {
        do {
            guard let value = try await build() else {
                return WebResponse.json(["error": "not found"], status: .notFound)
            }
            return WebResponse.json(value)
        } catch {
            return WebResponse.json(["error": .string("\(error)")], status: .internalServerError)
        }
    }

    private func errorPage(_ status: HTTPResponse.Status, _ heading: String, _ message: String) async -> Response {
        let page = ErrorPage(layout: await Layout.make(heading, context: context, active: 0), heading: heading, message: message)
        return WebResponse.html(PageTemplates.render(page, "error"), status: status)
    }
}

/// Responses with the headers every answer carries: no caching of live data, no MIME sniffing, and a
/// Content-Security-Policy that allows this server's own script and stylesheet only.
enum WebResponse {
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var response = self.text(text, status: status, contentType: "text/html; charset=utf-8")
        response.headers[.contentSecurityPolicy] = contentSecurityPolicy
        return response
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        text(RunView.pretty(value) + "\n", status: status, contentType: "application/json; charset=utf-8")
    }

    static func text(
        _ text: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8",
        cache: Bool = false
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = cache ? "max-age=300" : "no-store"
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
