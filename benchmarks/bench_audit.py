"""Benchmark: ``autocapture audit`` against ``ast.parse`` alone, on 2 000 generated modules.

What it compares, in one process, on the same files:

- ``ast.parse`` alone: parsing the files' bytes, already in memory (the baseline);
- the same with the cyclic garbage collector paused, as the audit pauses it (syntax
  trees hold no cycles), to show what the walk itself costs;
- find + read + parse: listing the tree, reading and parsing every file;
- the full audit (``autocapture.audit.audit``): listing, reading, parsing, the walk,
  assumptions, classification and gaps; and the audit plus JSON rendering.

Each runs several times, round-robin; the table prints the median CPU and wall times
and the CPU-time ratio to the baseline. The audit's target is at most 1.5x ``ast.parse``
alone.

Run: ``python benchmarks/bench_audit.py [--modules 2000] [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import ast
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autocapture.audit import audit, render_json

Row = tuple[str, float, float]

LAYERS = ("routes", "services", "db", "tasks", "utils", "models")

HEADER = '''"""{title}."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Optional

import sentry_sdk
from fastapi import APIRouter, BackgroundTasks, HTTPException, status
from fastapi.responses import JSONResponse

from autocapture import auto_capture_errors, capture_database_error

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/{name}")
DEFAULT_LIMIT = {limit}
'''

MODEL = '''

@dataclass
class {cls}:
    """A {name} record."""

    id: int
    name: str
    tags: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {{"id": self.id, "name": self.name, "tags": list(self.tags), **self.meta}}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "{cls}":
        return cls(id=int(row["id"]), name=str(row.get("name", "")), tags=row.get("tags") or [])
'''

ROUTE = '''

@router.get("/{name}/{{item_id}}")
async def get_{fn}(item_id: int, background_tasks: BackgroundTasks) -> dict[str, Any]:
    """Return one {name}."""
    try:
        row = await fetch_{fn}(item_id)
    except KeyError:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="not found")
    except Exception as exc:
        logger.error("get_{fn} failed: %s", exc, exc_info=True)
        raise HTTPException(status_code=500, detail=f"Error: {{exc}}") from exc
    background_tasks.add_task(record_{fn}, item_id)
    return {{"item": row, "count": len(row), "limit": DEFAULT_LIMIT}}
'''

SERVICE = '''

async def fetch_{fn}(item_id: int, *, retries: int = 3) -> dict[str, Any]:
    """Fetch a {name} with retries."""
    last: Optional[Exception] = None
    for attempt in range(retries):
        try:
            await asyncio.sleep(0)
            return {{"id": item_id, "attempt": attempt, "values": [i * i for i in range(8)]}}
        except TimeoutError as exc:
            last = exc
            logger.warning("attempt %d failed", attempt)
            continue
    raise RuntimeError("gave up") from last


def compute_{fn}(values: list[int], factor: float = 1.5) -> float:
    """Compute a score."""
    total = sum(v * factor for v in values if v % 2 == 0)
    mapping = {{k: v for k, v in zip("abcdefgh", values)}}
    if total > 100 and mapping:
        return total / len(mapping)
    elif total < 0:
        return -1.0
    return float(total)
'''

DB = '''

def load_{fn}(item_id: int) -> Optional[dict[str, Any]]:
    """Load a row."""
    try:
        rows = [{{"id": item_id, "name": "x"}}]
        return rows[0] if rows else None
    except Exception as e:
        logger.error(f"load_{fn} failed: {{e}}")
        return None


def save_{fn}(item: dict[str, Any]) -> bool:
    """Save a row."""
    try:
        return bool(item)
    except Exception as exc:
        capture_database_error(exc, operation="insert", table="{name}")
        raise
'''

TASK = '''

def record_{fn}(item_id: int) -> None:
    """Record a view in the background."""
    with open("/dev/null", "w") as sink:
        sink.write(str(item_id))


@auto_capture_errors(context_type="cache")
async def refresh_{fn}() -> None:
    """Refresh a cache."""
    await asyncio.sleep(0)


def schedule_{fn}() -> None:
    asyncio.create_task(refresh_{fn}())
'''

HELPERS = """

def _format_{fn}(value: Any, width: int = 20) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _merge_{fn}(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    out = dict(left)
    for key, value in right.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge_{fn}(out[key], value)
        else:
            out[key] = value
    return out


def _health_{fn}() -> JSONResponse:
    try:
        sentry_sdk.set_tag("check", "{name}")
        return JSONResponse({{"ok": True}})
    except Exception:
        return JSONResponse(status_code=503, content={{"ok": False}})
"""

# Most code handles no error at all: validation, mapping, small classes.
PURE = """

def validate_{fn}(payload: dict[str, Any]) -> list[str]:
    \"\"\"List what is wrong with a payload.\"\"\"
    problems = []
    if not isinstance(payload.get("name"), str) or not payload["name"].strip():
        problems.append("name is required")
    if len(payload.get("tags", [])) > DEFAULT_LIMIT:
        problems.append(f"at most {{DEFAULT_LIMIT}} tags")
    for key, value in sorted(payload.items()):
        if key.startswith("_"):
            problems.append(f"{{key}} is private")
        elif value is None:
            continue
    return problems


def paginate_{fn}(items: list[Any], page: int = 1, size: int = 20) -> dict[str, Any]:
    \"\"\"Cut a page out of a list.\"\"\"
    start = max(page - 1, 0) * size
    chunk = items[start : start + size]
    return {{"items": chunk, "page": page, "pages": (len(items) + size - 1) // size}}
"""

CLIENT = """

class {cls}Client:
    \"\"\"A small client with state.\"\"\"

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._cache: dict[str, Any] = {{}}

    def url(self, *parts: str) -> str:
        return "/".join([self.base_url, *(p.strip("/") for p in parts)])

    def cached(self, key: str) -> Optional[Any]:
        return self._cache.get(key)

    def remember(self, key: str, value: Any) -> None:
        if len(self._cache) > DEFAULT_LIMIT:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = value
"""


def make_module(rng: random.Random, index: int) -> str:
    """Write one realistic module (about 150-400 lines, a handler every 30 lines or so).

    Args:
        rng: The random source.
        index: The module number.

    Returns:
        The module's source.
    """
    name = f"item{index}"
    parts = [HEADER.format(title=f"Module {index}", name=name, limit=rng.randint(10, 500))]
    blocks = [ROUTE, SERVICE, DB, TASK, HELPERS, PURE, CLIENT]
    for n in range(rng.randint(2, 4)):
        fn = f"{name}_{n}"
        cls = f"Item{index}x{n}"
        parts.append(MODEL.format(cls=cls, name=name))
        parts.extend(block.format(fn=fn, name=name, cls=cls) for block in rng.sample(blocks, k=4))
    return "".join(parts)


def generate(root: Path, modules: int) -> list[Path]:
    """Generate a code base of ``modules`` files in layer folders.

    Args:
        root: The folder to fill.
        modules: How many modules.

    Returns:
        The written files.
    """
    rng = random.Random(2025)  # noqa: S311 - reproducible test data, not security
    paths = []
    for i in range(modules):
        folder = root / "app" / LAYERS[i % len(LAYERS)] / f"pkg{i % 17}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"module_{i}.py"
        path.write_text(make_module(rng, i), encoding="utf-8")
        paths.append(path)
    return paths


def measure(contenders: list[tuple[str, Callable[[], object]]], rounds: int) -> list[Row]:
    """Run the contenders round-robin and keep the median CPU and wall time of each.

    Round-robin, so that a slow spell of a shared machine hits every contender alike;
    CPU time (``time.process_time``) is what the ratio uses, being the least sensitive to
    other processes.

    Args:
        contenders: Labels and work.
        rounds: How many runs of each.

    Returns:
        One row per contender: label, median CPU seconds, median wall seconds.
    """
    cpu: dict[str, list[float]] = {label: [] for label, _ in contenders}
    wall: dict[str, list[float]] = {label: [] for label, _ in contenders}
    for _ in range(rounds):
        for label, func in contenders:
            gc.collect()
            start_cpu, start_wall = time.process_time(), time.perf_counter()
            func()
            cpu[label].append(time.process_time() - start_cpu)
            wall[label].append(time.perf_counter() - start_wall)
    return [
        (label, statistics.median(cpu[label]), statistics.median(wall[label]))
        for label, _ in contenders
    ]


def contenders(root: Path, blobs: list[bytes]) -> list[tuple[str, Callable[[], object]]]:
    """Build the timed contenders over one generated tree.

    Args:
        root: The tree.
        blobs: Its files' bytes, read beforehand.

    Returns:
        Labels and work, baseline first.
    """

    def parse_only() -> None:
        for blob in blobs:
            ast.parse(blob)

    def parse_gc_paused() -> None:
        gc.disable()
        try:
            for blob in blobs:
                ast.parse(blob)
        finally:
            gc.enable()

    def read_and_parse() -> None:
        for dirpath, _, files in os.walk(root):
            for name in files:
                if name.endswith(".py"):
                    ast.parse(Path(dirpath, name).read_bytes())

    return [
        ("ast.parse alone (in memory)", parse_only),
        ("ast.parse alone, GC paused", parse_gc_paused),
        ("find + read + ast.parse", read_and_parse),
        ("autocapture audit", lambda: audit(str(root))),
        ("autocapture audit + JSON", lambda: render_json(audit(str(root)))),
    ]


def main() -> int:
    """Generate the tree, time each contender, print the table.

    Returns:
        0.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        blobs = [p.read_bytes() for p in generate(root, args.modules)]
        lines = sum(b.count(b"\n") for b in blobs)
        report = audit(str(root))  # also warms the file cache and the imports
        rows = measure(contenders(root, blobs), args.rounds)
    base = rows[0][1]
    print(
        f"{args.modules} modules, {lines} lines, {len(report.handlers)} handlers, "
        f"{len(report.gaps)} gaps; median of {args.rounds} rounds, Python "
        f"{sys.version.split()[0]}"
    )
    print()
    print(f"{'contender':<30} {'CPU (ms)':>10} {'wall (ms)':>10} {'CPU ratio':>10}")
    print("-" * 63)
    for label, cpu, wall in rows:
        print(f"{label:<30} {cpu * 1000:>10.1f} {wall * 1000:>10.1f} {cpu / base:>9.2f}x")
    print()
    audit_cpu = rows[3][1]
    print(f"audit / ast.parse ratio: {audit_cpu / base:.2f}x (target: at most 1.50x)")
    print(
        f"audit / ast.parse with the GC paused, as the audit runs: {audit_cpu / rows[1][1]:.2f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
