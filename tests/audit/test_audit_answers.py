"""The audit and the runtime share one table of web frameworks' HTTP answers.

``autocapture._answers`` says which exceptions are a framework's own HTTP answers (not
captured below 500) and the status of those that carry none; the audit reads the same
table, so a raise the runtime treats as an answer is an answer in the audit too, with the
status the framework answers with.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from autocapture._answers import ANSWER_STATUSES, HTTP_ANSWER_CLASSES, is_http_answer
from autocapture.audit import audit
from tests.audit.conftest import write_tree


def _audited(tmp_path: Path, imports: str, raised: str) -> tuple[str, int | None]:
    source = (
        f"{imports}\n"
        "def view():\n    try:\n        pass\n    except KeyError:\n"
        f"        raise {raised}\n"
    )
    write_tree(tmp_path, {"a.py": source})
    (handler,) = audit(str(tmp_path)).handlers
    return handler.handler_class, handler.status


def _status_args(qualname: str) -> str:
    # The base classes take the status (the audit reads the argument); the others are
    # named by their status or carry a fixed one.
    return "(status_code=404)" if qualname == "HTTPException" else "()"


@pytest.mark.parametrize(("module", "qualname"), HTTP_ANSWER_CLASSES)
def test_every_runtime_answer_class_is_an_answer_for_the_audit(
    tmp_path: Path, module: str, qualname: str
) -> None:
    """Each class of the runtime's table, raised in a handler, is an HTTP answer below 500."""
    handler_class, status = _audited(
        tmp_path, f"from {module} import {qualname}", f"{qualname}{_status_args(qualname)}"
    )
    assert handler_class == "http_4xx"
    expected = ANSWER_STATUSES.get((module, qualname), 404)
    assert status == expected


@pytest.mark.parametrize(("module", "qualname"), sorted(ANSWER_STATUSES))
def test_the_fixed_statuses_are_answers_at_run_time_too(module: str, qualname: str) -> None:
    """The classes with a fixed status are real, runtime answers, and below 500."""
    cls = getattr(importlib.import_module(module), qualname)
    assert (module, qualname) in HTTP_ANSWER_CLASSES
    assert is_http_answer(cls())
    assert ANSWER_STATUSES[module, qualname] < 500


def test_django_http404_through_its_public_module(tmp_path: Path) -> None:
    """``django.http`` re-exports the class of ``django.http.response``: a 404 answer."""
    import django.http

    assert django.http.Http404.__module__ == "django.http.response"
    assert _audited(tmp_path, "from django.http import Http404", "Http404()") == (
        "http_4xx",
        404,
    )


@pytest.mark.parametrize(
    ("imports", "raised", "expected"),
    [
        ("from werkzeug.exceptions import NotFound", "NotFound()", ("http_4xx", 404)),
        (
            "from werkzeug.exceptions import ServiceUnavailable",
            "ServiceUnavailable() from None",
            ("http_5xx", 503),
        ),
        ("from myapp.errors import NotFound", "NotFound()", ("reraise", None)),
    ],
)
def test_status_named_classes_count_only_in_the_tables_modules(
    tmp_path: Path, imports: str, raised: str, expected: tuple[str, int | None]
) -> None:
    """Werkzeug's classes named after a status are answers; an app's own NotFound is not."""
    assert _audited(tmp_path, imports, raised) == expected
