/// `/runs/{id}`: the run's state, what to do next, steps, requests, subscribers and pinned inputs.
enum RunTemplate {
    static let text = #"""
        {{> header}}
        <h1>Run <code>{{id}}</code> <span class="badge st-{{status}}" id="run-status">{{statusLabel}}</span></h1>
        <dl class="meta-grid">
        <dt>Key</dt><dd class="key" id="run-key">{{key}}</dd>
        <dt>Kind</dt><dd>{{kind}}</dd>
        <dt>Workflow</dt><dd>{{workflow}}</dd>
        {{#batchLink}}<dt>Batch</dt><dd><a href="{{.}}"><code>{{batchID}}</code></a></dd>{{/batchLink}}
        {{#parentLink}}<dt>Account</dt><dd><a href="{{.}}">{{parentKey}}</a></dd>{{/parentLink}}
        <dt>Created</dt><dd>{{created}}</dd>
        <dt>Updated</dt><dd>{{updated}}</dd>
        {{#lease}}<dt>Lease</dt><dd>{{.}}</dd>{{/lease}}
        </dl>
        {{#runError}}<section class="error-box"><h2>Last error</h2><p id="run-error">{{.}}</p>{{#hasNext}}<p>Next:</p>{{#nextCommands}}<pre class="command"><code>{{.}}</code></pre>{{/nextCommands}}{{/hasNext}}</section>{{/runError}}
        {{^runError}}{{#hasNext}}<section class="note-box"><p>Next:</p>{{#nextCommands}}<pre class="command"><code>{{.}}</code></pre>{{/nextCommands}}</section>{{/hasNext}}{{/runError}}
        {{#hasAccepted}}<section class="note-box" id="accepted-changes"><h2>Changes accepted</h2><p>Accepted with <code>--accept-changes</code>; what finished before stays on the API as the old values made it.</p><ul>{{#accepted}}<li>{{.}}</li>{{/accepted}}</ul></section>{{/hasAccepted}}
        {{#inDoubt}}
        <section class="doubt-box" id="in-doubt-{{step}}">
        <h2>Step {{step}} is in doubt</h2>
        <p>Its request may have taken effect and nothing could tell. The step stays pinned to {{pinnedTo}}: a resume never sends it again with other values.</p>
        <ul>{{#requests}}<li>{{.}}</li>{{/requests}}</ul>
        <p>Check in the Telegent portal, then say what happened. It happened (give the IDs it created):</p>
        <pre class="command resolve"><code>{{happened}}</code></pre>
        <p>It did not happen (the next resume sends it again):</p>
        <pre class="command resolve"><code>{{notHappened}}</code></pre>
        <p>Then continue:</p>
        <pre class="command"><code>{{resume}}</code></pre>
        </section>
        {{/inDoubt}}
        <section>
        <h2>Steps</h2>
        <table class="list" id="steps">
        <thead><tr><th>Step</th><th>Status</th><th>Sends</th><th>IDs</th><th>Last error</th></tr></thead>
        <tbody>
        {{#steps}}
        <tr class="step"><td><code>{{stepID}}</code></td><td><span class="badge st-{{status}}">{{statusLabel}}</span></td><td>{{sends}}</td><td>{{#outputs}}<div><span class="muted">{{name}}</span> <code class="id">{{value}}</code></div>{{/outputs}}</td><td class="error">{{stepError}}{{#nextRetry}}<div class="muted">next retry {{.}}</div>{{/nextRetry}}</td></tr>
        {{/steps}}
        </tbody>
        </table>
        </section>
        <section>
        <h2>Requests <span class="muted">{{attemptCount}}</span></h2>
        {{#hasAttempts}}
        <table class="list" id="attempts">
        <thead><tr><th>Sent (UTC)</th><th>Took</th><th>Step</th><th>Why</th><th>Request</th><th>Status</th><th>Outcome</th><th>Error</th></tr></thead>
        <tbody>
        {{#attempts}}
        <tr class="attempt"><td title="{{idempotencyKey}}">{{time}}</td><td>{{duration}}</td><td><code>{{step}}</code></td><td>{{purpose}}</td><td><code>{{request}}</code></td><td>{{statusCode}}</td><td><span class="badge st-{{outcome}}">{{outcomeLabel}}</span></td><td class="error">{{attemptError}}</td></tr>
        {{/attempts}}
        </tbody>
        </table>
        {{/hasAttempts}}
        {{^hasAttempts}}<p class="note">No request sent yet.</p>{{/hasAttempts}}
        </section>
        {{#hasChildren}}
        <section>
        <h2>Subscribers</h2>
        <ul class="subs" id="children">{{#children}}<li><span class="badge st-{{status}}">{{statusLabel}}</span> <a href="{{link}}">{{key}}</a></li>{{/children}}</ul>
        {{#childrenMore}}<a href="{{.}}">all of them</a>{{/childrenMore}}
        </section>
        {{/hasChildren}}
        <section>
        <h2>Pinned at creation</h2>
        <dl class="meta-grid">
        <dt>API</dt><dd><code>{{baseURL}}</code></dd>
        <dt>Workflow file</dt><dd><code>{{workflowPath}}</code></dd>
        <dt>Input file</dt><dd><code>{{inputPath}}</code></dd>
        <dt>Definition digest</dt><dd><code class="digest">{{definitionDigest}}</code></dd>
        <dt>Inputs digest</dt><dd><code class="digest">{{inputsDigest}}</code></dd>
        </dl>
        <p class="muted">Inputs as stored. Secrets are never stored, so they never show here.</p>
        <pre class="inputs" id="inputs">{{inputsJSON}}</pre>
        </section>
        {{> footer}}
        """#
}
