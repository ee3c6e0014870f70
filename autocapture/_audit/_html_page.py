"""The parts of the HTML report that every page shares, and the page of one file.

Everything here works on the JSON document of the report (``report_to_dict``), never on
a second analysis: a handler's verdict is its ``reaches_as`` (or, in documents without
it, ``reaches``), and keys the document gains later are shown as they are.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import tokenize
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import quote

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

VERDICTS = ("exception", "message", "not", "uncounted")
"""A handler's verdict on the page, best first; the first three are counted handlers."""

VERDICT_LABELS = {
    "exception": "reaches with traceback",
    "message": "reaches as a message",
    "not": "does not reach",
    "uncounted": "not counted",
}
"""How each verdict reads."""

FIX_KEYS = ("fix", "suggestion", "suggested_fix")
"""Keys under which a gap may carry its suggested fix."""

_SHOWN_HANDLER_KEYS = frozenset(
    {"path", "line", "layer", "class", "caught", "function", "status", "counted", "reaches"}
    | {"reached_by", "reaches_as", "accepted"}
)
# A fingerprint identifies a gap for baselines; it says nothing to a reader.
_SHOWN_GAP_KEYS = frozenset(
    {"path", "line", "kind", "severity", "detail", "function", "fingerprint", "accepted"}
    | set(FIX_KEYS)
)
_SHOWN_BACKGROUND_KEYS = frozenset({"path", "line", "layer", "call", "target", "captured"})
_SHOWN_BACKGROUND_KEYS |= {"reason"}
# Python ends lines at \n, \r\n and \r only; str.splitlines would also split at form feeds
# and U+2028, and shift every line number after them.
_NEWLINE = re.compile(r"\r\n|\r|\n")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_SLUG_LENGTH = 60

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"
)
"""No network, no inline script: even markup that escaped escaping could run nothing."""


def esc(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute.

    Args:
        value: The value (``None`` reads as empty).

    Returns:
        Escaped text; undecodable file-name bytes (lone surrogates) become U+FFFD.
    """
    text = "" if value is None else str(value)
    if not text.isascii():
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return html.escape(text, quote=True)


def page_name(path: str) -> str:
    """Name the page of one file: a readable ASCII slug plus a hash of the exact path.

    The hash keeps names unique however the slug folds them (``a b.py`` and ``a_b.py``,
    ``A.py`` and ``a.py`` on a case-insensitive disk); ASCII keeps them the same on
    every file system.

    Args:
        path: The file's path relative to the audited root.

    Returns:
        The page's file name, e.g. ``routes_chat_py-1a2b3c4d5e.html``.
    """
    digest = hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    slug = _UNSAFE.sub("_", path).strip("_")[:_SLUG_LENGTH] or "file"
    return f"{slug}-{digest}.html"


def href(name: str, line: Optional[int] = None) -> str:
    """Link to a page, percent-encoded, optionally to one of its lines.

    Args:
        name: The page's file name.
        line: The line to jump to (none for 0 or ``None``).

    Returns:
        The escaped attribute value.
    """
    anchor = f"#L{line}" if line else ""
    return esc(quote(name) + anchor)


def verdict(handler: Mapping[str, Any]) -> str:
    """Tell how a handler's error reaches the tracker.

    Args:
        handler: The handler's JSON object.

    Returns:
        One of :data:`VERDICTS`.
    """
    if not handler.get("counted", True):
        return "uncounted"
    # Documents from before ``reaches_as`` only say whether the error reaches at all.
    how = handler.get("reaches_as", "exception" if handler.get("reaches") else None)
    return how if how in {"exception", "message"} else "not"


def fix_of(gap: Mapping[str, Any]) -> Optional[str]:
    """Find a gap's suggested fix, whichever key carries it.

    Args:
        gap: The gap's JSON object.

    Returns:
        The fix as text, or ``None``.
    """
    for key in FIX_KEYS:
        value = gap.get(key)
        if isinstance(value, dict):
            value = value.get("text") or value.get("description") or value.get("summary")
        if value:
            return str(value)
    return None


def extras(item: Mapping[str, Any], shown: Iterable[str]) -> str:
    """Show the scalar keys of an object that the page does not lay out itself.

    Args:
        item: A handler, gap or background start.
        shown: The keys already shown.

    Returns:
        HTML, empty when there is nothing more.
    """
    seen = set(shown)
    parts = [
        f"{esc(key)}: {esc(value)}"
        for key, value in item.items()
        if key not in seen and isinstance(value, (str, int, float)) and value != ""
    ]
    return f' <span class="extra">{"; ".join(parts)}</span>' if parts else ""


def head(title: str, *, script: bool) -> str:
    """Open a page: doctype, charset, policy, stylesheet and title.

    Args:
        title: The page title (plain text).
        script: Whether the page loads ``report.js``.

    Returns:
        HTML up to the opening ``<body>``.
    """
    js = '<script src="report.js" defer></script>' if script else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="stylesheet" href="report.css">{js}<title>{esc(title)}</title>'
        "</head><body>\n"
    )


def read_source(root: str, rel: str) -> Optional[list[str]]:
    """Read a file's lines as Python numbers them, honouring its coding cookie or BOM.

    Args:
        root: The audited root, as given to the audit (a folder or the one file).
        rel: The file's path relative to it.

    Returns:
        The lines, or ``None`` when the file cannot be read any more.
    """
    base = Path(root)
    try:
        data = (base if base.is_file() else base / rel).read_bytes()
    except OSError:
        return None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding, errors="replace")
    except (SyntaxError, LookupError):
        text = data.decode("utf-8", errors="replace")
    lines = _NEWLINE.split(text.removeprefix("\ufeff"))
    if lines[-1] == "":
        lines.pop()
    return lines


def handler_end(lines: list[str], start: int) -> int:
    """Find the last line of the handler whose ``except`` is on line ``start``.

    The body is every following line indented deeper than the ``except``, comments and
    blank lines at its end left out: what the eye reads as the block, without a reparse.

    Args:
        lines: The file's lines.
        start: The line of the ``except`` (1-based, within ``lines``).

    Returns:
        The last line of the body (``start`` for a one-line handler).
    """
    header = lines[start - 1]
    indent = len(header) - len(header.lstrip())
    end = start
    for number in range(start + 1, len(lines) + 1):
        text = lines[number - 1]
        stripped = text.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        if len(text) - len(stripped) <= indent:
            break
        end = number
    return end


def _handler_note(h: Mapping[str, Any]) -> str:
    v = verdict(h)
    where = f" in <code>{esc(h['function'])}</code>" if h.get("function") else ""
    status = f" (HTTP {esc(h['status'])})" if h.get("status") is not None else ""
    how = f": {esc(h['reached_by'])}" if h.get("reached_by") else ""
    accepted = ' <span class="tag accepted">accepted</span>' if h.get("accepted") else ""
    written = str(h.get("caught") or "")
    caught = esc(written) if written.startswith("bare") else f"except <code>{esc(written)}</code>"
    return (
        f'<div class="note handler"><span class="tag v-{v}">{esc(VERDICT_LABELS[v])}</span>'
        f"{accepted} "
        f"<b>{esc(h.get('class'))}</b>{status}: {caught}"
        f"{where}{how}{extras(h, _SHOWN_HANDLER_KEYS)}</div>"
    )


def gap_note(g: Mapping[str, Any]) -> str:
    """Say what a gap is and how to fix it.

    Args:
        g: The gap's JSON object.

    Returns:
        HTML of one note.
    """
    fix = fix_of(g)
    fix_html = f'<div class="fix">{esc(fix)}</div>' if fix else ""
    where = f" in <code>{esc(g['function'])}</code>" if g.get("function") else ""
    # An accepted gap (an ignore comment) is shown, but not as a problem.
    kind, label = ("accepted", "accepted: ") if g.get("accepted") else ("gap", "")
    return (
        f'<div class="note {kind}"><span class="sev sev-{esc(g.get("severity"))}">'
        f"{esc(g.get('severity'))}</span> {label}<b>{esc(g.get('kind'))}</b>{where}: "
        f"{esc(g.get('detail'))}{extras(g, _SHOWN_GAP_KEYS)}{fix_html}</div>"
    )


def _background_note(b: Mapping[str, Any]) -> str:
    captured = "captured" if b.get("captured") else "not captured"
    target = f" &rarr; <code>{esc(b['target'])}</code>" if b.get("target") else ""
    return (
        f'<div class="note background"><b>background start</b> <code>{esc(b.get("call"))}'
        f"</code>{target}: {captured}: {esc(b.get('reason'))}"
        f"{extras(b, _SHOWN_BACKGROUND_KEYS)}</div>"
    )


def _annotate(
    lines: list[str],
    handlers: list[dict[str, Any]],
    gaps: list[dict[str, Any]],
    background: list[dict[str, Any]],
) -> tuple[dict[int, str], set[int], dict[int, list[str]]]:
    """Decide each line's mark and the notes under it.

    Args:
        lines: The file's lines.
        handlers: The file's handlers.
        gaps: The file's gaps.
        background: The file's background starts.

    Returns:
        Line -> verdict of the innermost handler around it, the ``except`` lines, and
        line -> notes.
    """
    count = len(lines)
    marks: dict[int, str] = {}
    notes: dict[int, list[str]] = {}
    heads: set[int] = set()
    # By line, so that a nested handler's mark overwrites the outer handler's body.
    for h in sorted(handlers, key=lambda h: h["line"]):
        start = h["line"]
        if not 1 <= start <= count:
            continue
        v = verdict(h)
        for number in range(start, handler_end(lines, start) + 1):
            marks[number] = v
        heads.add(start)
        notes.setdefault(start, []).append(_handler_note(h))
    # An uncaptured start's gap says the same as its note would.
    gap_starts = {g["line"] for g in gaps if g.get("kind") == "background"}
    for b in background:
        if 1 <= b["line"] <= count and b["line"] not in gap_starts:
            notes.setdefault(b["line"], []).append(_background_note(b))
    for g in gaps:
        if 1 <= g["line"] <= count:
            notes.setdefault(g["line"], []).append(gap_note(g))
    return marks, heads, notes


def source_html(
    lines: list[str],
    handlers: list[dict[str, Any]],
    gaps: list[dict[str, Any]],
    background: list[dict[str, Any]],
) -> str:
    """Lay out a file's source with handler bodies marked and notes under their lines.

    Args:
        lines: The file's lines.
        handlers: The file's handlers, by line.
        gaps: The file's gaps.
        background: The file's background starts.

    Returns:
        HTML of the source block.
    """
    marks, heads, notes = _annotate(lines, handlers, gaps, background)
    out = ['<div class="src">']
    escape = html.escape
    for number, text in enumerate(lines, 1):
        mark = marks.get(number)
        if mark is None:
            out.append(f'<div class="ln" id="L{number}">')
        else:
            cls = f"ln v-{mark} head" if number in heads else f"ln v-{mark}"
            out.append(f'<div class="{cls}" id="L{number}" data-verdict="{mark}">')
        out.append(
            f'<a class="num" href="#L{number}">{number}</a><code>'
            f"{escape(text, quote=False)}</code></div>\n"
        )
        if number in notes:
            out.extend(notes[number])
    out.append("</div>")
    return "".join(out)
