/// The `header` and `footer` partials every page template opens and closes with.
///
/// Every `{{value}}` is HTML-escaped by Mustache (`&`, `<`, `>`, `"`, `'`): values from the database are only ever
/// written that way, never with the unescaped `{{{…}}}` or `{{&…}}`. The page loads its script and stylesheet from
/// this server (no CDN: it works offline), and the Content-Security-Policy forbids inline scripts, so even a value
/// that slipped through could not run.
enum LayoutTemplates {
    static let header = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{layout.title}} · onboard</title>
        <link rel="stylesheet" href="/assets/onboard.css">
        <script src="/assets/live.js" defer></script>
        </head>
        <body data-live="{{layout.live}}" data-refresh="{{layout.refreshSeconds}}">
        <header class="top">
        <a class="brand" href="/">onboard</a>
        <span class="where">database <code>{{layout.database}}</code> · read-only</span>
        </header>
        <main>
        <p class="live-line" id="live-line">{{#layout.live}}<span class="pulse"></span>work is running: this page refreshes every {{layout.refreshSeconds}} s{{/layout.live}}{{^layout.live}}nothing running · as of {{layout.generated}}{{/layout.live}}</p>
        {{#layout.banner}}
        <section class="banner" id="live-batch">
        <strong>A batch is running in this process</strong> for {{elapsed}}: {{requests}} requests, {{requestsPerMinute}} a minute · {{waiting}} waiting for the rate limiter{{#liveBatchLink}} · <a href="{{.}}">its page</a>{{/liveBatchLink}}
        </section>
        {{/layout.banner}}

        """#

    static let footer = #"""
        </main>
        <footer>
        <a href="/">runs</a> · <a href="/metrics">metrics</a> · <a href="/api/runs">JSON</a> · onboard serve
        </footer>
        </body>
        </html>

        """#

    /// A page for a 404 or a 500: the status and what went wrong.
    static let error = #"""
        {{> header}}
        <h1>{{heading}}</h1>
        <p class="error-box">{{message}}</p>
        <p><a href="/">All runs</a></p>
        {{> footer}}
        """#
}
