"""Writes plots/index.html: sections that open with what the data shows (a claim, if the suite gives one, and
sentences computed from the results), then every figure (PNG inline, SVG linked) with its caption, then the
tables, folded (<details>) and scrollable so none overflows the page. Relative links only, so the page opens
from disk with no server."""

import html
import os

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1100px;
       padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #444; margin: .4em 0; }
.table-wrap { max-width: 100%; overflow-x: auto; margin: .5em 0 1em; }
table { border-collapse: collapse; font-size: .85em; }
th, td { border: 1px solid #ddd; padding: .2em .5em; text-align: right; overflow-wrap: anywhere;
         max-width: 28em; }
details { margin: .4em 0; } summary { cursor: pointer; color: #333; }
.findings { font-size: 1.05em; background: #f6f8fa; border-left: 4px solid #0072B2; padding: .5em .8em; }
.claim { font-style: italic; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
caption { text-align: left; font-weight: 600; padding: .2em 0; }
.muted { color: #777; } nav li { margin: .1em 0; }
"""


class Section:
    """A part of the report: a heading, an introduction, summary tables and figures."""

    def __init__(self, title, intro="", summary=(), figures=(), findings=(), claim=""):
        self.title = title
        self.intro = intro
        self.summary = list(summary)
        self.figures = list(figures)
        self.findings = list(findings)  # sentences computed from the data, shown first
        self.claim = claim              # what the suite says the run shows
        self.anchor = "s-" + "".join(c if c.isalnum() else "-" for c in title.lower())


def _table(table):
    """A table folded in <details> (its title as the summary) inside a horizontally scrollable wrapper."""
    out = ["<details><summary>%s (%d row%s)</summary>" % (html.escape(table.title or "table"), len(table.rows),
                                                           "" if len(table.rows) == 1 else "s"),
           '<div class="table-wrap"><table>']
    out.append("<tr>" + "".join("<th>%s</th>" % html.escape(str(h)) for h in table.headers) + "</tr>")
    for row in table.rows:
        out.append("<tr>" + "".join("<td>%s</td>" % html.escape(str(c)) for c in row) + "</tr>")
    out.append("</table></div></details>")
    return "\n".join(out)


def _figure(fig):
    return "\n".join([
        '<figure id="%s">' % html.escape(fig.name),
        '<img src="%s" alt="%s">' % (html.escape(fig.png), html.escape(fig.title)),
        '<figcaption><b>%s.</b> %s <a href="%s">SVG</a></figcaption>' % (
            html.escape(fig.title), html.escape(fig.caption), html.escape(fig.svg)),
        "\n".join(_table(t) for t in fig.tables),
        "</figure>",
    ])


def write_index(out_dir, title, intro, sections, links=()):
    """Writes out_dir/index.html and returns its path. links: [(text, relative href)] shown at the top."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>%s</title>" % html.escape(title), "<style>%s</style></head><body>" % STYLE,
             "<h1>%s</h1>" % html.escape(title)]
    if intro:
        parts.append("<p>%s</p>" % html.escape(intro))
    if links:
        parts.append("<p class=\"muted\">Data: %s</p>" % ", ".join(
            '<a href="%s">%s</a>' % (html.escape(href), html.escape(text)) for text, href in links))
    if len(sections) > 1:  # the first screen: every section with its first finding
        parts.append("<nav><ul>%s</ul></nav>" % "".join(
            '<li><a href="#%s">%s</a> <span class="muted">(%d figure%s)</span>%s</li>' % (
                s.anchor, html.escape(s.title), len(s.figures), "" if len(s.figures) == 1 else "s",
                (": " + html.escape(s.findings[0])) if s.findings else "")
            for s in sections))
    for s in sections:
        parts.append('<h2 id="%s">%s</h2>' % (s.anchor, html.escape(s.title)))
        if s.claim or s.findings:
            parts.append('<div class="findings">')
            if s.claim:
                parts.append('<p class="claim">Claim: %s</p>' % html.escape(s.claim))
            parts.extend("<p>%s</p>" % html.escape(f) for f in s.findings)
            parts.append("</div>")
        if s.intro:
            parts.append('<p class="muted">%s</p>' % html.escape(s.intro))
        parts.extend(_figure(f) for f in s.figures)
        if not s.figures:
            parts.append('<p class="muted">No figures for this part (nothing varies or no data).</p>')
        parts.extend(_table(t) for t in s.summary)
    parts.append("</body></html>")
    path = os.path.join(out_dir, "index.html")
    os.makedirs(out_dir, exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write("\n".join(parts) + "\n")
    os.replace(path + ".tmp", path)
    return path
