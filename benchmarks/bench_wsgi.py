"""Per-request cost of ``autocapture.wsgi`` on Flask, against the bare app, side by side.

Variants, each a fresh Flask app with one working and one failing route:

* ``bare``: the app as it is (the floor);
* ``autocapture``: the same app after ``autocapture.wsgi.instrument(app)``.

Requests are plain WSGI calls with a prepared environ (no client or server, so the
middleware's own cost stands out most), the response iterated and closed as a server
does. Many short rounds are interleaved so that machine noise hits both alike, timed
with the CPU time of this thread. The table gives the median microseconds per request
and the median over rounds of the ratio to ``bare``. Target: autocapture at most 1.05x
on the success path. The failure path (Flask answers 500; autocapture builds and sends
one event to a null sink) is shown for information. Run:
``python benchmarks/bench_wsgi.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any, Callable

from flask import Flask

from autocapture import configure
from autocapture.wsgi import instrument

ROUNDS = 41
REQUESTS = {"success": 500, "failure": 100}
VARIANTS = ("bare", "autocapture")


class NullSink:
    """A sink that drops events (the cost measured is building them, not sending)."""

    def emit(self, event: Any) -> None:
        pass


def make_app(variant: str) -> Flask:
    app = Flask(f"bench_{variant}")

    @app.get("/users/<int:user_id>")
    def user(user_id: int) -> dict[str, int]:
        return {"id": user_id}

    @app.get("/orders/<order_id>")
    def order(order_id: str) -> str:
        raise KeyError(order_id)

    if variant == "autocapture":
        instrument(app)
    return app


def environ(path: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "page=2",
        "SERVER_NAME": "bench",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "bench",
        "HTTP_USER_AGENT": "bench/1.0",
        "HTTP_AUTHORIZATION": "Bearer not-a-real-token",
        "wsgi.url_scheme": "http",
        "wsgi.input": None,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def driver(app: Flask, path: str, status: str) -> Callable[[int], float]:
    import io

    seen: list[str] = []

    def start_response(s: str, headers: Any, exc_info: Any = None) -> None:
        seen.append(s)

    def run(n: int) -> float:
        seen.clear()
        start = time.thread_time()
        for _ in range(n):
            env = environ(path)
            env["wsgi.input"] = io.BytesIO(b"")
            result = app(env, start_response)
            for _chunk in result:
                pass
            close = getattr(result, "close", None)
            if close is not None:
                close()
        elapsed = time.thread_time() - start
        assert all(s.startswith(status) for s in seen), seen[:1]
        return elapsed

    return run


def measure(path_kind: str) -> float:
    path, status = ("/users/7", "200") if path_kind == "success" else ("/orders/o-1", "500")
    n = REQUESTS[path_kind]
    runs = {v: driver(make_app(v), path, status) for v in VARIANTS}
    for run in runs.values():
        run(max(1, n // 10))
    samples: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for _ in range(ROUNDS):
        for variant, run in runs.items():
            samples[variant].append(run(n) / n * 1e6)
    print(f"\n{path_kind} path, Flask ({n} requests x {ROUNDS} interleaved rounds)")
    print(f"{'variant':<14} {'median us/request':>18} {'vs bare':>8}")
    ratio = 1.0
    for variant, s in samples.items():
        r = statistics.median(a / b for a, b in zip(s, samples["bare"]))
        print(f"{variant:<14} {statistics.median(s):>18.2f} {r:>7.3f}x")
        ratio = r
    return ratio


def main() -> int:
    import logging

    logging.getLogger("bench_bare").disabled = True
    logging.getLogger("bench_autocapture").disabled = True
    configure(sink=NullSink())
    print(f"Python {sys.version.split()[0]}")
    success = measure("success")
    measure("failure")
    ok = success <= 1.05
    print("\ntarget (success path <= 1.05x bare):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
