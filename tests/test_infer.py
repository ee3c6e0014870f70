"""Context inference: words, rules, the type/operation/provider of names, context fields."""

from __future__ import annotations

import dataclasses
import re
import string
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autocapture._infer import (
    BUILTIN_CONTEXT_TYPES,
    DEFAULT_RULES,
    Inference,
    Rules,
    context_fields,
    infer,
    merge_rules,
    split_words,
)

# --------------------------------------------------------------------------- split_words


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("app.services.openrouter_client", ("app", "services", "openrouter", "client")),
        ("loginUser", ("login", "user")),
        ("HTTPServer2", ("http", "server", "2")),
        ("get_user", ("get", "user")),
        ("GetUser", ("get", "user")),
        ("x-request-id", ("x", "request", "id")),
        ("getHTTPResponse", ("get", "http", "response")),
        ("OpenAIClient", ("open", "ai", "client")),
        ("__init__", ("init",)),
        ("oauth2_callback", ("oauth", "2", "callback")),
        ("<locals>", ("locals",)),
        ("ABC", ("abc",)),
        ("", ()),
        ("___", ()),
        ("größeBerechnen", ("größe", "berechnen")),
    ],
)
def test_split_words(name: str, expected: tuple[str, ...]) -> None:
    """Identifiers split into lowercase words on case, digit and separator changes."""
    assert expected == split_words(name)


@given(st.text())
def test_split_words_never_raises_and_yields_clean_words(name: str) -> None:
    """Any string splits into non-empty words without separators."""
    words = split_words(name)
    assert all(words)
    assert all(not any(char in word for char in "_-. ") for word in words)


@given(st.text(alphabet=string.ascii_letters + string.digits + "_-. ", max_size=40))
def test_split_words_is_stable_on_its_own_output(name: str) -> None:
    """Joining the words with underscores and splitting again gives the same words."""
    words = split_words(name)
    assert words == split_words("_".join(words))


# --------------------------------------------------------------------------- infer: the contract

CASES = [
    # (module, function, context type, operation, provider)
    ("app.db.users", "get_user", "database", "select", None),
    ("app.services.openrouter_client", "make_request", "provider", None, "openrouter"),
    ("app.services.payments", "process_stripe_webhook", "payment", "webhook", "stripe"),
    ("app.services.auth", "verify_api_key", "auth", "verify", None),
    ("app.services.cache", "get_cached_models", "cache", "get", None),
    ("app.routes.chat", "create_checkout_session", "payment", "checkout", None),
    ("app.utils.text", "tokenize", "general", None, None),
    ("app.services.stats", "process_request", "general", "process", None),
    ("app.services.auth", "loginUser", "auth", "login", None),
    # More realistic names.
    ("app.db.credit_transactions", "insert_transaction", "database", "insert", None),
    ("app.services.stripe_service", "charge_customer", "payment", "charge", "stripe"),
    ("app.services.redis_cache", "set_value", "cache", "set", "redis"),
    ("app.services.anthropic_client", "create_message", "provider", "create", "anthropic"),
    ("repositories.user_repository", "delete_by_id", "database", "delete", None),
    ("app.services.pricing", "refund_order", "payment", "refund", None),
    ("app.auth.jwt", "decode_token", "auth", "decode", None),
    ("app.services.llm", "chat_completion", "provider", "chat_completion", None),
    ("app.db.users", "fetch_users", "database", "select", None),
    ("app.db.users", "update_user", "database", "update", None),
    ("app.db.users", "save_user", "database", "upsert", None),
    ("app.services.users", "query_active_users", "database", "select", None),
    ("app.services.auth", "logout", "auth", "logout", None),
    ("app.services.auth", "sign_up", "auth", "register", None),
    ("app.services.accounts", "log_in", "auth", "login", None),
    ("app.services.accounts", "refresh_access_token", "auth", "refresh", None),
    ("app.services.cache", "invalidate_user", "cache", "delete", None),
    ("app.services.users", "cache_invoice", "cache", "set", None),
    ("app.services.models", "embed_documents", "general", None, None),
    ("app.services.openai_client", "embed_documents", "provider", "embedding", "openai"),
    ("app.services.OpenAIClient", "create", "provider", "create", "openai"),
    ("app.services.open_router", "stream_chat", "provider", "stream", "openrouter"),
    ("app.services.together_client", "generate", "provider", "generate", "together"),
    ("app.services.together_ai", "chat", "provider", "chat", "together"),
    ("app.utils.misc", "count_tokens", "general", "count", None),
    ("app.services.billing", "pay_invoice", "payment", "charge", None),
    ("app.services.billing", "top_up_credits", "payment", "top_up", None),
    ("app.services.providers.base", "call", "provider", "call", None),
    # A qualname: the class is context between the function and the module.
    ("app.clients", "OpenRouterClient.make_request", "provider", None, "openrouter"),
    ("app.clients", "factory.<locals>.get_user", "general", "get", None),
]


@pytest.mark.parametrize(("module", "function", "context_type", "operation", "provider"), CASES)
def test_infer_cases(
    module: str, function: str, context_type: str, operation: str | None, provider: str | None
) -> None:
    """Realistic names give the expected context type, operation and provider."""
    assert Inference(context_type, operation, provider) == infer(module, function)


def test_openrouter_client_fills_the_provider_field() -> None:
    """The provider named by the module becomes the provider context field."""
    inference = infer("app.services.openrouter_client", "make_request")
    expected = "openrouter"
    assert expected == context_fields("provider", {}, provider=inference.provider)["provider"]


# --------------------------------------------------------------------------- infer: decisions


@pytest.mark.parametrize(
    ("module", "function", "context_type"),
    [
        # Whole words only: a signal inside a longer word does not count.
        ("app.utils.misc", "author_name", "general"),
        ("app.utils.misc", "tokenizer", "general"),
        ("app.utils.misc", "keyboard", "general"),
        ("app.utils.misc", "authority_check", "general"),
        ("app.utils.misc", "paginate", "general"),
        # Neutral phrases: a Python idiom, configuration, LLM token usage.
        ("app.utils.misc", "cached_property", "general"),
        ("app.utils.misc", "database_url_parser", "general"),
        ("app.utils.misc", "parse_query_params", "general"),
        ("app.utils.misc", "count_tokens", "general"),
        ("app.utils.misc", "get_token_count", "general"),
        ("app.utils.misc", "check_token_bucket", "general"),
        # Words kept out of every type on purpose.
        ("app.utils.misc", "create_session", "general"),
        ("app.utils.misc", "select_model", "general"),
        ("app.utils.misc", "register_handler", "general"),
        ("app.utils.misc", "log_event", "general"),
        ("app.utils.misc", "get_price", "general"),
        # Provider names that are everyday words count in module names only.
        ("app.utils.lists", "group_together", "general"),
        ("app.utils.rows", "replicate_rows", "general"),
    ],
)
def test_infer_negative_and_ambiguous_names(module: str, function: str, context_type: str) -> None:
    """Names that only look like a signal stay out of that type."""
    assert context_type == infer(module, function).context_type


def test_function_word_wins_over_module_word() -> None:
    """A signal in the function name beats the module path (password -> auth in app.db)."""
    assert Inference("auth", "password_reset", None) == infer(
        "app.db.users", "send_password_reset_email"
    )


def test_function_signals_in_two_types_are_settled_by_the_module() -> None:
    """When the function names two types, the module path chooses among them."""
    expected = "database"
    assert expected == infer("app.db.users", "insert_payment").context_type
    expected = "payment"
    assert expected == infer("app.db.payments", "insert_payment").context_type


def test_function_signals_in_two_types_fall_back_to_reading_order() -> None:
    """Without help from the module, the first signal in the function name wins."""
    expected = "cache"
    assert expected == infer("app.utils", "get_cached_invoice").context_type
    expected = "database"
    assert expected == infer("app.utils", "insert_payment").context_type


def test_module_segments_are_read_last_first_and_right_to_left() -> None:
    """The last module segment wins, and its rightmost signal first (head of the noun)."""
    expected = "cache"
    assert expected == infer("app.db.user_cache", "get").context_type
    expected = "cache"
    assert expected == infer("app.services.stripe_cache", "get").context_type
    expected = "database"
    assert expected == infer("app.cache.db", "get").context_type


def test_provider_is_only_named_for_its_own_type() -> None:
    """A provider name of another type than the inferred one is not reported."""
    assert Inference("cache", "get", None) == infer(
        "app.services.openrouter_client", "get_cached_models"
    )


@pytest.mark.parametrize(
    ("module", "function", "operation"),
    [
        # "cache" names the type and is also the verb "to cache" (set): another verb of the
        # cache table says more.
        ("app.services.cache", "cache_get", "get"),
        ("app.utils", "cacheGet", "get"),
        ("app.utils", "cache_invalidate", "delete"),
        ("app.utils", "cache_delete", "delete"),
        ("app.utils", "cache_clear", "clear"),
        ("app.utils", "get_cached_models", "get"),
        # Nothing else to say: the type's word is the operation.
        ("app.utils", "cache_user", "set"),
        ("app.db.users", "query_users", "select"),
        ("app.services.auth", "login", "login"),
        # The other types' words that are also operations yield the same way.
        ("app.services.billing", "handle_checkout_webhook", "webhook"),
        ("app.services.billing", "checkout_cancel", "cancel"),
        ("app.services.auth", "login_verify_otp", "verify"),
        ("app.services.llm", "chat_completion_stream", "stream"),
        ("app.db.users", "insert_or_update_user", "upsert"),
        # Only type words: the first in reading order, as before.
        ("app.services.billing", "refund_charge", "refund"),
        ("app.services.billing", "pay_invoice", "charge"),
    ],
)
def test_type_word_yields_the_operation_to_a_more_specific_word(
    module: str, function: str, operation: str
) -> None:
    """A word that names the inferred type is the operation only if no other verb is."""
    assert operation == infer(module, function).operation


@pytest.mark.parametrize(
    ("module", "function", "context_type", "operation"),
    [
        # A cache key, hit or statistics is cache context but no call that sets it.
        ("app.utils", "cacheKeyFor", "cache", None),
        ("app.utils", "cache_stats", "cache", None),
        ("app.utils", "record_cache_hit", "cache", None),
        ("app.utils", "invalidate_cache_key", "cache", "delete"),
        ("app.services.cache", "cache_control", "cache", None),
        # Neutral phrases hide their verbs too.
        ("app.utils.misc", "token_count", "general", None),
        ("app.db.users", "query_string", "database", None),
        # A phrase the operation table knows stays an operation.
        ("app.services.auth", "refresh_token", "auth", "refresh"),
        ("app.services.auth", "rotate_refresh_token", "auth", "rotate"),
        ("app.db.users", "send_password_reset_email", "auth", "password_reset"),
    ],
)
def test_word_inside_a_longer_phrase_is_no_operation(
    module: str, function: str, context_type: str, operation: str | None
) -> None:
    """Operations are read on the phrases of the signals: a part of one is no verb."""
    expected = Inference(context_type, operation, None)
    assert expected == infer(module, function)


def test_type_word_yields_in_custom_rules_too() -> None:
    """The preference is a rule of the selection, not of the word cache: any type has it."""
    rules = dataclasses.replace(
        merge_rules(DEFAULT_RULES, {"queue": ["queue", "kafka"]}),
        operations={**DEFAULT_RULES.operations, "queue": {"queue": "enqueue", "ack": "ack"}},
    )
    expected = "ack"
    assert expected == infer("app.workers", "queue_ack", rules).operation
    expected = "enqueue"
    assert expected == infer("app.workers", "queue_message", rules).operation


def test_explicit_context_type_and_operation_win() -> None:
    """Explicit values are used as given; the provider of that type is still found."""
    assert Inference("payment", "capture", "stripe") == infer(
        "app.services.stripe_client",
        "tokenize",
        context_type="payment",
        operation="capture",
    )


def test_explicit_context_type_still_infers_the_operation() -> None:
    """With only an explicit type, the operation comes from that type's table."""
    assert Inference("database", "select", None) == infer(
        "app.misc", "fetch_rows", context_type="database"
    )


def test_explicit_unknown_type_uses_the_general_verbs() -> None:
    """A custom type unknown to the rules keeps the general verb table."""
    assert Inference("queue", "publish", None) == infer(
        "app.misc", "publish_event", context_type="queue"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"module": None}, "module must be a str"),
        ({"function": 3}, "function must be a str"),
        ({"context_type": 1}, "context_type must be a str or None"),
        ({"operation": b"x"}, "operation must be a str or None"),
    ],
)
def test_infer_rejects_non_strings(kwargs: dict[str, Any], message: str) -> None:
    """Non-string names and options raise a TypeError naming the argument."""
    arguments: dict[str, Any] = {"module": "m", "function": "f", **kwargs}
    with pytest.raises(TypeError, match=message):
        infer(arguments.pop("module"), arguments.pop("function"), **arguments)


def test_infer_is_memoised_per_rules() -> None:
    """The same question to the same rules returns the very same answer object."""
    assert infer("app.db.users", "get_user") is infer("app.db.users", "get_user")


# --------------------------------------------------------------------------- rules data


def test_builtin_context_types() -> None:
    """The built-in types are the six of the contract, sorted."""
    expected = ("auth", "cache", "database", "general", "payment", "provider")
    assert expected == BUILTIN_CONTEXT_TYPES
    assert expected == DEFAULT_RULES.context_types


def test_default_signals_do_not_collide() -> None:
    """No lexicon key is claimed by two tables, so no default rule silently loses."""
    seen: dict[str, str] = {}
    collisions = []

    def claim(key: str, owner: str) -> None:
        if key in seen and seen[key] != owner:
            collisions.append((key, seen[key], owner))
        seen[key] = owner

    for phrase in DEFAULT_RULES.neutral:
        claim("".join(phrase), "neutral")
    for name, words in DEFAULT_RULES.context_words.items():
        for word in words:
            claim(word, name)
    for name, phrases in DEFAULT_RULES.compounds.items():
        for phrase in phrases:
            claim("".join(phrase), name)
    for service, name in DEFAULT_RULES.providers.items():
        claim(service, name)
    expected: list[tuple[str, str, str]] = []
    assert expected == collisions


def test_rules_are_frozen_and_hashable() -> None:
    """Rules cannot be changed in place and hash consistently with equality."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_RULES.providers = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        DEFAULT_RULES.context_words["auth"] = frozenset()  # type: ignore[index]
    copy = dataclasses.replace(DEFAULT_RULES)
    assert copy == DEFAULT_RULES
    assert hash(copy) == hash(DEFAULT_RULES)


def test_rules_can_be_overridden_with_replace() -> None:
    """A whole table can be replaced; the lexicon is recompiled."""
    rules = dataclasses.replace(
        DEFAULT_RULES, providers={**DEFAULT_RULES.providers, "acme": "provider"}
    )
    assert Inference("provider", "call", "acme") == infer("app.acme_client", "call_it", rules)


# --------------------------------------------------------------------------- merge_rules


def test_merge_rules_adds_a_new_type() -> None:
    """A new key adds a context type recognised by its words, compounds included."""
    rules = merge_rules(DEFAULT_RULES, {"queue": ["kafka", "RabbitMQ", "enqueue", "dead letter"]})
    assert "queue" in rules.context_types
    expected = "queue"
    assert expected == infer("app.workers", "enqueue_email", rules).context_type
    expected = "queue"
    assert expected == infer("app.rabbit_mq", "send", rules).context_type
    expected = "queue"
    assert expected == infer("app.rabbitmq", "send", rules).context_type
    expected = "queue"
    assert expected == infer("app.workers", "move_to_dead_letter", rules).context_type
    expected = "general"
    assert expected == infer("app.workers", "enqueue_email").context_type


def test_merge_rules_extends_an_existing_type() -> None:
    """Words given for a built-in type extend it and keep its old words."""
    rules = merge_rules(DEFAULT_RULES, {"payment": ["ledger"]})
    expected = "payment"
    assert expected == infer("app.services.ledger", "post_entry", rules).context_type
    expected = "payment"
    assert expected == infer("app.x", "charge", rules).context_type


def test_merge_rules_moves_a_word_to_the_type_named_last() -> None:
    """A known word given for another type now signals that type only."""
    rules = merge_rules(DEFAULT_RULES, {"queue": ["redis", "token_count"]})
    assert Inference("queue", None, "redis") == infer("app.redis_client", "push", rules)
    expected = "queue"
    assert expected == infer("app.x", "token_count", rules).context_type
    expected = "cache"
    assert expected == infer("app.cache", "token_count", DEFAULT_RULES).context_type


def test_merge_rules_accepts_an_empty_word_list() -> None:
    """A type with no words is registered, for explicit use."""
    rules = merge_rules(DEFAULT_RULES, {"search": []})
    assert "search" in rules.context_types
    expected = DEFAULT_RULES
    assert expected == merge_rules(DEFAULT_RULES, {})


def test_merge_rules_leaves_the_base_untouched() -> None:
    """Merging returns new rules; the base rules keep their answers."""
    merge_rules(DEFAULT_RULES, {"auth": ["tokenize"]})
    expected = "general"
    assert expected == infer("app.utils.text", "tokenize").context_type


@pytest.mark.parametrize(
    ("extra", "error", "message"),
    [
        (["queue"], TypeError, "rules must be a mapping of context type -> iterable of words"),
        ({1: ["kafka"]}, TypeError, "rules keys are context type names .str.*got int 1"),
        ({"Queue": ["kafka"]}, ValueError, "rules key 'Queue' is not a valid context type name"),
        ({"my-queue": ["kafka"]}, ValueError, "use a lowercase identifier"),
        ({"": ["kafka"]}, ValueError, "rules key '' is not a valid"),
        ({"general": ["misc"]}, ValueError, "rules key 'general' is not allowed.*allowed keys"),
        (
            {"queue": "kafka"},
            TypeError,
            r"rules\['queue'\] must be an iterable of words.*\['kafka'\]",
        ),
        ({"queue": 3}, TypeError, r"rules\['queue'\] must be an iterable of words .*got int 3"),
        ({"queue": ["kafka", 3]}, TypeError, r"rules\['queue'\] must contain words .*got int 3"),
        (
            {"queue": ["kafka", ""]},
            ValueError,
            r"rules\['queue'\] contains '', which has no letter",
        ),
        ({"queue": ["--"]}, ValueError, r"rules\['queue'\] contains '--'"),
    ],
)
def test_merge_rules_validates(extra: Any, error: type[Exception], message: str) -> None:
    """Bad rules raise an error naming the key or value and what is allowed."""
    with pytest.raises(error, match=message):
        merge_rules(DEFAULT_RULES, extra)


# --------------------------------------------------------------------------- context_fields


@pytest.mark.parametrize(
    ("context_type", "arguments", "kwargs", "expected"),
    [
        (
            "provider",
            {"provider": "openai", "model": "gpt-4", "request_id": "r-1", "endpoint": "/v1"},
            {},
            {"provider": "openai", "model": "gpt-4", "request_id": "r-1", "endpoint": "/v1"},
        ),
        (
            "provider",
            {
                "provider_name": "groq",
                "modelId": "llama",
                "req_id": "r-2",
                "base_url": "https://x",
            },
            {},
            {"provider": "groq", "model": "llama", "request_id": "r-2", "endpoint": "https://x"},
        ),
        (
            "provider",
            {"model_name": "m", "X-Request-Id": "r-3", "url": "https://y"},
            {"provider": "openrouter"},
            {"provider": "openrouter", "model": "m", "request_id": "r-3", "endpoint": "https://y"},
        ),
        (
            "provider",
            {"provider": "anthropic"},
            {"provider": "openrouter"},
            {"provider": "anthropic"},
        ),
        (
            "provider",
            {"request": {"model": "gpt-4o", "messages": []}, "api_key": "[REDACTED]"},
            {},
            {"model": "gpt-4o"},
        ),
        (
            "database",
            {"operation": "select", "table": "users", "record_id": 7},
            {},
            {"operation": "select", "table": "users", "record_id": 7},
        ),
        (
            "database",
            {"table_name": "orders", "pk": 3},
            {"operation": "delete"},
            {"operation": "delete", "table": "orders", "record_id": 3},
        ),
        (
            "database",
            {"collection": "events", "id": "e-1"},
            {},
            {"table": "events", "record_id": "e-1"},
        ),
        ("database", {"row_id": 9}, {}, {"record_id": 9}),
        ("database", {"user_id": 42, "limit": 10}, {}, {"record_id": 42}),
        ("database", {"user_id": 42, "org_id": 1}, {}, {}),
        (
            "payment",
            {
                "operation": "charge",
                "provider": "stripe",
                "user_id": "u",
                "amount": 5,
                "currency": "usd",
            },
            {},
            {
                "operation": "charge",
                "provider": "stripe",
                "user_id": "u",
                "amount": 5,
                "currency": "usd",
            },
        ),
        (
            "payment",
            {"uid": "u-2", "amount_cents": 1999, "currency_code": "EUR"},
            {"provider": "stripe"},
            {"provider": "stripe", "user_id": "u-2", "amount": 1999, "currency": "EUR"},
        ),
        ("payment", {"cost": 0.25}, {}, {"amount": 0.25}),
        (
            "payment",
            {"price": 3.5, "gateway": "paypal"},
            {},
            {"provider": "paypal", "amount": 3.5},
        ),
        ("payment", {"total": 10}, {}, {"amount": 10}),
        (
            "auth",
            {"operation": "login", "user_id": "u-1"},
            {},
            {"operation": "login", "user_id": "u-1"},
        ),
        (
            "auth",
            {"uid": "u-3"},
            {"operation": "verify"},
            {"operation": "verify", "user_id": "u-3"},
        ),
        ("auth", {"username": "ada"}, {}, {"user_id": "ada"}),
        (
            "cache",
            {"operation": "get", "cache_type": "redis", "key": "models"},
            {},
            {"operation": "get", "cache_type": "redis", "key": "models"},
        ),
        (
            "cache",
            {"cacheKey": "k", "backend": "memcached"},
            {},
            {"cache_type": "memcached", "key": "k"},
        ),
        ("cache", {"cache_key": "k"}, {"provider": "redis"}, {"cache_type": "redis", "key": "k"}),
        ("general", {"provider": "x", "model": "y", "key": "k"}, {"provider": "p"}, {}),
        ("queue", {"topic": "t"}, {}, {}),
    ],
)
def test_context_fields(
    context_type: str, arguments: dict[str, Any], kwargs: dict[str, Any], expected: dict[str, Any]
) -> None:
    """Each type takes its well-known fields from arguments, aliases and defaults."""
    assert expected == context_fields(context_type, arguments, **kwargs)


def test_context_fields_takes_scalars_only() -> None:
    """Containers, None and booleans never become context fields."""
    arguments = {"model": {"name": "x"}, "provider": None, "request_id": True, "endpoint": ["/"]}
    expected: dict[str, object] = {}
    assert expected == context_fields("provider", arguments)


def test_context_fields_of_custom_type_from_rules() -> None:
    """Rules may give a custom type its own field aliases."""
    rules = dataclasses.replace(
        merge_rules(DEFAULT_RULES, {"queue": ["kafka"]}),
        fields={**DEFAULT_RULES.fields, "queue": {"topic": ("topic", "queue_name")}},
    )
    expected = {"topic": "jobs"}
    assert expected == context_fields("queue", {"queue_name": "jobs"}, rules=rules)


# --------------------------------------------------------------------------- properties

identifierish = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,30}", fullmatch=True)
dotted = st.lists(identifierish, min_size=0, max_size=5).map(".".join)


def _lexicon_words() -> list[str]:
    words = {word for found in DEFAULT_RULES.context_words.values() for word in found}
    words.update(DEFAULT_RULES.providers)
    return sorted(word for word in words if re.fullmatch(r"[a-z]+", word))


def _known_keys(rules: Rules) -> set[str]:
    keys = {word for found in rules.context_words.values() for word in found}
    keys.update("".join(phrase) for found in rules.compounds.values() for phrase in found)
    keys.update("".join(phrase) for phrase in rules.neutral)
    keys.update(rules.providers)
    keys.update(rules.provider_aliases)
    keys.update("".join(split_words(op)) for ops in rules.operations.values() for op in ops)
    return keys


def _joined_runs(words: tuple[str, ...], span: int = 4) -> set[str]:
    return {
        "".join(words[start : start + size])
        for start in range(len(words))
        for size in range(1, span + 1)
    }


@given(dotted, st.one_of(identifierish, st.text(max_size=40)))
def test_infer_never_raises(module: str, function: str) -> None:
    """Any module path and function name give a known type without raising."""
    result = infer(module, function)
    assert result.context_type in DEFAULT_RULES.context_types


@given(
    st.sampled_from(_lexicon_words()),
    st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=4),
    st.text(alphabet=string.ascii_lowercase, max_size=4),
)
def test_keyword_inside_a_longer_word_never_counts(keyword: str, prefix: str, suffix: str) -> None:
    """A signal word that appears only inside a longer unknown word yields general."""
    for word in (prefix + keyword + suffix, keyword + prefix + suffix):
        assume(word not in _known_keys(DEFAULT_RULES))
        expected = "general"
        assert expected == infer("app.utils.misc", word).context_type


@given(
    st.lists(
        st.one_of(st.sampled_from(_lexicon_words()), st.from_regex(r"[a-z]{1,8}", fullmatch=True)),
        min_size=1,
        max_size=5,
    ),
    st.lists(st.from_regex(r"[a-z]{2,10}", fullmatch=True), min_size=1, max_size=4),
)
def test_new_type_never_changes_names_without_its_words(
    name_words: list[str], new_words: list[str]
) -> None:
    """Rules for a new type leave every name that contains none of its words unchanged."""
    known = _known_keys(DEFAULT_RULES)
    module_words = ("app", "services", *name_words[:2])
    runs = _joined_runs(tuple(name_words)) | _joined_runs(module_words)
    assume(not any(word in known or word in runs for word in new_words))
    rules = merge_rules(DEFAULT_RULES, {"brandnew": new_words})
    module, function = ".".join(module_words), "_".join(name_words)
    assert infer(module, function) == infer(module, function, rules)
