"""Helpers for the HTML report tests: render with the CLI, read pages with a real parser."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import html5lib

from autocapture._audit.cli import main

XHTML = "{http://www.w3.org/1999/xhtml}"


def render(root: Path, out: Path, *flags: str) -> dict[str, Any]:
    """Render ``root`` to ``out`` with ``autocapture audit --format html``; return its JSON."""
    assert main([str(root), "--format", "html", "--output", str(out), *flags]) == 0
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def parse(page: Path) -> Any:
    """Parse a page with html5lib in strict mode: any HTML parse error raises."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True)
    with page.open("rb") as stream:
        return parser.parse(stream)


def find_all(tree: Any, tag: str) -> list[Any]:
    """Every element of one tag name."""
    return list(tree.iter(XHTML + tag))


def by_id(tree: Any, ident: str) -> Any:
    """The element with an id (exactly one)."""
    found = [e for e in tree.iter() if e.get("id") == ident]
    assert len(found) == 1, ident
    return found[0]


def text(element: Any) -> str:
    """An element's text content, whitespace collapsed."""
    return " ".join("".join(element.itertext()).split())


def words(element: Any) -> str:
    """An element's text nodes, joined by spaces, whitespace collapsed."""
    return " ".join(" ".join(element.itertext()).split())


def code_of(line: Any) -> str:
    """The source text of a line of a file page."""
    return "".join(line.find(XHTML + "code").itertext())


def classes(element: Any) -> set[str]:
    """An element's classes."""
    return set((element.get("class") or "").split())


def file_links(index: Any) -> dict[str, str]:
    """Path -> linked page (decoded) of the index's files table."""
    table = by_id(index, "files")
    links = {}
    for row in find_all(find_all(table, "tbody")[0], "tr"):
        anchor = find_all(row, "a")[0]
        links[text(anchor)] = unquote(anchor.get("href"))
    return links


def verdict_of(handler: dict[str, Any]) -> str:
    """The verdict a handler should be marked with, from the JSON alone."""
    if not handler["counted"]:
        return "uncounted"
    if "reaches_as" in handler:
        return {"exception": "exception", "message": "message"}.get(handler["reaches_as"], "not")
    return "exception" if handler["reaches"] else "not"


HANDLER_SHAPES = (
    "    try:\n        work({n})\n    except KeyError:\n        raise\n",
    "    try:\n        work({n})\n    except Exception:\n        pass\n",
    (
        "    try:\n        work({n})\n    except Exception as exc:\n"
        '        logger.exception("failed %s", exc)\n'
    ),
    (
        "    try:\n        work({n})\n    except Exception as exc:\n"
        '        logger.error(f"failed {{exc}}")\n        # a comment after the body\n'
    ),
    (
        "    try:\n        work({n})\n    except ValueError as exc:\n"
        "        raise HTTPException(status_code=500) from exc\n"
    ),
    "    try:\n        work({n})\n    except Exception as exc:  # one line\n        return None\n",
    (
        "    try:\n        try:\n            work({n})\n        except OSError:\n"
        "            raise RuntimeError('x')\n    except RuntimeError as exc:\n"
        "        sentry_sdk.capture_exception(exc)\n"
    ),
    "    try:\n        work({n})\n    except StopIteration: pass\n",
    "    asyncio.create_task(job_{n}())\n",
)


def generate_tree(root: Path, modules: int, seed: int = 7) -> Path:
    """Write a code base of ``modules`` files across layer folders, each with handlers."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    layers = ("routes", "services", "db", "tasks", "utils")
    for index in range(modules):
        lines = [
            "import asyncio",
            "import logging",
            "import sentry_sdk",
            "from fastapi import HTTPException",
            "",
            "logger = logging.getLogger(__name__)",
            "",
        ]
        for n in range(rng.randint(1, 6)):
            lines += ["", f"async def job_{n}():", "    pass", "", f"def handler_{n}():"]
            lines.append(rng.choice(HANDLER_SHAPES).format(n=n).rstrip("\n"))
        path = root / layers[index % len(layers)] / f"module_{index}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root
