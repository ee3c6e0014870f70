"""The HTML rendering of an audit: an index and one page per file, like ``coverage html``.

``render_html(report, directory)`` writes a static, self-contained report that opens from
``file://``: ``index.html`` (per layer a bar of handlers by verdict, the assumptions, a
sortable table of files), one page per file (the source with each handler's lines marked
by verdict, the gaps and their fixes under their lines), ``report.css``, ``report.js``
and ``report.json``, the document ``--format json`` prints. Every page is built from that
one document, so the three renderings show the same numbers.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

from autocapture._audit._html_page import (
    VERDICT_LABELS,
    VERDICTS,
    esc,
    fix_of,
    gap_note,
    head,
    href,
    page_name,
    read_source,
    source_html,
    verdict,
)
from autocapture._audit._report import report_to_dict

if TYPE_CHECKING:
    from autocapture._audit._model import AuditReport

_STATIC = ("report.css", "report.js")
_COVERAGE_STEPS = 10


@dataclass
class _File:
    """What the document says about one file."""

    path: str
    layer: Optional[str] = None
    handlers: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    background: list[dict[str, Any]] = field(default_factory=list)
    unreadable: Optional[dict[str, Any]] = None

    @property
    def page(self) -> str:
        return page_name(self.path)

    def verdicts(self) -> Counter[str]:
        return Counter(verdict(h) for h in self.handlers)


def _files(doc: dict[str, Any]) -> dict[str, _File]:
    """Group the document's handlers, gaps, starts and failures by file.

    Args:
        doc: The JSON document.

    Returns:
        Path -> file, sorted by path.
    """
    files: dict[str, _File] = {}

    def get(path: str) -> _File:
        return files.setdefault(path, _File(path))

    for key in ("handlers", "gaps", "background"):
        for item in doc.get(key, ()):
            entry = get(item["path"])
            getattr(entry, key).append(item)
            entry.layer = entry.layer or item.get("layer")
    for item in doc.get("accepted", ()):
        get(item["path"]).accepted.append({**item, "accepted": True})
    for item in doc.get("unreadable", ()):
        get(item["path"]).unreadable = item
    assumptions = doc.get("assumptions", {})
    for item in (*assumptions.get("sentry_init", ()), *assumptions.get("capture_middleware", ())):
        get(item["path"])
    return dict(sorted(files.items()))


def _percent(share: Optional[float]) -> str:
    return "n/a" if share is None else f"{100.0 * share:.1f}%"


def _coverage_cell(share: Optional[float]) -> str:
    """A table cell coloured on the red-to-green scale of coverage.

    Args:
        share: Reached / counted, or ``None`` when nothing counts.

    Returns:
        The ``<td>``.
    """
    if share is None:
        return '<td class="n cov-na" data-sort="2">n/a</td>'
    step = int(share * _COVERAGE_STEPS)
    return f'<td class="n cov-{step}" data-sort="{share:.4f}">{_percent(share)}</td>'


def _bar(counts: Counter[str]) -> str:
    """A bar of handlers by verdict, with the counts beside it.

    Args:
        counts: Handlers per verdict.

    Returns:
        HTML of the bar and its counts.
    """
    total = sum(counts.values())
    segments = [
        f'<span class="seg-{v}" data-verdict="{v}" data-count="{counts[v]}" '
        f'style="width:{100.0 * counts[v] / total:.3f}%" '
        f'title="{counts[v]} {esc(VERDICT_LABELS[v])}"></span>'
        for v in VERDICTS
        if total and counts[v]
    ]
    numbers = " / ".join(f"{counts[v]}" for v in VERDICTS)
    return f'<div class="bar">{"".join(segments)}</div><span class="counts">{numbers}</span>'


def _legend() -> str:
    keys = "".join(f'<span class="key key-{v}"></span>{esc(VERDICT_LABELS[v])}' for v in VERDICTS)
    return f'<p class="legend">Handlers (in this order):{keys}</p>'


def _layers(doc: dict[str, Any]) -> str:
    by_layer: dict[str, Counter[str]] = {}
    for h in doc.get("handlers", ()):
        by_layer.setdefault(h.get("layer"), Counter())[verdict(h)] += 1
    starts: Counter[str] = Counter(b.get("layer") for b in doc.get("background", ()))
    bare = Counter(b.get("layer") for b in doc.get("background", ()) if not b.get("captured"))
    rows = [
        f'<tr data-layer="{esc(name)}"><th>{esc(name)}</th><td class="n">{esc(s.get("files"))}'
        f'</td><td class="n">{esc(s.get("files_with_capture"))}</td>'
        f"<td>{_bar(by_layer.get(name, Counter()))}</td>"
        f"{_coverage_cell(s.get('coverage') if s.get('counted') else None)}"
        f'<td class="n">{esc(s.get("reached"))} / {esc(s.get("counted"))}</td>'
        f'<td class="n">{starts[name]} ({bare[name]} without capture)</td></tr>'
        for name, s in doc.get("layers", {}).items()
    ]
    return (
        f'<h2>Layers</h2>{_legend()}<table id="layers"><thead><tr><th>layer</th>'
        '<th class="n">files</th><th class="n">with capture</th><th>handlers by verdict</th>'
        '<th class="n">coverage</th><th class="n">reached / counted</th>'
        f'<th class="n">background starts</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _assumption_value(value: Any) -> str:
    if isinstance(value, bool):
        return f'<span class="{"yes" if value else "no"}">{"yes" if value else "no"}</span>'
    if isinstance(value, list):
        # Status codes come as inclusive ranges: [[500, 500], [502, 503]] reads 500, 502-503.
        return esc(
            ", ".join(
                (f"{v[0]}" if v[0] == v[1] else f"{v[0]}-{v[1]}")
                if isinstance(v, list) and len(v) == 2  # noqa: PLR2004 - a [low, high] pair
                else str(v)
                for v in value
            )
        )
    return esc(value)


def _where(files: dict[str, _File], item: dict[str, Any]) -> str:
    path, line = item.get("path", ""), item.get("line", 0)
    # Every path the document mentions has a page (see _files).
    return f'<a class="path" href="{href(files[path].page, line)}">{esc(path)}:{esc(line)}</a>'


def _assumptions(doc: dict[str, Any], files: dict[str, _File]) -> str:
    rows, found = [], []
    for name, value in doc.get("assumptions", {}).items():
        if isinstance(value, dict):
            more = "".join(
                f'<div class="extra">{esc(k)}: {_assumption_value(v)}</div>'
                for k, v in value.items()
                if k not in {"value", "source", "reason"}
            )
            rows.append(
                f'<tr data-assumption="{esc(name)}"><th>{esc(name)}</th>'
                f"<td>{_assumption_value(value.get('value'))}</td><td>{esc(value.get('source'))}"
                f"</td><td>{esc(value.get('reason'))}{more}</td></tr>"
            )
        elif isinstance(value, list):
            for item in value:
                details = "; ".join(
                    f"{esc(k)}: {_assumption_value(v)}"
                    for k, v in item.items()
                    if k not in {"path", "line"}
                )
                found.append(f"<li>{esc(name)} at {_where(files, item)}: {details}</li>")
    listed = f'<ul id="setup">{"".join(found)}</ul>' if found else ""
    return (
        '<h2>Assumptions</h2><table id="assumptions"><thead><tr><th>assumption</th>'
        f"<th>value</th><th>source</th><th>why</th></tr></thead><tbody>{''.join(rows)}"
        f"</tbody></table>{listed}"
    )


def _file_rows(files: dict[str, _File]) -> str:
    rows = []
    for entry in files.values():
        counts = entry.verdicts()
        counted = counts["exception"] + counts["message"] + counts["not"]
        share = counts["exception"] / counted if counted else None
        cells = "".join(f'<td class="n">{counts[v]}</td>' for v in VERDICTS)
        rows.append(
            f'<tr><td class="path" data-sort="{esc(entry.path)}"><a href="{href(entry.page)}">'
            f"{esc(entry.path)}</a></td><td>{esc(entry.layer or '')}</td>"
            f'<td class="n">{len(entry.handlers)}</td>{cells}{_coverage_cell(share)}'
            f'<td class="n">{len(entry.gaps)}</td><td class="n">{len(entry.background)}</td></tr>'
        )
    heads = "".join(
        f'<th class="n" data-type="num">{esc(VERDICT_LABELS[v])}</th>' for v in VERDICTS
    )
    return (
        '<h2>Files</h2><input id="filter" type="search" placeholder="filter by path" '
        'aria-label="filter files by path"><table id="files" class="sortable"><thead><tr>'
        '<th>file</th><th>layer</th><th class="n" data-type="num">handlers</th>'
        f'{heads}<th class="n" data-type="num">coverage</th><th class="n" data-type="num">'
        'gaps</th><th class="n" data-type="num">background starts</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _gaps(doc: dict[str, Any], files: dict[str, _File]) -> str:
    gaps = doc.get("gaps", [])
    kinds: dict[str, Counter[str]] = {}
    for g in gaps:
        kinds.setdefault(g.get("kind"), Counter())[g.get("severity")] += 1
    summary = "".join(
        f'<tr><th>{esc(kind)}</th><td class="n">{c["high"]}</td><td class="n">{c["medium"]}'
        f'</td><td class="n">{c["low"]}</td><td class="n">{sum(c.values())}</td></tr>'
        for kind, c in kinds.items()
    )
    items = "".join(
        f"<tr><td>{_where(files, g)}</td><td>{esc(g.get('kind'))}</td><td>"
        f'<span class="sev sev-{esc(g.get("severity"))}">{esc(g.get("severity"))}</span></td>'
        f"<td>{esc(g.get('detail'))}</td><td>{esc(fix_of(g) or '')}</td></tr>"
        for g in gaps
    )
    return (
        f'<h2>Gaps ({len(gaps)})</h2><table id="gap-kinds"><thead><tr><th>kind</th>'
        '<th class="n">high</th><th class="n">medium</th><th class="n">low</th>'
        f'<th class="n">total</th></tr></thead><tbody>{summary}</tbody></table>'
        '<details><summary>Every gap, worst first</summary><table id="gaps"><thead><tr>'
        "<th>where</th><th>kind</th><th>severity</th><th>what</th><th>suggested fix</th></tr>"
        f"</thead><tbody>{items}</tbody></table></details>"
    )


def _index(doc: dict[str, Any], files: dict[str, _File]) -> str:
    handlers = doc.get("handlers", [])
    starts = doc.get("background", [])
    bare = sum(not b.get("captured") for b in starts)
    with_capture = sum(s.get("files_with_capture", 0) for s in doc.get("layers", {}).values())
    cards = (
        f'<div class="card" id="coverage">coverage<b>{_percent(doc.get("coverage"))}</b>'
        f"{esc(doc.get('reached'))} of {esc(doc.get('counted'))} counted handlers</div>"
        f'<div class="card">handlers<b>{len(handlers)}</b>'
        f"{len(handlers) - (doc.get('counted') or 0)} not counted</div>"
        f'<div class="card" id="gap-count">gaps<b>{len(doc.get("gaps", []))}</b>'
        f"{len(doc.get('accepted', []))} accepted by ignore comments</div>"
        f'<div class="card">files<b>{esc(doc.get("files"))}</b>{with_capture} with capture, '
        f"{len(doc.get('unreadable', []))} unreadable, "
        f"{len(doc.get('migrations', []))} migration scripts left out</div>"
        f'<div class="card" id="background">background starts<b>{len(starts)}</b>'
        f"{bare} without capture</div>"
    )
    title = f"autocapture audit: {doc.get('root')}"
    return (
        f"{head(title, script=True)}<header><h1>autocapture audit of "
        f'<span class="path">{esc(doc.get("root"))}</span></h1><span class="muted">'
        f"Static report: the same numbers as "
        f'<a href="report.json">--format json</a> (schema {esc(doc.get("schema_version"))}).'
        f'</span></header><main><div class="cards">{cards}</div>{_layers(doc)}'
        f"{_assumptions(doc, files)}{_file_rows(files)}{_gaps(doc, files)}</main></body></html>\n"
    )


def _file_page(doc: dict[str, Any], entry: _File) -> str:
    counts = entry.verdicts()
    summary = ", ".join(f"{counts[v]} {esc(VERDICT_LABELS[v])}" for v in VERDICTS)
    lines = read_source(str(doc.get("root", ".")), entry.path)
    parts = [
        head(f"{entry.path} - autocapture audit", script=False),
        '<header><a href="index.html">&larr; index</a><h1 class="path">',
        (
            f'{esc(entry.path)}</h1><span class="muted">layer {esc(entry.layer or "n/a")}; '
            f"{len(entry.handlers)} handlers: {summary}; {len(entry.gaps)} gaps"
            f"{f' ({len(entry.accepted)} more accepted)' if entry.accepted else ''}; "
            f"{len(entry.background)} background starts</span></header><main>"
        ),
    ]
    if entry.unreadable:
        parts.append(
            f'<p class="note gap" id="unreadable">Could not be read or parsed: '
            f"{esc(entry.unreadable.get('error'))}</p>"
        )
    if entry.gaps:
        parts.append('<h2>Gaps</h2><ul id="file-gaps">')
        parts.extend(
            f'<li><a href="#L{g["line"]}">line {esc(g["line"])}</a>{gap_note(g)}</li>'
            if g.get("line")
            else f"<li>{gap_note(g)}</li>"
            for g in entry.gaps
        )
        parts.append("</ul>")
    if lines is None:
        parts.append('<p class="muted">The source could not be read when rendering.</p>')
    else:
        notes = entry.gaps + entry.accepted
        parts.append(source_html(lines, entry.handlers, notes, entry.background))
    parts.append('<p><a href="index.html">&larr; index</a></p></main></body></html>\n')
    return "".join(parts)


def write_html(doc: dict[str, Any], directory: Union[str, os.PathLike[str]]) -> Path:
    """Write the report of a JSON document into a folder (created if missing).

    Args:
        doc: The document (``report_to_dict``); sources are read from its ``root``.
        directory: The output folder; files of the same names are replaced.

    Returns:
        The path of ``index.html``.

    Raises:
        OSError: When the folder cannot be created or written.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    static = resources.files("autocapture._audit") / "_html_static"
    for name in _STATIC:
        (out / name).write_text(static.joinpath(name).read_text(encoding="utf-8"), "utf-8")
    # ASCII escapes keep undecodable file names (lone surrogates) writable as UTF-8.
    (out / "report.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    files = _files(doc)
    for entry in files.values():
        (out / entry.page).write_text(_file_page(doc, entry), encoding="utf-8")
    index = out / "index.html"
    index.write_text(_index(doc, files), encoding="utf-8")
    return index


def render_html(report: AuditReport, directory: Union[str, os.PathLike[str]]) -> Path:
    """Write the HTML report of an audit: ``index.html`` and one page per file.

    Args:
        report: The report; the files' sources are read again from ``report.root``.
        directory: The output folder (created if missing).

    Returns:
        The path of ``index.html``.

    Raises:
        OSError: When the folder cannot be created or written.
    """
    return write_html(report_to_dict(report), directory)
