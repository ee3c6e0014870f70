"""One module's verdict: its handlers judged, its background starts, its gaps located.

Each gap gets a fingerprint (stable across unrelated edits) and honours an ``ignore``
comment on its line; a handler whose gap is accepted is not counted.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Optional

from autocapture._audit._marks import fingerprint, ignore_comment, normalized
from autocapture._audit._model import BackgroundStart, Gap, Handler
from autocapture._audit._runtime import Runtime, background_verdict
from autocapture._audit._verdict import Context, GapDraft, judge

if TYPE_CHECKING:
    from autocapture._audit._facts import ModuleFacts
    from autocapture._audit._files import SourceFile

__all__ = ["module_gaps"]


def _locate(
    source: SourceFile,
    data: bytes,
    drafts: list[tuple[Optional[str], GapDraft]],
) -> list[Gap]:
    """Turn gap drafts into gaps: fingerprint each, and honour ``ignore`` comments.

    Args:
        source: The file.
        data: Its bytes.
        drafts: ``(enclosing function, draft)`` pairs.

    Returns:
        The gaps (accepted ones carry the comment's reason in ``accepted``).
    """
    if not drafts:
        return []
    lines = data.decode("utf-8", "replace").splitlines()
    seen: dict[tuple[Optional[str], str, str], int] = {}
    gaps: list[Gap] = []
    for function, draft in drafts:
        text = normalized(lines, draft.start, draft.end)
        key = (function, draft.kind, text)
        nth = seen.get(key, 0)
        seen[key] = nth + 1
        gaps.append(
            Gap(
                path=source.rel,
                line=draft.line,
                kind=draft.kind,
                severity=draft.severity,
                detail=draft.detail,
                fix=draft.fix,
                function=function,
                fingerprint=fingerprint(source.rel, function, draft.kind, text, nth),
                accepted=ignore_comment(lines, draft.line, draft.kind),
            )
        )
    return gaps


def module_gaps(
    source: SourceFile, facts: ModuleFacts, data: bytes, context: Context, runtime: Runtime
) -> tuple[list[Handler], list[BackgroundStart], list[Gap]]:
    """Judge one module's handlers and background starts.

    Args:
        source: The file.
        facts: Its facts.
        data: Its bytes.
        context: What the code base tells its handlers.
        runtime: What is captured at run time.

    Returns:
        The handlers, the background starts and the gaps.
    """
    handlers: list[Handler] = []
    drafts: list[tuple[Optional[str], GapDraft]] = []
    for raw in facts.handlers:
        handler, more = judge(raw, source.rel, source.layer, context)
        handlers.append(handler)
        drafts.extend((raw.function, d) for d in more)
    starts: list[BackgroundStart] = []
    for raw_start in facts.background:
        captured, reason = background_verdict(raw_start, facts, runtime)
        starts.append(
            BackgroundStart(
                source.rel, raw_start.line, source.layer, raw_start.call, raw_start.target,
                captured, reason,
            )
        )  # fmt: skip
        if not captured:
            # Request background tasks and threads may still reach an integration.
            call = raw_start.call
            soft = call.endswith("add_task") or call.startswith("threading.")
            target = raw_start.target or "the target"
            drafts.append(
                (
                    None,
                    GapDraft(
                        raw_start.line,
                        "background",
                        "medium" if soft else "high",
                        f"{call}({raw_start.target or '...'}) without capture: {reason}",
                        f"decorate {target} with @auto_capture_errors, or start it through "
                        "autocapture.tasks",
                        raw_start.line,
                        raw_start.line,
                    ),
                )
            )
    gaps = _locate(source, data, drafts)
    accepted: dict[tuple[int, str], str] = {
        (g.line, g.kind): g.accepted for g in gaps if g.accepted
    }
    if accepted:
        # An accepted gap's handler is not counted: the team has said why it is fine.
        handlers = [
            replace(h, counted=False, accepted=accepted[h.line, k])
            if h.counted and (k := _kind_at(gaps, h.line)) and (h.line, k) in accepted
            else h
            for h in handlers
        ]
    return handlers, starts, gaps


def _kind_at(gaps: list[Gap], line: int) -> Optional[str]:
    """Find the handler gap (not a chain_lost or log_reraise note) on a line.

    Args:
        gaps: The module's gaps.
        line: A handler's line.

    Returns:
        The kind, or ``None``.
    """
    return next(
        (g.kind for g in gaps if g.line == line and g.kind not in {"chain_lost", "log_reraise"}),
        None,
    )
