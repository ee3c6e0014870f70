"""``autocapture.sampling.make_traces_sampler``: parent decisions, environments, path rules."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
import sentry_sdk
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from autocapture.sampling import (
    DEFAULT_RULES,
    DEVELOPMENT_ENVIRONMENTS,
    SamplingRule,
    make_traces_sampler,
)
from tests.conftest import RecordingTransport


def asgi(path: str, **extra: Any) -> dict[str, Any]:
    """A sampling context like Sentry's ASGI integration builds for a root transaction."""
    return {
        "transaction_context": {"name": path, "op": "http.server"},
        "parent_sampled": None,
        "asgi_scope": {"type": "http", "path": path},
        **extra,
    }


PRODUCTION = make_traces_sampler(environment="production")


@pytest.mark.parametrize(
    ("path", "rate"),
    [
        ("/health", 0.0),
        ("/health/live", 0.0),
        ("/healthz", 0.0),
        ("/readyz", 0.0),
        ("/livez", 0.0),
        ("/metrics", 0.0),
        ("/ping", 0.0),
        ("/v1/health", 0.0),
        ("/api/health/deep", 0.0),
        ("/api/metrics", 0.0),
        ("/v1/chat/completions", 0.2),
        ("/v1/chat/completions/", 0.2),
        ("/v1/messages", 0.2),
        ("/v1/messages/count_tokens", 0.2),
        ("/v1/images", 0.2),
        ("/v1/images/generations", 0.2),
        ("/admin", 0.5),
        ("/admin/users/7", 0.5),
        ("/v1/admin/keys", 0.5),
        ("/users/7", 0.1),
        ("/", 0.1),
        ("/administrators", 0.1),
        ("/v1/imagesearch", 0.1),
        ("/healthcare/records", 0.1),
        ("/ping/7", 0.1),
        ("/api/v1/health", 0.0),
        ("/api/v1/chat/completions", 0.2),
        ("/api/v1/messages/count_tokens", 0.2),
        ("/api/admin/keys", 0.5),
        ("/api/v2/chat/completions", 0.1),
    ],
)
def test_default_rules_reproduce_the_audited_policy(path: str, rate: float) -> None:
    """Health/metrics 0.0, inference 0.2, admin 0.5, anything else 0.1, segment-wise."""
    assert rate == PRODUCTION(asgi(path))


@pytest.mark.parametrize(("parent", "rate"), [(True, 1.0), (False, 0.0)])
def test_a_parents_decision_is_kept_whatever_the_path(parent: bool, rate: float) -> None:
    """A sampled parent gives 1.0 and an unsampled one 0.0, even on health or in dev."""
    for path in ("/health", "/admin", "/users/1"):
        assert rate == PRODUCTION(asgi(path, parent_sampled=parent))
        dev = make_traces_sampler(environment="development")
        assert rate == dev(asgi(path, parent_sampled=parent))


@pytest.mark.parametrize("environment", ["development", "dev", "local", "Development ", "LOCAL"])
def test_development_environments_sample_everything(environment: str) -> None:
    """In a development environment every trace is kept, health checks included."""
    sampler = make_traces_sampler(environment=environment)
    assert [sampler(asgi(p)) for p in ("/health", "/users/1", "/v1/messages")] == [1.0, 1.0, 1.0]


def test_test_and_staging_are_not_development_by_default() -> None:
    """'test' and 'staging' follow the rules unless listed in development_environments."""
    assert frozenset({"dev", "development", "local"}) == DEVELOPMENT_ENVIRONMENTS
    assert make_traces_sampler(environment="test")(asgi("/health")) == 0.0
    sampler = make_traces_sampler(environment="test", development_environments={"test", "ci"})
    assert sampler(asgi("/health")) == 1.0


def test_environment_none_reads_the_sentry_client(sentry_transport: RecordingTransport) -> None:
    """environment=None follows sentry_sdk.init(environment=...), read at each decision."""
    sampler = make_traces_sampler()
    assert sampler(asgi("/health")) == 0.0  # the fixture's client says "test"
    sentry_sdk.init(dsn="https://public@sentry.example.invalid/1", environment="local")
    assert sampler(asgi("/health")) == 1.0


def test_environment_none_without_sentry_reads_sentry_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With no active Sentry client, environment=None reads SENTRY_ENVIRONMENT."""
    sampler = make_traces_sampler()
    monkeypatch.setenv("SENTRY_ENVIRONMENT", "development")
    assert sampler(asgi("/health")) == 1.0
    monkeypatch.setenv("SENTRY_ENVIRONMENT", "production")
    assert sampler(asgi("/health")) == 0.0
    monkeypatch.delenv("SENTRY_ENVIRONMENT")
    assert sampler(asgi("/health")) == 0.0


def test_the_path_comes_from_asgi_then_wsgi_then_the_transaction_name() -> None:
    """asgi_scope["path"] wins, then wsgi_environ["PATH_INFO"], then the transaction name."""
    both = {
        "parent_sampled": None,
        "transaction_context": {"name": "/admin"},
        "wsgi_environ": {"PATH_INFO": "/v1/messages"},
        "asgi_scope": {"path": "/health"},
    }
    assert PRODUCTION(both) == 0.0
    del both["asgi_scope"]
    assert PRODUCTION(both) == 0.2
    del both["wsgi_environ"]
    assert PRODUCTION(both) == 0.5


@pytest.mark.parametrize(
    ("name", "rate"),
    [
        ("GET /v1/chat/completions", 0.2),
        ("POST /admin/users/{user_id}", 0.5),
        ("/health?verbose=1", 0.0),
        ("GET /health?verbose=1", 0.0),
        ("tasks.send_invoice", 0.1),
        ("generic WSGI request", 0.1),
    ],
)
def test_transaction_names_with_a_method_or_query_are_understood(name: str, rate: float) -> None:
    """A transaction name "METHOD /path?query" is matched on its path."""
    context = {"parent_sampled": None, "transaction_context": {"name": name}}
    assert rate == PRODUCTION(context)


@pytest.mark.parametrize(
    "context",
    [
        {},
        {"parent_sampled": None},
        {"parent_sampled": None, "asgi_scope": None, "transaction_context": "GET /health"},
        {"parent_sampled": None, "asgi_scope": {"path": 42}, "wsgi_environ": []},
        {"parent_sampled": None, "transaction_context": {"name": None}},
    ],
)
def test_a_malformed_sampling_context_gets_the_default(context: dict[str, Any]) -> None:
    """Missing or odd fields never raise: the sampler answers the default rate."""
    assert make_traces_sampler(default=0.3, environment="production")(context) == 0.3


def test_a_sampling_context_that_fails_gets_the_default(caplog: pytest.LogCaptureFixture) -> None:
    """Even a context whose lookups raise gets the default, and the failure is logged."""

    class Hostile(dict):  # type: ignore[type-arg]
        def get(self, *_args: Any) -> Any:
            raise RuntimeError("boom")

    with caplog.at_level(logging.WARNING, logger="autocapture"):
        assert make_traces_sampler(default=0.25)(Hostile()) == 0.25
    assert "the traces sampler" in caplog.text


def test_custom_rules_replace_the_defaults() -> None:
    """Rules given as rules= replace DEFAULT_RULES entirely."""
    sampler = make_traces_sampler(
        rules=[SamplingRule("/v1/embeddings", 0.05, "prefix")],
        default=0.3,
        environment="production",
    )
    assert sampler(asgi("/v1/embeddings/batch")) == 0.05
    assert sampler(asgi("/health")) == 0.3


def test_extra_rules_come_before_the_defaults() -> None:
    """extra_rules are tried first and the defaults still apply to everything else."""
    sampler = make_traces_sampler(
        extra_rules={"/v1/chat/completions/stream": 1.0}, environment="production"
    )
    assert sampler(asgi("/v1/chat/completions/stream")) == 1.0
    assert sampler(asgi("/v1/chat/completions")) == 0.2
    assert sampler(asgi("/health")) == 0.0


def test_the_first_matching_rule_wins_whatever_its_kind() -> None:
    """Precedence is the rules' order, across exact, prefix and glob rules."""
    rules = [
        SamplingRule("/a/*/c", 0.3, "glob"),
        SamplingRule("/a", 0.2, "prefix"),
        SamplingRule("/a/b/c", 0.1, "exact"),
        SamplingRule("/a/b", 0.4, "prefix"),
    ]
    sampler = make_traces_sampler(rules=rules, default=0.9, environment="production")
    assert sampler(asgi("/a/b/c")) == 0.3
    assert sampler(asgi("/a/b/d")) == 0.2
    reversed_sampler = make_traces_sampler(
        rules=rules[::-1], default=0.9, environment="production"
    )
    assert reversed_sampler(asgi("/a/b/c")) == 0.4
    assert reversed_sampler(asgi("/a/x/c")) == 0.2  # "/a" now comes before the glob
    assert reversed_sampler(asgi("/b")) == 0.9


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/v1/*/stream", "/v1/chat/stream", True),
        ("/v1/*/stream", "/v1/chat/x/stream", False),
        ("/v1/**/stream", "/v1/chat/x/stream", True),
        ("/v?/models", "/v2/models", True),
        ("/v?/models", "/v10/models", False),
        ("/files/*.csv", "/files/report.csv", True),
        ("/files/*.csv", "/files/reportXcsv", False),
        ("/users/{id}", "/users/{id}", True),
    ],
)
def test_globs(pattern: str, path: str, matches: bool) -> None:
    """* stays within a segment, ** crosses segments, ? is one character, the rest is literal."""
    sampler = make_traces_sampler(rules={pattern: 0.7}, default=0.0, environment="production")
    assert (0.7 if matches else 0.0) == sampler(asgi(path))


def test_rule_kinds_are_inferred_from_a_mapping() -> None:
    """In a mapping, '*'/'?' make a glob, a trailing '/' a prefix, anything else exact."""
    assert SamplingRule("/v1/*/x", 0.1).kind == "glob"
    assert SamplingRule("/admin/", 0.1).kind == "prefix"
    assert SamplingRule("/ping", 0.1).kind == "exact"
    sampler = make_traces_sampler(
        rules={"/admin/": 0.5, "/ping": 0.0}, default=0.1, environment="production"
    )
    assert [
        sampler(asgi(p)) for p in ("/admin", "/admin/x", "/administrators", "/ping", "/ping/x")
    ] == [0.5, 0.5, 0.1, 0.0, 0.1]


def test_a_root_prefix_matches_everything() -> None:
    """SamplingRule('/', rate, 'prefix') is a catch-all."""
    sampler = make_traces_sampler(rules=[SamplingRule("/", 0.6, "prefix")], environment="prod")
    assert [sampler(asgi("/")), sampler(asgi("/a/b"))] == [0.6, 0.6]


@pytest.mark.parametrize(
    ("rate", "error"),
    [
        (1.5, ValueError),
        (-0.1, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        (True, TypeError),
        ("0.5", TypeError),
        (None, TypeError),
    ],
)
def test_invalid_rates_are_rejected_when_the_sampler_is_made(
    rate: object, error: type[Exception]
) -> None:
    """A rate that is not a number in [0, 1] fails at once, naming the rule and the value."""
    with pytest.raises(error, match=r"'/v1/x'.*from 0\.0 .*to 1\.0") as info:
        make_traces_sampler(rules={"/v1/x": rate})  # type: ignore[arg-type]
    assert repr(rate) in str(info.value)
    with pytest.raises(error, match=r"'/v1/x'"):
        SamplingRule("/v1/x", rate)  # type: ignore[arg-type]
    with pytest.raises(error, match=r"default=\.\.\."):
        make_traces_sampler(default=rate)  # type: ignore[arg-type]


def test_integer_rates_are_accepted() -> None:
    """0 and 1 as ints are valid rates and come back as floats."""
    assert SamplingRule("/a", 1).rate == 1.0
    assert isinstance(make_traces_sampler(default=0, environment="prod")(asgi("/x")), float)


def test_bad_rules_and_options_are_rejected_clearly() -> None:
    """Wrong rule containers, kinds, patterns and options raise TypeError/ValueError."""
    with pytest.raises(TypeError, match=r"rules=\.\.\.\) takes SamplingRule objects"):
        make_traces_sampler(rules="/health")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"got tuple \('/a', 0.1\) among them"):
        make_traces_sampler(rules=[("/a", 0.1)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"kind=\.\.\.\) for '/a' must be one of"):
        SamplingRule("/a", 0.1, "regex")
    with pytest.raises(TypeError, match=r"pattern=\.\.\.\) must be a non-empty str"):
        SamplingRule("", 0.1)
    with pytest.raises(TypeError, match=r"environment=\.\.\.\) must be a str or None"):
        make_traces_sampler(environment=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="development_environments"):
        make_traces_sampler(development_environments="dev")


def test_default_rules_are_data() -> None:
    """DEFAULT_RULES is a tuple of frozen SamplingRule values users can reuse."""
    assert all(isinstance(rule, SamplingRule) for rule in DEFAULT_RULES)
    assert SamplingRule("/v1/messages", 0.2, "prefix") in DEFAULT_RULES
    with pytest.raises(AttributeError):
        DEFAULT_RULES[0].rate = 1.0  # type: ignore[misc]


# The real SDK: sentry_sdk.init(traces_sampler=...) with its Starlette integration.


def transactions(transport: RecordingTransport) -> list[str]:
    """The names of the transactions the SDK sent."""
    return [
        item.payload.json["transaction"]  # type: ignore[index]
        for envelope in transport.envelopes
        for item in envelope.items
        if item.type == "transaction"
    ]


def traced_app() -> Starlette:
    """A Starlette app with a health check, an admin page and a user page."""

    async def ok(_request: Any) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[Route("/health", ok), Route("/admin/stats", ok), Route("/users/{user_id}", ok)]
    )


def init_sentry(environment: str) -> RecordingTransport:
    """Initialise the real SDK with a deterministic sampler and a recording transport."""
    transport = RecordingTransport()
    sentry_sdk.init(
        dsn="https://public@sentry.example.invalid/1",
        transport=transport,
        environment=environment,
        traces_sampler=make_traces_sampler(
            rules=[*DEFAULT_RULES[:6], SamplingRule("/admin", 1.0, "prefix")], default=1.0
        ),
    )
    return transport


def client_for(app: Starlette) -> httpx.AsyncClient:
    """An in-process HTTP client for ``app`` (Starlette 1.10's TestClient wants httpx2)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app")


async def test_with_the_real_sdk_health_checks_make_no_transaction() -> None:
    """Through Sentry's Starlette integration, /health is not traced and other paths are."""
    transport = init_sentry("production")
    async with client_for(traced_app()) as client:
        for path in ("/health", "/admin/stats", "/users/7", "/health"):
            assert (await client.get(path)).status_code == 200
    sentry_sdk.flush()
    assert transactions(transport) == ["/admin/stats", "/users/{user_id}"]


async def test_with_the_real_sdk_a_development_environment_traces_everything() -> None:
    """With environment="development" in sentry_sdk.init, even /health is traced."""
    transport = init_sentry("development")
    async with client_for(traced_app()) as client:
        assert (await client.get("/health")).status_code == 200
    sentry_sdk.flush()
    assert transactions(transport) == ["/health"]


async def test_with_the_real_sdk_an_unsampled_parent_is_followed() -> None:
    """An incoming sentry-trace header with sampled=0 drops the trace; sampled=1 keeps it."""
    transport = init_sentry("production")
    trace = "771a43a4192642f0b136d5159a501700-b2d1a2e9f5a0b5c3"
    async with client_for(traced_app()) as client:
        await client.get("/users/7", headers={"sentry-trace": f"{trace}-0"})
        await client.get("/health", headers={"sentry-trace": f"{trace}-1"})
    sentry_sdk.flush()
    assert transactions(transport) == ["/health"]


AGREEMENT_PATHS = [
    "/health",
    "/api/v1/health",
    "/v2/healthz",
    "/api/ready",
    "/monitoring/db",
    "/metrics",
    "/api/v1/chat/completions",
    "/v1/chat/completions",
    "/api/v1/messages",
    "/v1/images/generations",
    "/v1/embeddings",
    "/api/v2/chat/completions",
    "/admin/users",
    "/api/v3/admin",
    "/users/7",
    "/payments/charge",
    "/",
    "/healthcare",
]
RATES_BY_TYPE = {"health": 0.0, "inference": 0.2, "admin": 0.5}


@pytest.mark.parametrize("path", AGREEMENT_PATHS)
def test_sampler_and_endpoint_tags_agree(path: str) -> None:
    """The default sampler rate of a path is the rate of the endpoint type its tags say."""
    from autocapture.asgi import DEFAULT_ENDPOINT_RULES, endpoint_type

    kind = endpoint_type(path, DEFAULT_ENDPOINT_RULES)
    assert RATES_BY_TYPE.get(kind, 0.1) == PRODUCTION(asgi(path)), kind


def test_sampler_and_endpoint_rules_share_one_matcher() -> None:
    """Both kinds of rule match through the one low-level path matcher."""
    import autocapture._sampling as sampling
    import autocapture._web._rules as endpoint_rules
    from autocapture import _paths

    assert sampling.PathMatcher is _paths.PathMatcher
    assert endpoint_rules.PathMatcher is _paths.PathMatcher
