/// `/`: the newest batches, counts per status (each a filter), the filter form, and a page of runs.
enum IndexTemplate {
    static let text = #"""
        {{> header}}
        {{#hasBatches}}
        <section>
        <h2>Batches</h2>
        <table class="list" id="batches">
        <thead><tr><th>Batch</th><th>Name</th><th>Workflow</th><th>Created (UTC)</th><th>Runs</th></tr></thead>
        <tbody>
        {{#batches}}
        <tr><td><a href="{{link}}"><code>{{id}}</code></a></td><td>{{name}}</td><td>{{workflow}}</td><td>{{created}}</td><td>{{summary}}</td></tr>
        {{/batches}}
        </tbody>
        </table>
        </section>
        {{/hasBatches}}
        <section>
        <h1>Runs <span class="muted">{{total}}</span></h1>
        <nav class="counts">
        {{#counts}}<a class="count st-{{status}}{{#selected}} selected{{/selected}}" href="{{link}}"><span class="n">{{count}}</span> {{label}}</a>
        {{/counts}}
        </nav>
        <form class="filters" method="get" action="/">
        <label>Status <select name="status">{{#statusOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statusOptions}}</select></label>
        <label>Batch <input name="batch" value="{{filterBatch}}" placeholder="id or name"></label>
        <label>Key contains <input name="key" value="{{filterKey}}" placeholder="acme/"></label>
        <button type="submit">Filter</button>{{#isFiltered}} <a href="/">clear</a>{{/isFiltered}}
        </form>
        {{#batchNote}}<p class="note">{{.}}</p>{{/batchNote}}
        {{#hasRuns}}
        <table class="list" id="runs">
        <thead><tr><th>Run</th><th>Key</th><th>Kind</th><th>Status</th><th>Batch</th><th>Updated</th><th>Last error</th></tr></thead>
        <tbody>
        {{#runs}}
        <tr class="run"><td><a href="{{link}}"><code>{{id}}</code></a></td><td class="key">{{key}}</td><td>{{kind}}</td><td><span class="badge st-{{status}}">{{statusLabel}}</span></td><td>{{#batchLink}}<a href="{{.}}"><code>{{batchID}}</code></a>{{/batchLink}}</td><td title="{{updatedAt}} UTC">{{updated}}</td><td class="error">{{runError}}</td></tr>
        {{/runs}}
        </tbody>
        </table>
        <p class="paging">{{paging.from}}–{{paging.to}} of {{paging.total}}{{#paging.previousLink}} · <a href="{{.}}" rel="prev">newer</a>{{/paging.previousLink}}{{#paging.nextLink}} · <a href="{{.}}" rel="next">older</a>{{/paging.nextLink}}</p>
        {{/hasRuns}}
        {{^hasRuns}}<p class="note">No runs{{#isFiltered}} match these filters{{/isFiltered}}.</p>{{/hasRuns}}
        </section>
        {{> footer}}
        """#
}
