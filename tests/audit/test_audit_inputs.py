"""Bad and unusual input, and how the audit recognises captures, setups and tasks."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autocapture.audit import audit, render_json, render_sarif, render_text
from tests.audit.conftest import write_tree


def _classes(root: Path, **options) -> dict[int, str]:
    return {h.line: h.handler_class for h in audit(str(root), **options).handlers}


def _handler(body: str, head: str = "") -> str:
    lines = "\n".join("        " + line for line in body.splitlines())
    return f"{head}\ndef f(e=None):\n    try:\n        pass\n    except Exception as e:\n{lines}\n"


# -- unreadable files and encodings -------------------------------------------------------


def test_unparsable_file_is_listed_and_counted(tmp_path):
    """A syntax error makes the file unreadable, counted in its layer, and a gap; no crash."""
    write_tree(tmp_path, {"db/broken.py": "def f(:\n    pass\n", "db/ok.py": _handler("raise")})
    report = audit(str(tmp_path))
    db = next(layer for layer in report.layers if layer.name == "db")
    assert (db.files, db.unreadable) == (2, 1)
    assert [(u.path, u.line) for u in report.unreadable] == [("db/broken.py", 1)]
    assert report.unreadable[0].error.startswith("SyntaxError: ")
    assert [(g.path, g.kind, g.severity) for g in report.gaps if g.kind == "unreadable"] == [
        ("db/broken.py", "unreadable", "medium")
    ]


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"x = '\xe9t\xe9'\n", "SyntaxError"),  # Latin-1 bytes without a coding cookie
        (b"# -*- coding: klingon -*-\nx = 1\n", "SyntaxError"),
        (b"x = 1\x00\n", "SyntaxError"),
        (b"\xff\xfe" + "x = 1\n".encode("utf-16-le"), "SyntaxError"),
    ],
)
def test_undecodable_files_are_unreadable(tmp_path, content, error):
    """Bytes that do not decode (bad UTF-8, unknown codec, NUL, UTF-16) are unreadable."""
    write_tree(tmp_path, {"bad.py": content})
    report = audit(str(tmp_path))
    assert report.files == 1
    assert [error] == [u.error.split(":")[0] for u in report.unreadable]


def test_coding_cookie_is_honoured(tmp_path):
    """A Latin-1 file with a PEP 263 cookie parses, and its handlers are classified."""
    source = "# -*- coding: latin-1 -*-\n" + _handler('log.error("échec", exc_info=True)')
    write_tree(tmp_path, {"legacy.py": source.encode("latin-1")})
    report = audit(str(tmp_path))
    assert (report.unreadable, _classes(tmp_path)) == ((), {6: "logged"})


def test_utf8_bom_is_accepted(tmp_path):
    """A UTF-8 file that starts with a byte order mark parses."""
    write_tree(tmp_path, {"bom.py": b"\xef\xbb\xbf" + _handler("raise").encode()})
    assert _classes(tmp_path) == {5: "reraise"}


def test_empty_tree(tmp_path):
    """An empty folder audits to zero files, no gaps and full coverage."""
    report = audit(str(tmp_path))
    assert (report.files, report.gaps, report.coverage) == (0, (), 1.0)
    assert "Gaps (0, worst first):\n  none" in render_text(report)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8")))
def test_any_bytes_never_crash_the_audit(content):
    """Whatever a file holds, the audit and its three renderings complete."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "x.py").write_bytes(content)
        report = audit(tmp)
        render_text(report)
        render_json(report)
        render_sarif(report)
    assert report.files == 1


# -- what counts as a capture -------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "call"),
    [
        ("import sentry_sdk", "sentry_sdk.capture_exception(e)"),
        ("import sentry_sdk as sdk", "sdk.capture_exception(e)"),
        ("from sentry_sdk import capture_exception as ce", "ce(e)"),
        ("from sentry_sdk import capture_message", "capture_message('failed')"),
        ("import sentry_sdk", "sentry_sdk.get_current_scope().capture_exception(e)"),
        (
            "import sentry_sdk",
            "scope = sentry_sdk.get_isolation_scope()\nscope.capture_exception(e)",
        ),
        ("from autocapture import capture_error", "capture_error(e)"),
        ("import autocapture", "autocapture.capture_database_error(e, table='t')"),
        ("from src.utils.sentry_context import capture_cache_error", "capture_cache_error(e)"),
    ],
)
def test_capture_calls_however_imported(tmp_path, head, call):
    """Sentry captures and capture_*_error helpers count however they are imported."""
    write_tree(tmp_path, {"a.py": _handler(call, head)})
    report = audit(str(tmp_path))
    assert (
        report.handlers[0].handler_class,
        report.layers[-1].files_with_capture,
    ) == ("captured", 1)


@pytest.mark.parametrize(
    ("head", "call"),
    [
        ("", "client.capture_exception(e)"),
        ("import sentry_sdk", "self.tracker.capture_message('x')"),
        ("", "self.capture_error(e)"),
        ("def capture_exception(e): ...", "capture_exception(e)"),
    ],
)
def test_lookalike_methods_are_not_captures(tmp_path, head, call):
    """A method or local function that only shares the name is not a Sentry capture."""
    write_tree(tmp_path, {"a.py": _handler(call, head)})
    assert [h.handler_class for h in audit(str(tmp_path)).handlers] == ["swallowed"]


@pytest.mark.parametrize(
    "decorator",
    [
        "from autocapture import auto_capture_errors\n@auto_capture_errors",
        "from autocapture import auto_capture_errors\n@auto_capture_errors(reraise=True)",
        "import autocapture\n@autocapture.auto_capture_errors(context_type='db')",
        "from autocapture import auto_capture_errors as ace\n@ace",
    ],
)
def test_decorator_however_imported(tmp_path, decorator):
    """@auto_capture_errors, bare or called, however imported, marks file and function."""
    source = (
        decorator + "\ndef f():\n    try:\n        pass\n    except Exception:\n        raise\n"
    )
    write_tree(tmp_path, {"a.py": source})
    report = audit(str(tmp_path))
    assert report.layers[-1].files_with_capture == 1
    assert report.handlers[0].reached_by == "re-raised into @auto_capture_errors"


# -- handler classes in detail ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected", "status"),
    [
        ("raise", "reraise", None),
        ("raise e", "reraise", None),
        ("raise RuntimeError('x') from e", "reraise", None),
        ("raise HTTPException(status_code=503) from e", "http_5xx", 503),
        ("raise HTTPException(status.HTTP_502_BAD_GATEWAY, 'x') from e", "http_5xx", 502),
        ("raise HTTPException(HTTPStatus.SERVICE_UNAVAILABLE) from e", "http_5xx", 503),
        ("raise HTTPException(HTTPStatus.NOT_FOUND.value)", "http_4xx", 404),
        ("raise StarletteHTTPException(status_code=429)", "http_4xx", 429),
        ("raise HTTPException(status_code=code) from e", "http_5xx", None),
        ("return JSONResponse({'e': 1}, status_code=500)", "http_5xx", 500),
        ("return PlainTextResponse('x', 404)", "http_4xx", 404),
        ("return JSONResponse({'ok': True})", "swallowed", None),
        ("abort(500)", "http_5xx", 500),
        ("raise NotFound()", "http_4xx", 404),
        ("logger.exception('x')", "logged", None),
        ("logging.error('x', exc_info=True)", "logged", None),
        ("self.log.log(logging.WARNING, 'x', exc_info=e)", "logged", None),
        ("logger.opt(exception=e).error('x')", "logged", None),
        ("logger.error('x', exc_info=False)", "swallowed", None),
        ("logger.error(f'x {e}')", "swallowed", None),
        ("print(e)", "swallowed", None),
        ("pass", "swallowed", None),
        ("return None", "swallowed", None),
        ("sentry_sdk.capture_exception(e)\nraise", "captured", None),
        ("logger.exception('x')\nraise", "reraise", None),
        ("logger.exception('x')\nraise HTTPException(500) from e", "http_5xx", 500),
        ("if e:\n    raise\nraise HTTPException(404)", "http_4xx", 404),
        ("if e:\n    raise HTTPException(404)\nraise HTTPException(500) from e", "http_5xx", 500),
        ("def later():\n    raise\nreturn later", "swallowed", None),
    ],
)
def test_handler_class_and_status(tmp_path, body, expected, status):
    """Each handler shape gets its class (and HTTP status) by the documented precedence."""
    head = (
        "import logging, sentry_sdk\nfrom http import HTTPStatus\n"
        "from fastapi import HTTPException, status\n"
        "from starlette.exceptions import HTTPException as StarletteHTTPException\n"
        "from starlette.responses import JSONResponse, PlainTextResponse\n"
        "from flask import abort\nfrom werkzeug.exceptions import NotFound\n"
    )
    write_tree(tmp_path, {"a.py": _handler(body, head)})
    handler = audit(str(tmp_path)).handlers[0]
    assert (expected, status) == (handler.handler_class, handler.status)


def test_nested_handlers_are_classified_separately(tmp_path):
    """A handler inside a handler is its own handler; its raise is not the outer one's."""
    source = (
        "def f():\n"
        "    try:\n"
        "        pass\n"
        "    except Exception:\n"
        "        try:\n"
        "            pass\n"
        "        except Exception:\n"
        "            raise\n"
        "        return None\n"
    )
    write_tree(tmp_path, {"a.py": source})
    assert _classes(tmp_path) == {4: "swallowed", 7: "reraise"}


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ("raise ValueError('bad')", "raise ValueError(...) without 'from'"),
        ("raise HTTPException(500)", "raise HTTPException(...) without 'from'"),
        ("raise ValueError('bad') from None", "raise ValueError(...) from None"),
    ],
)
def test_chain_lost_is_a_gap_at_the_raise(tmp_path, body, detail):
    """A raise without 'from e' (or 'from None') in a handler is a low chain_lost gap."""
    head = "from fastapi import HTTPException"
    write_tree(tmp_path, {"a.py": _handler(body, head)})
    gaps = [(g.line, g.kind, g.severity, g.detail) for g in audit(str(tmp_path)).gaps]
    assert [g[:3] for g in gaps] == [(6, "chain_lost", "low")]
    assert gaps[0][3].startswith(detail)


def test_no_chain_lost_for_4xx_or_re_raise(tmp_path):
    """Converting to a 4xx, or re-raising the caught error, loses no chain."""
    head = "from fastapi import HTTPException"
    write_tree(
        tmp_path, {"a.py": _handler("raise HTTPException(404)", head), "b.py": _handler("raise e")}
    )
    assert [g for g in audit(str(tmp_path)).gaps if g.kind == "chain_lost"] == []


# -- the setup: sentry_sdk.init and middleware --------------------------------------------

LOGGED_AND_5XX = """\
import logging
from fastapi import HTTPException
logger = logging.getLogger(__name__)
def f():
    try:
        pass
    except Exception as e:
        logger.exception("failed")
        return None
def g():
    try:
        pass
    except Exception as e:
        raise HTTPException(status_code=500) from e
"""


@pytest.mark.parametrize(
    ("setup", "logging_reaches", "http_reaches"),
    [
        ("", True, True),
        ("import sentry_sdk\nsentry_sdk.init(dsn='x')", True, True),
        ("import sentry_sdk\nsentry_sdk.init(dsn='x', default_integrations=False)", False, False),
        (
            (
                "import sentry_sdk\n"
                "from sentry_sdk.integrations.logging import LoggingIntegration\n"
                "sentry_sdk.init(integrations=[LoggingIntegration(event_level=None)])"
            ),
            False,
            True,
        ),
        (
            (
                "import logging, sentry_sdk\n"
                "from sentry_sdk.integrations.logging import LoggingIntegration\n"
                "sentry_sdk.init(integrations=[LoggingIntegration(event_level=logging.CRITICAL)])"
            ),
            False,
            True,
        ),
        (
            (
                "import sentry_sdk\n"
                "from sentry_sdk.integrations.logging import LoggingIntegration\n"
                "sentry_sdk.init(disabled_integrations=[LoggingIntegration])"
            ),
            False,
            True,
        ),
        (
            "import sentry_sdk\nsentry_sdk.init(auto_enabling_integrations=False)",
            True,
            False,
        ),
        (
            (
                "import sentry_sdk\n"
                "from sentry_sdk.integrations.fastapi import FastApiIntegration\n"
                "sentry_sdk.init(integrations=[FastApiIntegration("
                "failed_request_status_codes={*range(501, 600)})])"
            ),
            True,
            False,
        ),
        (
            (
                "import sentry_sdk\nfrom autocapture.asgi import AutoCaptureMiddleware\n"
                "sentry_sdk.init(default_integrations=False)\napp.add_middleware(AutoCaptureMiddleware)"
            ),
            False,
            True,
        ),
        (
            (
                "import sentry_sdk, autocapture.asgi\n"
                "sentry_sdk.init(default_integrations=False)\nautocapture.asgi.instrument(app)"
            ),
            False,
            True,
        ),
        (
            (
                "import sentry_sdk\n"
                "from sentry_sdk.integrations.asgi import SentryAsgiMiddleware\n"
                "sentry_sdk.init(default_integrations=False)\napp = SentryAsgiMiddleware(app)"
            ),
            False,
            False,
        ),
    ],
)
def test_setup_decides_what_reaches(tmp_path, setup, logging_reaches, http_reaches):
    """sentry_sdk.init options and capture middleware decide if logged and 5xx errors reach."""
    write_tree(tmp_path, {"main.py": setup + "\n", "routes/api.py": LOGGED_AND_5XX})
    report = audit(str(tmp_path))
    by_line = {h.line: h.reaches for h in report.handlers}
    assert (logging_reaches, http_reaches) == (by_line[7], by_line[13])


def test_setup_is_stated(tmp_path):
    """The assumptions name the init call and the middleware they were read from."""
    write_tree(
        tmp_path,
        {
            "main.py": (
                "import sentry_sdk\nfrom autocapture.asgi import AutoCaptureMiddleware\n"
                "sentry_sdk.init(default_integrations=False)\n"
                "app.add_middleware(AutoCaptureMiddleware)\n"
            )
        },
    )
    assumptions = audit(str(tmp_path)).assumptions
    assert (
        assumptions.logging_captured.source,
        assumptions.logging_captured.reason,
    ) == ("detected", "sentry_sdk.init at main.py:3: default_integrations=False")
    assert [(m.path, m.line, m.name, m.captures_http_5xx) for m in assumptions.middleware] == [
        ("main.py", 4, "AutoCaptureMiddleware", True)
    ]


# -- background work ----------------------------------------------------------------------


def test_background_targets_resolve_across_modules(tmp_path):
    """A target imported from another audited module is checked for the decorator there."""
    write_tree(
        tmp_path,
        {
            "app/tasks/jobs.py": (
                "from autocapture import auto_capture_errors\n"
                "@auto_capture_errors\ndef good(): ...\n"
                "def bad(): ...\n"
            ),
            "app/routes/api.py": (
                "from app.tasks.jobs import good, bad\n"
                "from ..tasks import jobs\n"
                "from elsewhere import unknown\n"
                "def route(background_tasks):\n"
                "    background_tasks.add_task(good)\n"
                "    background_tasks.add_task(bad)\n"
                "    background_tasks.add_task(jobs.good)\n"
                "    background_tasks.add_task(unknown)\n"
                "    background_tasks.add_task(lambda: bad())\n"
            ),
        },
    )
    starts = [(b.line, b.captured, b.reason) for b in audit(str(tmp_path)).background]
    assert starts == [
        (5, True, "target app.tasks.jobs.good decorated with @auto_capture_errors"),
        (6, False, "app.tasks.jobs.bad is not decorated with @auto_capture_errors"),
        (7, True, "target app.tasks.jobs.good decorated with @auto_capture_errors"),
        (8, False, "elsewhere.unknown is outside the audited code"),
        (9, False, "app.tasks.jobs.bad is not decorated with @auto_capture_errors"),
    ]


@pytest.mark.parametrize(
    ("call", "captured"),
    [
        ("asyncio.ensure_future(job())", False),
        ("asyncio.get_running_loop().create_task(job())", False),
        ("threading.Timer(5, job).start()", False),
        ("pool.map(job, [1, 2])", False),
        ("executor.submit(functools.partial(job, 1))", False),
        ("executor.submit(auto_capture_errors(job))", True),
        ("asyncio.create_task(safe())", True),
        ("create_task(job())", True),
    ],
)
def test_background_calls(tmp_path, call, captured):
    """Tasks, timers, pools and executors are background starts; captured only when wrapped."""
    source = (
        "import asyncio, functools, threading\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "from autocapture import auto_capture_errors\n"
        "from autocapture.tasks import create_task\n"
        "executor = ThreadPoolExecutor()\n"
        "def job(*a): ...\n"
        "@auto_capture_errors\nasync def safe(): ...\n"
        f"def start(pool):\n    {call}\n"
    )
    write_tree(tmp_path, {"tasks/run.py": source})
    assert [captured] == [b.captured for b in audit(str(tmp_path)).background]


def test_task_groups_are_not_background_gaps(tmp_path):
    """tg.create_task inside an asyncio.TaskGroup re-raises in the caller: not a gap."""
    source = (
        "import asyncio\n"
        "async def job(): ...\n"
        "async def main():\n"
        "    async with asyncio.TaskGroup() as tg:\n"
        "        tg.create_task(job())\n"
    )
    write_tree(tmp_path, {"a.py": source})
    assert audit(str(tmp_path)).background == ()


_LOOP_JOBS = (
    "import asyncio, functools\n"
    "from concurrent.futures import ThreadPoolExecutor\n"
    "from autocapture import auto_capture_errors\n"
    "pool = ThreadPoolExecutor()\n"
    "def job(*a): ...\n"
    "@auto_capture_errors\ndef safe(*a): ...\n"
    "async def start(items):\n"
    "    loop = asyncio.get_running_loop()\n"
    "    {call}\n"
)


@pytest.mark.parametrize(
    ("call", "target", "captured"),
    [
        ("loop.run_in_executor(None, job)", "job", False),
        ("loop.run_in_executor(pool, job, 1, 2)", "job", False),
        ("fut = loop.run_in_executor(None, job)", "job", False),
        ("asyncio.get_running_loop().run_in_executor(None, job)", "job", False),
        ("loop.run_in_executor(None, functools.partial(job, 1))", "job", False),
        ("loop.run_in_executor(None, lambda: job(1))", "job", False),
        ("loop.run_in_executor(None, safe)", "safe", True),
        ("loop.run_in_executor(pool, auto_capture_errors(job), 1)", "job", True),
        ("asyncio.ensure_future(loop.run_in_executor(None, job))", "job", False),
        ("asyncio.create_task(asyncio.to_thread(job, 1))", "job", False),
        ("asyncio.create_task(asyncio.to_thread(safe))", "safe", True),
        ("asyncio.gather(loop.run_in_executor(None, job))", "job", False),
        (
            (
                "await asyncio.gather(*(loop.run_in_executor(None, job, i) for i in items),"
                " return_exceptions=True)"
            ),
            "job",
            False,
        ),
    ],
)
def test_loop_executor_jobs_are_background_starts(tmp_path, call, target, captured):
    """loop.run_in_executor(executor, fn, *args) starts fn (its second argument) as an
    executor job, judged like executor.submit; asyncio.to_thread(fn) is judged by the task
    that runs it. A job nobody awaits is a high-severity gap unless fn is captured."""
    write_tree(tmp_path, {"tasks/jobs.py": _LOOP_JOBS.format(call=call)})
    report = audit(str(tmp_path))
    assert [(b.line, b.target, b.captured) for b in report.background] == [(10, target, captured)]
    gaps = [(g.line, g.kind, g.severity) for g in report.gaps if g.kind == "background"]
    assert gaps == ([] if captured else [(10, "background", "high")])


@pytest.mark.parametrize(
    "call",
    [
        "await loop.run_in_executor(None, job)",
        "result = await loop.run_in_executor(pool, job, 1)",
        "return await asyncio.get_running_loop().run_in_executor(None, job)",
        "await asyncio.to_thread(job, 1)",
        "asyncio.to_thread(job)",
        "await asyncio.wait_for(loop.run_in_executor(None, job), 5)",
        "await asyncio.shield(loop.run_in_executor(None, job))",
        "await asyncio.gather(loop.run_in_executor(None, job), asyncio.to_thread(job))",
        "await asyncio.gather(*[loop.run_in_executor(None, job, i) for i in items])",
        "await asyncio.ensure_future(loop.run_in_executor(None, job))",
        "await asyncio.create_task(asyncio.to_thread(job))",
    ],
)
def test_awaited_executor_jobs_are_not_background(tmp_path, call):
    """A job awaited where it starts raises its error in the awaiting coroutine, like a
    task group's tasks: not background work. So is a job awaited through asyncio.gather
    (without return_exceptions), wait_for, ensure_future or create_task. An
    asyncio.to_thread(fn) nobody awaits or schedules never runs at all."""
    write_tree(tmp_path, {"tasks/jobs.py": _LOOP_JOBS.format(call=call)})
    report = audit(str(tmp_path))
    assert report.background == ()
    assert [g for g in report.gaps if g.kind == "background"] == []


def test_fire_and_forget_run_in_executor_is_reported(tmp_path):
    """The case from the field: a blocking job handed to the loop's default executor and
    never awaited fails silently; the audit names the job and the reason."""
    write_tree(
        tmp_path,
        {
            "tasks/jobs.py": (
                "import asyncio\n"
                "def bad_job(): raise RuntimeError('x')\n"
                "async def run_async():\n"
                "    loop = asyncio.get_running_loop()\n"
                "    loop.run_in_executor(None, bad_job)   # never awaited: fire-and-forget\n"
            )
        },
    )
    report = audit(str(tmp_path))
    [start] = report.background
    assert (start.path, start.line, start.call, start.target, start.captured) == (
        "tasks/jobs.py",
        5,
        "loop.run_in_executor",
        "bad_job",
        False,
    )
    assert start.reason == "bad_job is not decorated with @auto_capture_errors"
    [gap] = [g for g in report.gaps if g.kind == "background"]
    assert (gap.path, gap.line, gap.severity) == ("tasks/jobs.py", 5, "high")
    assert gap.detail.startswith("loop.run_in_executor(bad_job) without capture: ")
    assert "loop.run_in_executor" in render_text(report)
    assert '"call": "loop.run_in_executor"' in render_json(report)
    assert "loop.run_in_executor(bad_job)" in render_sarif(report)


def test_run_in_executor_target_resolves_across_modules(tmp_path):
    """The job may live in another audited module; its decorator is looked up there."""
    write_tree(
        tmp_path,
        {
            "app/tasks/jobs.py": (
                "from autocapture import auto_capture_errors\n"
                "@auto_capture_errors\ndef good(): ...\n"
                "def bad(): ...\n"
            ),
            "app/services/runner.py": (
                "import asyncio\n"
                "from ..tasks.jobs import good, bad\n"
                "class Runner:\n"
                "    def blocking(self): ...\n"
                "    async def go(self, loop):\n"
                "        loop.run_in_executor(None, good)\n"
                "        loop.run_in_executor(None, bad)\n"
                "        self.loop.run_in_executor(None, self.blocking)\n"
            ),
        },
    )
    starts = [(b.line, b.call, b.captured, b.reason) for b in audit(str(tmp_path)).background]
    assert starts == [
        (
            6,
            "loop.run_in_executor",
            True,
            "target app.tasks.jobs.good decorated with @auto_capture_errors",
        ),
        (
            7,
            "loop.run_in_executor",
            False,
            "app.tasks.jobs.bad is not decorated with @auto_capture_errors",
        ),
        (
            8,
            "self.loop.run_in_executor",
            False,
            "self.blocking is not decorated with @auto_capture_errors",
        ),
    ]


def test_linked_folders_are_not_followed(tmp_path):
    """A folder link back to a parent neither loops nor counts files twice."""
    write_tree(tmp_path, {"app/a.py": "x = 1\n"})
    try:
        (tmp_path / "app" / "loop").symlink_to(tmp_path, target_is_directory=True)
    except OSError:
        pytest.skip("this platform cannot create folder links")
    assert audit(str(tmp_path)).files == 1
