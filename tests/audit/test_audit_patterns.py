"""Patterns found on real code bases (issue 12): what the audit must read right."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocapture.audit import Handler, audit
from tests.audit.conftest import write_tree


def _handlers(root: Path, **options) -> dict[int, Handler]:
    return {h.line: h for h in audit(str(root), **options).handlers}


def _kinds(root: Path, **options) -> list[tuple[int, str]]:
    return sorted((g.line, g.kind) for g in audit(str(root), **options).gaps)


# -- helpers that always raise ------------------------------------------------------------

RAISERS = """\
from typing import NoReturn
import logging

logger = logging.getLogger(__name__)


def _raise_network_error(e: Exception) -> NoReturn:
    msg = "network"
    raise_it(msg)


def _wrap(e):
    logger.info("wrapping")
    raise RuntimeError("wrapped") from e


def _maybe(e):
    if e:
        raise e
    return None


class Client:
    def handle_exception(self, ex):
        logger.warning("failed")
        raise ex

    def get(self):
        try:
            pass
        except KeyError as ex:
            self.handle_exception(ex)


def a():
    try:
        pass
    except OSError as e:
        _raise_network_error(e)


def b():
    try:
        pass
    except OSError as e:
        _wrap(e)


def c():
    try:
        pass
    except OSError as e:
        _maybe(e)
"""


def test_helpers_that_always_raise_make_a_reraise(tmp_path):
    """NoReturn, or a body that ends in raise, one level, same module or class."""
    write_tree(tmp_path, {"client.py": RAISERS})
    found = _handlers(tmp_path)
    assert {line: h.handler_class for line, h in found.items()} == {
        31: "reraise",
        38: "reraise",
        45: "reraise",
        52: "swallowed",  # _maybe may return: not a raiser
    }
    assert found[31].reaches_as == "exception"


# -- exceptions the app maps to a client error --------------------------------------------

MAPPED = {
    "app/main.py": """\
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from app.errors import NotPermitted, Conflict, Broken

app = FastAPI()
app.add_exception_handler(NotPermitted, permission_handler)


@app.exception_handler(Conflict)
async def conflict(request, exc):
    return JSONResponse({"detail": str(exc)}, status_code=409)


@app.exception_handler(Broken)
async def broken(request, exc):
    return JSONResponse({"detail": "x"}, status_code=500)
""",
    "app/errors.py": """\
class NotPermitted(Exception):
    pass


class Forbidden(NotPermitted):
    pass


class Conflict(Exception):
    pass


class Broken(Exception):
    pass
""",
    "app/services/users.py": """\
from app.errors import NotPermitted, Forbidden, Conflict, Broken


def one():
    try:
        pass
    except KeyError as e:
        raise NotPermitted("no") from e


def two():
    try:
        pass
    except KeyError as e:
        raise Forbidden("no") from e


def three():
    try:
        pass
    except KeyError:
        raise Conflict("taken")


def four():
    try:
        pass
    except KeyError as e:
        raise Broken("x") from e
""",
    "app/models.py": """\
from pydantic import BaseModel, field_validator


class Item(BaseModel):
    name: str

    @field_validator("name")
    @classmethod
    def check(cls, v):
        try:
            return int(v)
        except TypeError as e:
            raise ValueError("not a number") from e
""",
}


def test_exceptions_mapped_by_the_app_are_client_errors(tmp_path):
    """add_exception_handler, @app.exception_handler, subclasses; a 500 mapping is not 4xx."""
    write_tree(tmp_path, MAPPED)
    found = {(h.path, h.line): h for h in audit(str(tmp_path)).handlers}
    users = "app/services/users.py"
    assert found[users, 7].handler_class == "http_4xx"
    assert found[users, 14].handler_class == "http_4xx"
    assert (found[users, 21].handler_class, found[users, 21].status) == ("http_4xx", 409)
    assert found[users, 28].handler_class == "reraise"
    assert not found[users, 7].counted  # a specific error made a client error on purpose
    gaps = audit(str(tmp_path)).gaps
    assert [g for g in gaps if g.path == users] == []  # no chain_lost for a 4xx answer


def test_pydantic_validator_value_error_is_422(tmp_path):
    """A validator's ValueError becomes a 422 validation error."""
    write_tree(tmp_path, MAPPED)
    handler = next(h for h in audit(str(tmp_path)).handlers if h.path == "app/models.py")
    assert (handler.handler_class, handler.status) == ("http_4xx", 422)


def test_starlette_exception_handlers_argument(tmp_path):
    """Starlette(exception_handlers={X: handler}) maps X."""
    write_tree(
        tmp_path,
        {
            "main.py": (
                "from starlette.applications import Starlette\n"
                "class Gone(Exception): ...\n"
                "app = Starlette(exception_handlers={Gone: gone, 404: not_found})\n"
                "def f():\n    try:\n        pass\n    except KeyError as e:\n"
                "        raise Gone() from e\n"
            )
        },
    )
    assert _handlers(tmp_path)[7].handler_class == "http_4xx"


# -- how the error reaches the tracker ---------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reaches_as", "kind"),
    [
        ("logger.error(f'failed {e}')", "message", "message"),
        ("logger.exception('failed')", "exception", None),
        ("logger.warning(f'failed {e}')", None, "swallowed"),
        ("pass", None, "swallowed"),
        ("raise", "exception", None),
    ],
)
def test_reaches_as_is_three_way(tmp_path, body, reaches_as, kind):
    """exception / message / null; only exception counts as reached."""
    source = (
        "import logging\nlogger = logging.getLogger()\n"
        f"def f():\n    try:\n        pass\n    except Exception as e:\n        {body}\n"
    )
    write_tree(tmp_path, {"a.py": source})
    report = audit(str(tmp_path))
    handler = report.handlers[0]
    assert (handler.reaches_as, handler.reaches) == (reaches_as, reaches_as == "exception")
    assert [g.kind for g in report.gaps] == ([] if kind is None else [kind])
    if kind == "message":
        assert "exc_info=True" in report.gaps[0].fix
        assert report.coverage == 0.0


def test_log_then_raise_is_a_gap_of_its_own(tmp_path):
    """Logged at ERROR and re-raised: reported twice, or the thin log event first."""
    source = (
        "import logging\nlogger = logging.getLogger()\n"
        "def f():\n    try:\n        pass\n    except Exception as e:\n"
        "        logger.error(f'failed {e}')\n        raise\n"
    )
    write_tree(tmp_path, {"a.py": source})
    report = audit(str(tmp_path))
    assert report.handlers[0].reaches_as == "exception"
    assert [(g.kind, g.severity) for g in report.gaps] == [("log_reraise", "low")]


# -- retries and suppress -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "body"),
    [
        ("from dramatiq import Retry", "raise Retry(delay=100) from e"),
        ("from tenacity import TryAgain", "raise TryAgain from e"),
        ("", "raise self.retry(exc=e, countdown=5)"),
        ("", "self.retry(exc=e)"),
    ],
)
def test_retries_are_control_flow(tmp_path, head, body):
    """A retry hands the error back to the task framework: classified, not counted."""
    source = (
        f"{head}\nclass T:\n    def run(self):\n        try:\n            pass\n"
        f"        except Exception as e:\n            {body}\n"
    )
    write_tree(tmp_path, {"tasks/t.py": source})
    report = audit(str(tmp_path))
    handler = report.handlers[0]
    assert (handler.handler_class, handler.counted) == ("reraise", False)
    assert [g.kind for g in report.gaps] == []


def test_contextlib_suppress_is_a_swallow(tmp_path):
    """with suppress(Exception): is a broad handler that swallows."""
    source = (
        "import contextlib\nfrom contextlib import suppress\n"
        "def f():\n    with contextlib.suppress(Exception):\n        g()\n"
        "    with suppress(KeyError, ValueError):\n        g()\n"
    )
    write_tree(tmp_path, {"a.py": source})
    report = audit(str(tmp_path))
    assert [(h.line, h.handler_class, h.caught) for h in report.handlers] == [
        (4, "swallowed", "Exception"),
        (6, "swallowed", "KeyError, ValueError"),
    ]
    assert [(g.line, g.kind, g.severity) for g in report.gaps] == [
        (4, "swallowed", "high"),
        (6, "swallowed", "medium"),
    ]


# -- run-time capture the audit must count -------------------------------------------------

BACKGROUND = """\
import threading
import asyncio
from fastapi import BackgroundTasks


def job():
    pass


def route(tasks: BackgroundTasks):
    tasks.add_task(job)
    threading.Thread(target=job).start()
    asyncio.create_task(job())
"""


@pytest.mark.parametrize(
    ("setup", "captured"),
    [
        ("", set()),
        ("import autocapture.asgi\nautocapture.asgi.instrument(app)\n", {11}),
        ("from autocapture.tasks import install_hooks\ninstall_hooks()\n", {12, 13}),
        (
            (
                "from autocapture.asgi import AutoCaptureMiddleware\n"
                "app.add_middleware(AutoCaptureMiddleware)\n"
            ),
            {11},
        ),
    ],
)
def test_runtime_capture_of_background_work(tmp_path, setup, captured):
    """instrument(app) captures request background tasks; install_hooks() threads and tasks."""
    write_tree(tmp_path, {"routes/r.py": BACKGROUND, "main.py": "app = None\n" + setup})
    starts = audit(str(tmp_path)).background
    assert {b.line for b in starts if b.captured} == captured


def test_instrument_modules_counts_as_capture(tmp_path):
    """Files under an instrumented prefix have capture; their background targets too."""
    write_tree(
        tmp_path,
        {
            "app/main.py": (
                "import autocapture\n"
                "autocapture.instrument_modules('app.services', exclude=('app.services.raw',))\n"
            ),
            "app/services/jobs.py": (
                "def send():\n    try:\n        pass\n"
                "    except Exception as e:\n        raise RuntimeError('x') from e\n"
            ),
            "app/services/raw.py": "def other():\n    pass\n",
            "app/routes/r.py": (
                "import threading\nfrom app.services.jobs import send\nfrom app.services.raw "
                "import other\n"
                "def r():\n    threading.Thread(target=send).start()\n"
                "    threading.Thread(target=other).start()\n"
            ),
        },
    )
    report = audit(str(tmp_path))
    services = next(layer for layer in report.layers if layer.name == "services")
    assert (services.files, services.files_with_capture) == (2, 1)
    handler = next(h for h in report.handlers if h.path == "app/services/jobs.py")
    assert handler.reached_by == "re-raised into instrument_modules()"
    assert [(b.target, b.captured) for b in report.background] == [
        ("send", True),
        ("other", False),
    ]


def test_project_decorator_that_logs_with_traceback(tmp_path):
    """A decorator of the tree whose wrapper logs with exc_info captures its tasks' errors."""
    write_tree(
        tmp_path,
        {
            "app/decorators.py": (
                "import functools, logging\nlog = logging.getLogger()\n"
                "def background_task(func):\n    @functools.wraps(func)\n"
                "    def wrapper(*a, **k):\n        try:\n            return func(*a, **k)\n"
                "        except Exception:\n            log.exception('task failed')\n"
                "    return wrapper\n"
                "def timed(func):\n    return func\n"
            ),
            "app/jobs.py": (
                "from app.decorators import background_task, timed\n"
                "@background_task\ndef sync():\n    pass\n"
                "@timed\ndef other():\n    pass\n"
            ),
            "app/routes.py": (
                "from app.jobs import sync, other\n"
                "def r(tasks):\n    tasks.add_task(sync)\n    tasks.add_task(other)\n"
            ),
        },
    )
    starts = audit(str(tmp_path)).background
    assert [(b.target, b.captured) for b in starts] == [("sync", True), ("other", False)]
    assert "background_task" in starts[0].reason


# -- layers and migrations ---------------------------------------------------------------


def test_singular_and_plural_layer_names(tmp_path):
    """service.py, worker/, repos/, scheduled.py... land in their layers."""
    names = {
        "app/service.py": "services",
        "app/worker/run.py": "tasks",
        "app/repos/users.py": "db",
        "app/scheduled.py": "tasks",
        "app/endpoint/x.py": "routes",
        "app/route.py": "routes",
        "app/models.py": "db",
        "app/job/x.py": "tasks",
        "app/utils.py": "other",
    }
    write_tree(tmp_path, dict.fromkeys(names, "x = 1\n"))
    report = audit(str(tmp_path))
    by_layer = {layer.name: layer.files for layer in report.layers}
    assert by_layer == {"routes": 2, "services": 1, "db": 2, "tasks": 3, "other": 1}


def test_migrations_are_excluded_by_content(tmp_path):
    """alembic and Django migrations are skipped; a migrations/ folder of code is not."""
    write_tree(
        tmp_path,
        {
            "alembic/versions/0001_init.py": (
                'revision = "0001"\ndown_revision = None\ndef upgrade():\n    pass\n'
            ),
            "app/migrations/0002_auto.py": (
                "from django.db import migrations\n"
                "class Migration(migrations.Migration):\n    operations = []\n"
            ),
            "app/services/migrations/recipes.py": "def move():\n    pass\n",
        },
    )
    report = audit(str(tmp_path))
    assert report.files == 1
    assert report.migrations == ("alembic/versions/0001_init.py", "app/migrations/0002_auto.py")
    assert audit(str(tmp_path), include_migrations=True).files == 3


# -- files that do not parse --------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "needs"),
    [
        ("type Point = tuple[float, float]\n", "Python 3.12+ (PEP 695"),
        ("def first[T](xs: list[T]) -> T:\n    return xs[0]\n", "Python 3.12+ (PEP 695"),
        ("class Box[T]:\n    pass\n", "Python 3.12+ (PEP 695"),
        ('x = f"{\'a\' + "b"}"\n', "Python 3.12+ (PEP 701"),
        ("try:\n    pass\nexcept A, B:\n    pass\n", "Python 3.14+ (PEP 758"),
    ],
)
def test_unparseable_file_says_which_python_it_needs(tmp_path, source, needs):
    """The reason names the Python version the syntax needs."""
    write_tree(tmp_path, {"new.py": source})
    (failure,) = audit(str(tmp_path)).unreadable
    assert needs in failure.error


def test_plain_syntax_error_has_no_version_claim(tmp_path):
    """A real syntax error is not blamed on the Python version."""
    write_tree(tmp_path, {"bad.py": "def f(:\n    pass\n"})
    (failure,) = audit(str(tmp_path)).unreadable
    assert "needs Python" not in failure.error


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        ("PermissionDenied()", ("http_4xx", 403)),
        ("SuspiciousOperation('x') from e", ("http_4xx", 400)),
        ("openai.AuthenticationError('x', response=r, body=None) from e", ("reraise", None)),
        ("httpx.HTTPStatusError('x', request=q, response=r) from e", ("reraise", None)),
    ],
)
def test_sdk_errors_are_errors_framework_answers_are_answers(tmp_path, raised, expected):
    """The runtime's rule: a framework's own 4xx is an answer; an SDK status error is not."""
    source = (
        "import openai, httpx\n"
        "from django.core.exceptions import PermissionDenied, SuspiciousOperation\n"
        "def f():\n    try:\n        pass\n    except KeyError as e:\n"
        f"        raise {raised}\n"
    )
    write_tree(tmp_path, {"a.py": source})
    (handler,) = audit(str(tmp_path)).handlers
    assert (handler.handler_class, handler.status) == expected
