/// `/assets/live.js`: while the page's `<body data-live="true">` says work is running, fetch the same URL every
/// `data-refresh` seconds and swap in its `<main>` (no full reload: the scroll position stays). It stops by
/// itself once a fetched page says nothing runs, and keeps trying quietly while the server is unreachable.
/// Plain JavaScript, no library, no build step.
enum LiveScript {
    static let text = #"""
        "use strict";
        (function () {
          var body = document.body;
          var seconds = Math.max(1, Number(body.getAttribute("data-refresh")) || 2);
          function schedule() {
            if (body.getAttribute("data-live") === "true") { setTimeout(refresh, seconds * 1000); }
          }
          function refresh() {
            fetch(location.href, { headers: { "Accept": "text/html" }, cache: "no-store" })
              .then(function (response) {
                if (!response.ok) { throw new Error("HTTP " + response.status); }
                return response.text();
              })
              .then(function (html) {
                var page = new DOMParser().parseFromString(html, "text/html");
                var fresh = page.querySelector("main");
                var current = document.querySelector("main");
                if (fresh && current) { current.replaceWith(document.importNode(fresh, true)); }
                body.setAttribute("data-live", page.body.getAttribute("data-live") || "false");
                document.title = page.title;
              })
              .catch(function () { /* the server may be restarting: try again at the next tick */ })
              .then(schedule);
          }
          schedule();
        })();
        """#
}
