/// `/assets/onboard.css`: one small stylesheet, served by the page's own server (no CDN, no build step).
enum Stylesheet {
    static let text = #"""
        :root { --fg: #1d2330; --muted: #6b7385; --line: #e3e6ec; --bg: #f7f8fa; --card: #fff;
          --done: #1f9d55; --failed: #d64545; --doubt: #e0a100; --running: #2f6fdf; --pending: #9aa3b5;
          --interrupted: #8b5cf6; --skipped: #b8bfcc; --not-started: #dde1e8; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
        header.top { display: flex; gap: 16px; align-items: baseline; padding: 10px 24px; background: #1d2330; color: #e8ebf2; }
        header.top a.brand { color: #fff; font-weight: 700; text-decoration: none; font-size: 16px; }
        header.top code { color: #fff; }
        main { max-width: 1200px; margin: 0 auto; padding: 12px 24px 32px; }
        footer { max-width: 1200px; margin: 0 auto; padding: 12px 24px 24px; color: var(--muted); }
        h1 { font-size: 22px; margin: 14px 0 8px; }
        h2 { font-size: 16px; margin: 22px 0 8px; }
        a { color: #2557b8; }
        code { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
        .muted { color: var(--muted); font-weight: normal; }
        .key { overflow-wrap: anywhere; }
        td.key code { white-space: nowrap; }
        .error { color: #a12a2a; word-break: break-word; }
        .note { color: var(--muted); }
        .live-line { color: var(--muted); font-size: 12.5px; margin: 0 0 6px; }
        .pulse { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: var(--running); margin-right: 6px; animation: pulse 1.2s infinite; }
        @keyframes pulse { 50% { opacity: .3; } }
        .banner { background: #eaf1ff; border: 1px solid #c9dafc; border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
        table.list { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: 6px; }
        table.list th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
        table.list th, table.list td { padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
        table.list tr:last-child td { border-bottom: 0; }
        .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; color: #fff; background: var(--pending); white-space: nowrap; }
        .badge.st-done, .badge.st-succeeded { background: var(--done); }
        .badge.st-failed, .badge.st-http_error { background: var(--failed); }
        .badge.st-in_doubt, .badge.st-no_answer, .badge.st-abandoned { background: var(--doubt); color: #2b2100; }
        .badge.st-running { background: var(--running); }
        .badge.st-interrupted { background: var(--interrupted); }
        .badge.st-skipped, .badge.st-not_sent, .badge.st-resolved_not_happened { background: var(--skipped); color: #1d2330; }
        nav.counts { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
        .count { display: inline-block; padding: 4px 10px; border-radius: 6px; background: var(--card); border: 1px solid var(--line); border-left: 4px solid var(--pending); text-decoration: none; color: var(--fg); }
        .count .n { font-weight: 700; }
        .count.selected { outline: 2px solid #2557b8; }
        .count.st-done { border-left-color: var(--done); } .count.st-failed { border-left-color: var(--failed); }
        .count.st-in_doubt { border-left-color: var(--doubt); } .count.st-running { border-left-color: var(--running); }
        .count.st-interrupted { border-left-color: var(--interrupted); } .count.st-not_started { border-left-color: var(--not-started); }
        form.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; margin: 10px 0; }
        form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
        form.filters input, form.filters select { font: inherit; padding: 4px 6px; border: 1px solid var(--line); border-radius: 4px; min-width: 160px; }
        form.filters button { font: inherit; padding: 5px 14px; border: 0; border-radius: 4px; background: #2557b8; color: #fff; }
        .progress { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; }
        svg.bar { width: 100%; height: 24px; display: block; border-radius: 4px; background: var(--not-started); }
        .seg.st-done { fill: var(--done); } .seg.st-failed { fill: var(--failed); } .seg.st-in_doubt { fill: var(--doubt); }
        .seg.st-running { fill: var(--running); } .seg.st-pending { fill: var(--pending); } .seg.st-interrupted { fill: var(--interrupted); }
        .seg.st-not_started { fill: var(--not-started); }
        .big { font-size: 16px; margin: 10px 0 4px; }
        dl.figures { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0 0; }
        dl.meta-grid { display: grid; grid-template-columns: max-content 1fr; gap: 3px 14px; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; }
        dt { color: var(--muted); } dd { margin: 0; }
        ul.subs { list-style: none; padding: 0; margin: 4px 0; } ul.subs li { margin: 2px 0; }
        .error-box { background: #fff1f1; border: 1px solid #f3c4c4; border-radius: 6px; padding: 8px 14px; margin: 12px 0; }
        .note-box { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; margin: 12px 0; }
        .doubt-box { background: #fff8e1; border: 1px solid #f0d890; border-radius: 6px; padding: 8px 14px; margin: 12px 0; }
        .error-box h2, .doubt-box h2 { margin-top: 4px; }
        pre.command { background: #1d2330; color: #e8ebf2; padding: 8px 12px; border-radius: 4px; overflow-x: auto; }
        pre.inputs { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; overflow-x: auto; font: 12.5px/1.4 ui-monospace, Menlo, Consolas, monospace; }
        code.digest { word-break: break-all; }
        .paging { color: var(--muted); }
        """#
}
