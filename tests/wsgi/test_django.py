"""autocapture.django.AutoCaptureMiddleware in a real Django project configured in process."""

from __future__ import annotations

from typing import Any

import django
import httpx
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path

from autocapture import auto_capture_errors, configure
from autocapture.sinks import MemorySink

TOKEN = "tok-planted-django-1234"


def user_view(request: HttpRequest, user_id: int) -> HttpResponse:
    raise LookupError(f"user {user_id} vanished")


def missing(request: HttpRequest) -> HttpResponse:
    raise Http404("no such page")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


@auto_capture_errors(context_type="database")
def load_invoice(number: str) -> None:
    raise KeyError(number)


def invoice(request: HttpRequest, number: str) -> HttpResponse:
    load_invoice(number)
    return HttpResponse("never")


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("fine")


urlpatterns = [
    path("users/<int:user_id>/", user_view),
    path("missing/", missing),
    path("forbidden/", forbidden),
    path("billing/invoices/<str:number>/", invoice),
    path("ok/", ok),
]


@pytest.fixture(scope="module", autouse=True)
def django_project() -> None:
    """Configure Django once for this process, with autocapture in MIDDLEWARE."""
    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="tests-only-not-a-secret",
            ALLOWED_HOSTS=["*"],
            ROOT_URLCONF=__name__,
            MIDDLEWARE=["autocapture.django.AutoCaptureMiddleware"],
            INSTALLED_APPS=[],
            USE_TZ=True,
            LOGGING_CONFIG=None,
        )
        django.setup()


def client() -> Any:
    from django.test import Client

    return Client(raise_request_exception=False)


def test_a_views_error_is_captured_with_the_resolver_route() -> None:
    """The route template comes from the resolver match; the query is scrubbed."""
    sink = MemorySink()
    configure(sink=sink)
    response = client().get(f"/users/7/?token={TOKEN}", HTTP_X_REQUEST_ID="r-9")
    assert response.status_code == 500
    [event] = sink.events
    assert isinstance(event.exception, LookupError)
    assert (event.tags["endpoint"], event.tags["endpoint_type"]) == (
        "/users/<int:user_id>/",
        "users",
    )
    assert event.context["request_id"] == "r-9"
    assert event.function.endswith("test_django.user_view")
    assert TOKEN not in repr(event.context)


def test_http404_and_permission_denied_are_answers() -> None:
    """Django's own answers are not captured; a working view is left alone."""
    sink = MemorySink()
    configure(sink=sink)
    statuses = [client().get(p).status_code for p in ("/missing/", "/forbidden/", "/ok/")]
    assert (statuses, len(sink)) == ([404, 403, 200], 0)


def test_decorated_services_called_in_a_request_get_its_context() -> None:
    """The service reports first with the request's tags; the middleware adds nothing."""
    sink = MemorySink()
    configure(sink=sink)
    assert client().get("/billing/invoices/A-1/").status_code == 500
    [event] = sink.events
    assert event.function.endswith("load_invoice")
    assert (event.tags["endpoint_type"], event.tags["error_category"]) == (
        "payment",
        "database_error",
    )


@pytest.fixture
def served(wsgiref_server: Any) -> str:
    """Django's WSGI handler on the stdlib server."""
    from django.core.wsgi import get_wsgi_application

    return str(wsgiref_server(get_wsgi_application()))


def test_under_a_real_wsgi_server(served: str) -> None:
    """Through wsgiref: one event for the failing view, none for the 404."""
    sink = MemorySink()
    configure(sink=sink)
    assert httpx.get(f"{served}/users/3/", timeout=10).status_code == 500
    assert httpx.get(f"{served}/missing/", timeout=10).status_code == 404
    [event] = sink.events
    assert event.tags["endpoint"] == "/users/<int:user_id>/"
    assert event.context["request"]["url"].endswith("/users/3/")
