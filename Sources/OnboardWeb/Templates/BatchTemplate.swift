/// `/batches/{id}`: progress, figures, blocked items, then the accounts with their subscribers.
enum BatchTemplate {
    static let text = #"""
        {{> header}}
        <h1>Batch {{name}} <code class="muted">{{id}}</code></h1>
        <p class="meta">manifest <code>{{manifest}}</code> · workflow {{workflow}}{{#created}} · created {{.}}{{/created}}</p>
        <section class="progress">
        <svg class="bar" viewBox="0 0 1000 24" preserveAspectRatio="none" role="img" aria-label="{{percent}}% done">
        {{#segments}}<rect class="seg st-{{status}}" x="{{x}}" y="0" width="{{width}}" height="24"><title>{{title}}</title></rect>{{/segments}}
        </svg>
        <p class="big" id="progress-text"><strong>{{percent}}%</strong> done · {{doneText}} of {{totalText}} items</p>
        <nav class="counts">
        {{#counts}}<a class="count st-{{status}}" href="{{link}}"><span class="n">{{count}}</span> {{label}}</a>
        {{/counts}}{{#notStarted}}<span class="count st-not_started"><span class="n">{{.}}</span> not started</span>{{/notStarted}}
        </nav>
        <dl class="figures">
        <dt>Rate</dt><dd id="rate">{{rate}}</dd>
        <dt>ETA</dt><dd id="eta">{{eta}}</dd>
        <dt>Steps in doubt</dt><dd id="in-doubt-steps">{{inDoubtSteps}}</dd>
        </dl>
        {{#manifestNote}}<p class="note">{{.}}</p>{{/manifestNote}}
        </section>
        {{#hasBlocked}}
        <section>
        <h2>Blocked <span class="muted">{{blockedTotal}}</span></h2>
        <p class="note">These items wait for their account, which did not finish. Fix the account (see its run), then rerun the batch.</p>
        <table class="list" id="blocked">
        <thead><tr><th>Item</th><th>Blocked by account</th><th>Its status</th><th>Its last error</th></tr></thead>
        <tbody>
        {{#blocked}}
        <tr><td class="key">{{#blockedRunLink}}<a href="{{.}}">{{key}}</a>{{/blockedRunLink}}{{^blockedRunLink}}{{key}}{{/blockedRunLink}}</td><td class="key"><a href="{{blockerLink}}">{{blockerKey}}</a></td><td><span class="badge st-{{blockerStatus}}">{{blockerLabel}}</span></td><td class="error">{{blockerError}}</td></tr>
        {{/blocked}}
        </tbody>
        </table>
        {{#blockedMore}}<p class="note">… and {{.}} more.</p>{{/blockedMore}}
        </section>
        {{/hasBlocked}}
        <section>
        <h2>Accounts <span class="muted">{{accountsTotal}}</span></h2>
        <table class="list" id="accounts">
        <thead><tr><th>Account</th><th>Status</th><th>Subscribers</th></tr></thead>
        <tbody>
        {{#accounts}}
        <tr class="account"><td class="key"><a href="{{link}}">{{key}}</a><br><code class="muted">{{id}}</code></td><td><span class="badge st-{{status}}">{{statusLabel}}</span>{{#accountError}}<div class="error">{{.}}</div>{{/accountError}}</td>
        <td><div class="muted">{{subscriberSummary}}</div>
        <ul class="subs">
        {{#subscribers}}<li><span class="badge st-{{status}}">{{statusLabel}}</span> <a href="{{link}}">{{key}}</a>{{#subscriberError}} <span class="error">{{.}}</span>{{/subscriberError}}</li>
        {{/subscribers}}
        </ul>
        {{#moreLink}}<a href="{{.}}">{{moreCount}} more</a>{{/moreLink}}
        </td></tr>
        {{/accounts}}
        </tbody>
        </table>
        <p class="paging">accounts {{accountsFrom}}–{{accountsTo}} of {{accountsTotal}}{{#previousLink}} · <a href="{{.}}" rel="prev">previous</a>{{/previousLink}}{{#nextLink}} · <a href="{{.}}" rel="next">next</a>{{/nextLink}}</p>
        </section>
        {{> footer}}
        """#
}
