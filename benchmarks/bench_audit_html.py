"""Benchmark: rendering ``autocapture audit --format html`` against the audit itself.

On a generated code base the size of the seed's (220 modules, as ``bench_audit.py``
writes them), in one process, round-robin:

- the audit alone (``autocapture.audit.audit``: the baseline);
- the JSON rendering of a finished report (``render_json``);
- the HTML rendering of a finished report (``render_html``: the JSON document, reading
  every source again, the index and one page per file, written to a temporary folder);
- the whole ``--format html`` run: audit, then HTML.

The table prints median CPU and wall times and the CPU-time ratio to the audit. The
target: the HTML rendering takes about the time of the audit (at most 1.0x).

Run: ``python benchmarks/bench_audit_html.py [--modules 220] [--rounds 7]``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_audit import generate, measure

from autocapture.audit import audit, render_html, render_json


def main() -> int:
    """Generate the tree, time each contender, print the table.

    Returns:
        0.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=220)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp, "src")
        out = Path(tmp, "html")
        paths = generate(root, args.modules)
        lines = sum(p.read_bytes().count(b"\n") for p in paths)
        report = audit(str(root))  # also warms the file cache and the imports

        def html_only() -> None:
            shutil.rmtree(out, ignore_errors=True)
            render_html(report, out)

        def audit_and_html() -> None:
            shutil.rmtree(out, ignore_errors=True)
            render_html(audit(str(root)), out)

        html_only()
        size = sum(p.stat().st_size for p in out.iterdir())
        pages = len(list(out.glob("*.html")))
        rows = measure(
            [
                ("audit alone", lambda: audit(str(root))),
                ("render_json (report)", lambda: render_json(report)),
                ("render_html (report)", html_only),
                ("audit + render_html", audit_and_html),
            ],
            args.rounds,
        )
    base = rows[0][1]
    print(
        f"{args.modules} modules, {lines} lines, {len(report.handlers)} handlers, "
        f"{len(report.gaps)} gaps -> {pages} pages, {size / 1e6:.1f} MB; median of "
        f"{args.rounds} rounds, Python {sys.version.split()[0]}"
    )
    print()
    print(f"{'contender':<24} {'CPU (ms)':>10} {'wall (ms)':>10} {'CPU ratio':>10}")
    print("-" * 57)
    for label, cpu, wall in rows:
        print(f"{label:<24} {cpu * 1000:>10.1f} {wall * 1000:>10.1f} {cpu / base:>9.2f}x")
    print()
    print(f"render_html / audit: {rows[2][1] / base:.2f}x (target: about 1x, at most 1.0x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
