"""Infer a decorated function's context type, operation and provider from its names.

Role in the package: the decorator calls :func:`infer` once per decorated function (and
again only when ``configure(rules=...)`` changed the rules) and :func:`context_fields` only
on the error path. Nothing here imports another autocapture module.

How a name is read:

1. :func:`split_words` turns ``snake_case``, ``camelCase``, ``PascalCase``, kebab, dots
   and digits into lowercase words.
2. The words are matched against a lexicon, longest match first, on whole words and on
   runs of up to a few adjacent words joined together (``api_key`` and ``apiKey`` both
   give the compound ``apikey``; ``OpenAI`` gives ``open`` + ``ai`` = ``openai``). A word
   is never searched *inside* another word, so ``tokenize`` is not ``token``.
3. Neutral phrases (``token_count``, ``cached_property``, ``database_url``...) are
   consumed by the longest match and signal nothing.
4. The context type: an explicit one wins; else the signals of the function name; else
   the module path, last segment first and, inside a segment, the rightmost signal first
   (module names are noun phrases whose head comes last: ``redis_cache`` is a cache).
   When the function name signals several types, the module path chooses among them, and
   failing that the first signal in reading order wins.
5. The operation: an explicit one wins; else the chosen type's operation table is read,
   then the general verb table. Each is read on the phrases of step 2, longest first, so
   a word inside a longer known phrase is no operation unless the table knows the whole
   phrase (``cache`` in ``cache_key``, ``count`` in ``token_count``). In reading order,
   the first operation wins, except that a phrase which is itself a signal of the chosen
   type (``cache``, ``checkout``, ``query``) yields to any other operation of the same
   table: it names the type more than the action (``cache_get`` -> ``get``,
   ``handle_checkout_webhook`` -> ``webhook``; ``cache_user`` -> ``set``).

Every table is data in :class:`Rules`; ``configure(rules=...)`` extends it through
:func:`merge_rules`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Final, Optional

__all__ = [
    "BUILTIN_CONTEXT_TYPES",
    "DEFAULT_RULES",
    "Inference",
    "Rules",
    "context_fields",
    "infer",
    "merge_rules",
    "split_words",
]

BUILTIN_CONTEXT_TYPES: Final[tuple[str, ...]] = (
    "auth",
    "cache",
    "database",
    "general",
    "payment",
    "provider",
)

_TYPE_NAME: Final = re.compile(r"[a-z][a-z0-9_]*\Z")
_MEMO_SIZE: Final = 4096


# --------------------------------------------------------------------------- words


def _kind(char: str) -> str:
    """Classify one character: ``d`` digit, ``u`` uppercase, ``l`` other letter, ``""``."""
    if char.isdecimal():
        return "d"
    if char.isupper():
        return "u"
    if char.isalpha():
        return "l"
    return ""


@functools.lru_cache(maxsize=8192)
def split_words(name: str) -> tuple[str, ...]:
    """Split an identifier or a dotted path into lowercase words.

    Separators are every character that is neither a letter nor a digit (``_``, ``-``,
    ``.``, spaces, ``<``...). Inside a run, a word starts at a lower-to-upper change
    (``loginUser``), before the last capital of an acronym followed by a lowercase letter
    (``HTTPServer``) and at every letter/digit change (``Server2``).

    Args:
        name: Any string; non-identifier characters only separate words.

    Returns:
        The words, lowercased, e.g. ``'HTTPServer2'`` -> ``('http', 'server', '2')``.
    """
    words: list[str] = []
    current: list[str] = []
    previous = ""
    last = len(name) - 1
    for index, char in enumerate(name):
        kind = _kind(char)
        if not kind:
            if current:
                words.append("".join(current).lower())
                current = []
            previous = ""
            continue
        if current and (
            (kind == "d") != (previous == "d")
            or (previous == "l" and kind == "u")
            or (previous == "u" and kind == "u" and index < last and _kind(name[index + 1]) == "l")
        ):
            words.append("".join(current).lower())
            current = []
        current.append(char)
        previous = kind
    if current:
        words.append("".join(current).lower())
    return tuple(words)


def _key(phrase: str | tuple[str, ...]) -> str:
    """Return the lexicon key of a word or phrase: its words joined without separator."""
    if isinstance(phrase, str):
        return "".join(split_words(phrase))
    return "".join("".join(split_words(part)) for part in phrase)


# --------------------------------------------------------------------------- default data
#
# Decisions on ambiguous words (each kept out of a type, or neutralised, on purpose):
# - "token" (singular) is auth: decode_token, refresh_token. "tokens" is not: in an LLM
#   backend it is usage (count_tokens, max_tokens). Phrases such as token_count,
#   token_usage, token_limit, token_bucket (rate limiting) are neutral.
# - "session" signals nothing: checkout sessions, DB sessions and HTTP sessions are as
#   common as login sessions (create_checkout_session must be payment).
# - "request", "client", "chat", "model(s)", "prompt" signal nothing: process_request is
#   general, and chat routes also hold billing (app.routes.chat.create_checkout_session).
# - "transaction(s)" and "credit(s)" signal nothing: a DB transaction and a payment
#   transaction look alike, and LLM "credits" are a balance, not a payment
#   (app.db.credit_transactions.insert_transaction is database). "credit_card" is payment.
# - "pricing", "price", "cost" signal nothing: a price lookup is not a payment operation.
# - "select", "register", "log", "verify", "webhook", "invalidate" signal nothing on their
#   own (select_model, register_handler, log_event, verify_signature...); they still name
#   operations once the type is known.
# - "cache key(s)/hit(s)/miss(es)/stats" are cache compounds, so that their "cache" is not
#   the verb "to cache": cacheKeyFor is cache context with no operation, not a set.
# - "cached_property" and "cache_control" are neutral: a Python idiom and an HTTP header,
#   not a call to a cache. "database_url"/"db_url"/"redis_url" are neutral: configuration
#   parsing is not a database operation (database_url_parser is general).
# - Provider names that are everyday words (together, replicate, fireworks, perplexity,
#   voyage, square...) only count in the module path (services/together_client.py), never
#   in a function name (group_together, replicate_rows).

_CONTEXT_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "auth": (
        "auth",
        "authn",
        "authz",
        "authenticate",
        "authenticated",
        "authentication",
        "authenticator",
        "authorize",
        "authorized",
        "authorization",
        "login",
        "logins",
        "logout",
        "signin",
        "signout",
        "signup",
        "password",
        "passwords",
        "passwd",
        "token",
        "jwt",
        "jwks",
        "oauth",
        "oidc",
        "sso",
        "saml",
        "credential",
        "credentials",
        "mfa",
        "otp",
        "totp",
        "2fa",
        "bearer",
        "permission",
        "permissions",
        "rbac",
        "apikey",
        "apikeys",
    ),
    "cache": (
        "cache",
        "caches",
        "cached",
        "caching",
        "memoize",
        "memoise",
        "memoized",
        "memoised",
        "ttl",
        "evict",
        "eviction",
    ),
    "database": (
        "db",
        "database",
        "databases",
        "sql",
        "orm",
        "sqlalchemy",
        "repository",
        "repositories",
        "dao",
        "dal",
        "crud",
        "query",
        "queries",
        "insert",
        "upsert",
        "rollback",
        "migration",
        "migrations",
        "postgres",
        "postgresql",
        "psycopg",
        "asyncpg",
        "mysql",
        "sqlite",
        "mongo",
        "mongodb",
        "supabase",
        "dynamodb",
        "firestore",
        "prisma",
        "clickhouse",
        "cassandra",
    ),
    "general": (),
    "payment": (
        "payment",
        "payments",
        "pay",
        "paid",
        "payout",
        "payouts",
        "billing",
        "bill",
        "invoice",
        "invoices",
        "charge",
        "charges",
        "refund",
        "refunds",
        "checkout",
        "subscription",
        "subscriptions",
        "purchase",
        "purchases",
        "topup",
    ),
    "provider": (
        "llm",
        "llms",
        "inference",
        "completion",
        "completions",
        "embedding",
        "embeddings",
        "provider",
        "providers",
    ),
}

_COMPOUNDS: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "auth": (
        ("api", "key"),
        ("api", "keys"),
        ("access", "token"),
        ("refresh", "token"),
        ("id", "token"),
        ("auth", "provider"),
        ("identity", "provider"),
        ("two", "factor"),
    ),
    "cache": (
        ("cache", "key"),
        ("cache", "keys"),
        ("cache", "hit"),
        ("cache", "hits"),
        ("cache", "miss"),
        ("cache", "misses"),
        ("cache", "stats"),
    ),
    "payment": (
        ("credit", "card"),
        ("credit", "cards"),
        ("payment", "provider"),
        ("payment", "providers"),
        ("payment", "method"),
        ("top", "up"),
    ),
    "provider": (
        ("chat", "completion"),
        ("chat", "completions"),
    ),
}

_NEUTRAL: Final[tuple[tuple[str, ...], ...]] = (
    ("token", "count"),
    ("token", "counts"),
    ("token", "usage"),
    ("token", "limit"),
    ("token", "limits"),
    ("token", "budget"),
    ("token", "bucket"),
    ("token", "cost"),
    ("token", "price"),
    ("token", "estimate"),
    ("cached", "property"),
    ("cache", "control"),
    ("database", "url"),
    ("database", "uri"),
    ("db", "url"),
    ("db", "uri"),
    ("redis", "url"),
    ("query", "param"),
    ("query", "params"),
    ("query", "parameters"),
    ("query", "string"),
)

# Known services: the name -> the context type it signals. Inference.provider names the
# first one whose type is the inferred type (an LLM provider, a payment processor, a
# cache backend); context_fields turns it into the type's service field.
_PROVIDERS: Final[dict[str, str]] = {
    **dict.fromkeys(
        (
            "openrouter",
            "openai",
            "anthropic",
            "portkey",
            "featherless",
            "together",
            "groq",
            "mistral",
            "cohere",
            "gemini",
            "deepseek",
            "fireworks",
            "replicate",
            "huggingface",
            "perplexity",
            "bedrock",
            "vertex",
            "ollama",
            "deepinfra",
            "cerebras",
            "xai",
            "ai21",
            "novita",
            "hyperbolic",
            "sambanova",
            "nebius",
            "litellm",
            "voyage",
            "jina",
            "deepgram",
            "elevenlabs",
            "assemblyai",
        ),
        "provider",
    ),
    **dict.fromkeys(
        (
            "stripe",
            "paypal",
            "braintree",
            "adyen",
            "paddle",
            "lemonsqueezy",
            "square",
            "razorpay",
            "mollie",
            "chargebee",
            "recurly",
            "klarna",
        ),
        "payment",
    ),
    **dict.fromkeys(
        ("redis", "memcache", "memcached", "valkey", "keydb", "dragonfly", "elasticache"),
        "cache",
    ),
}

_PROVIDER_ALIASES: Final[dict[str, str]] = {
    "togetherai": "together",
    "mistralai": "mistral",
    "fireworksai": "fireworks",
    "voyageai": "voyage",
    "vertexai": "vertex",
    "googlegemini": "gemini",
    "awsbedrock": "bedrock",
    "hf": "huggingface",
    "perplexityai": "perplexity",
}

_MODULE_ONLY: Final[tuple[str, ...]] = (
    "together",
    "replicate",
    "fireworks",
    "perplexity",
    "voyage",
    "vertex",
    "square",
    "paddle",
    "dragonfly",
    "hyperbolic",
    "hf",
)

_GENERAL_VERBS: Final[tuple[str, ...]] = (
    "add",
    "build",
    "calculate",
    "call",
    "cancel",
    "check",
    "close",
    "compute",
    "connect",
    "convert",
    "count",
    "create",
    "decode",
    "delete",
    "download",
    "encode",
    "execute",
    "export",
    "fetch",
    "find",
    "generate",
    "get",
    "handle",
    "import",
    "insert",
    "invoke",
    "list",
    "load",
    "notify",
    "parse",
    "process",
    "publish",
    "read",
    "refresh",
    "register",
    "remove",
    "render",
    "reset",
    "retry",
    "run",
    "save",
    "schedule",
    "search",
    "send",
    "start",
    "stop",
    "store",
    "stream",
    "sync",
    "update",
    "upload",
    "upsert",
    "validate",
    "verify",
    "write",
)

_OPERATIONS: Final[dict[str, dict[str, str]]] = {
    "auth": {
        **dict.fromkeys(("login", "logon", "signin", "authenticate"), "login"),
        **dict.fromkeys(("logout", "logoff", "signout"), "logout"),
        **dict.fromkeys(("signup", "register"), "register"),
        **dict.fromkeys(("verify", "validate", "check"), "verify"),
        **dict.fromkeys(("authorize", "authorise"), "authorize"),
        **dict.fromkeys(("password_reset", "reset_password"), "password_reset"),
        **{word: word for word in ("refresh", "revoke", "rotate", "hash", "issue", "reset")},
        # "refresh token" is a compound (the noun): as a function name it is the verb.
        "refresh_token": "refresh",
    },
    "cache": {
        **dict.fromkeys(("get", "fetch", "read", "load", "lookup", "retrieve"), "get"),
        **dict.fromkeys(("set", "put", "store", "write", "save", "cache", "memoize"), "set"),
        **dict.fromkeys(
            ("delete", "del", "remove", "evict", "invalidate", "purge", "expire"), "delete"
        ),
        **dict.fromkeys(("clear", "flush"), "clear"),
        **dict.fromkeys(("incr", "increment"), "incr"),
        **dict.fromkeys(("decr", "decrement"), "decr"),
        **dict.fromkeys(("exists", "has", "contains"), "exists"),
    },
    "database": {
        **dict.fromkeys(
            (
                "get",
                "fetch",
                "find",
                "read",
                "load",
                "list",
                "query",
                "select",
                "search",
                "count",
                "lookup",
                "retrieve",
                "exists",
            ),
            "select",
        ),
        **dict.fromkeys(("insert", "create", "add"), "insert"),
        **dict.fromkeys(("update", "modify", "patch", "increment"), "update"),
        **dict.fromkeys(
            (
                "upsert",
                "save",
                "merge",
                "insert_or_update",
                "update_or_insert",
                "create_or_update",
                "update_or_create",
            ),
            "upsert",
        ),
        **dict.fromkeys(("delete", "remove", "destroy", "purge", "truncate"), "delete"),
        **{word: word for word in ("migrate", "commit", "rollback", "execute")},
    },
    "general": {verb: verb for verb in _GENERAL_VERBS},
    "payment": {
        **dict.fromkeys(("charge", "charges", "bill"), "charge"),
        **dict.fromkeys(("refund", "refunds"), "refund"),
        **dict.fromkeys(("webhook", "webhooks"), "webhook"),
        **dict.fromkeys(("unsubscribe", "cancel"), "cancel"),
        **dict.fromkeys(("topup", "top_up"), "top_up"),
        **{
            word: word
            for word in ("checkout", "subscribe", "payout", "capture", "invoice", "purchase")
        },
        "pay": "charge",
    },
    "provider": {
        **dict.fromkeys(("chat_completion", "chat_completions"), "chat_completion"),
        **dict.fromkeys(("complete", "completion", "completions"), "completion"),
        **dict.fromkeys(("embed", "embedding", "embeddings"), "embedding"),
        **dict.fromkeys(("moderate", "moderation"), "moderation"),
        **dict.fromkeys(("transcribe", "transcription"), "transcription"),
        "chat": "chat",
        "stream": "stream",
    },
}

# Per type: field -> argument names that carry it, canonical name first. Argument names
# are compared after split_words, so modelId matches model_id and X-Request-Id matches
# x_request_id.
_FIELDS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "auth": {
        "operation": ("operation", "op", "auth_operation"),
        "user_id": ("user_id", "uid", "userid", "username", "user_name", "account_id"),
    },
    "cache": {
        "operation": ("operation", "op", "cache_operation"),
        "cache_type": ("cache_type", "cache_backend", "backend", "cache_name"),
        "key": ("key", "cache_key", "redis_key"),
    },
    "database": {
        "operation": ("operation", "op", "db_operation", "query_type"),
        "table": ("table", "table_name", "tablename", "collection", "collection_name"),
        "record_id": (
            "record_id",
            "id",
            "pk",
            "row_id",
            "object_id",
            "document_id",
            "doc_id",
            "entity_id",
            "primary_key",
        ),
    },
    "general": {},
    "payment": {
        "operation": ("operation", "op", "payment_operation"),
        "provider": (
            "provider",
            "payment_provider",
            "provider_name",
            "gateway",
            "payment_gateway",
            "processor",
            "payment_processor",
        ),
        "user_id": ("user_id", "uid", "userid", "account_id"),
        "amount": (
            "amount",
            "amount_cents",
            "amount_usd",
            "total",
            "total_amount",
            "charge_amount",
            "cost",
            "price",
        ),
        "currency": ("currency", "currency_code"),
    },
    "provider": {
        "provider": ("provider", "provider_name", "llm_provider", "provider_id", "vendor"),
        "model": ("model", "model_id", "model_name", "model_slug", "engine", "deployment"),
        "request_id": (
            "request_id",
            "req_id",
            "x_request_id",
            "generation_id",
            "completion_id",
            "correlation_id",
        ),
        "endpoint": ("endpoint", "endpoint_url", "url", "base_url", "api_base", "api_url"),
    },
}

_PROVIDER_FIELD: Final[dict[str, str]] = {
    "cache": "cache_type",
    "payment": "provider",
    "provider": "provider",
}


# --------------------------------------------------------------------------- rules

_Entry = tuple[Optional[str], Optional[str]]
"""A lexicon entry: (context type or None for a neutral phrase, known service name)."""


def _freeze_words(data: Mapping[str, Iterable[str]]) -> Mapping[str, frozenset[str]]:
    return MappingProxyType({name: frozenset(words) for name, words in data.items()})


def _freeze_compounds(
    data: Mapping[str, Iterable[tuple[str, ...]]],
) -> Mapping[str, frozenset[tuple[str, ...]]]:
    return MappingProxyType(
        {name: frozenset(tuple(phrase) for phrase in phrases) for name, phrases in data.items()}
    )


@dataclass(frozen=True)
class Rules:
    """Inference rules as data: which words signal which context type and operation.

    Build variants with :func:`merge_rules` (what ``configure(rules=...)`` does) or with
    ``dataclasses.replace(DEFAULT_RULES, ...)`` to override any table. Mappings are
    frozen on construction, so a ``Rules`` never changes once made.
    """

    context_words: Mapping[str, frozenset[str]]
    """Per context type, the single words that signal it (``"redis"`` -> cache)."""
    compounds: Mapping[str, frozenset[tuple[str, ...]]]
    """Per context type, multi-word signals (``("api", "key")`` -> auth)."""
    neutral: frozenset[tuple[str, ...]]
    """Phrases that signal nothing and hide their words (``("token", "count")``)."""
    operations: Mapping[str, Mapping[str, str]]
    """Per context type, word or snake_case phrase -> canonical operation; ``"general"``
    holds the verb table used when the type's own table has no match."""
    providers: Mapping[str, str]
    """Known service names -> the context type they signal (``"openrouter"`` -> provider,
    ``"stripe"`` -> payment, ``"redis"`` -> cache)."""
    provider_aliases: Mapping[str, str]
    """Other spellings of a known service -> its name (``"togetherai"`` -> together)."""
    module_only: frozenset[str]
    """Service names that are everyday words: they count only in module and class names."""
    fields: Mapping[str, Mapping[str, tuple[str, ...]]]
    """Per context type, event field -> argument names carrying it, best first."""
    provider_field: Mapping[str, str]
    """Per context type, the field that the inferred service name fills by default."""
    _compiled: _Compiled = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Freeze every table and compile the lexicons once."""
        freeze = object.__setattr__  # a frozen dataclass normalising its own fields
        freeze(self, "context_words", _freeze_words(self.context_words))
        freeze(self, "compounds", _freeze_compounds(self.compounds))
        freeze(self, "neutral", frozenset(tuple(phrase) for phrase in self.neutral))
        freeze(
            self,
            "operations",
            MappingProxyType(
                {name: MappingProxyType(dict(ops)) for name, ops in self.operations.items()}
            ),
        )
        freeze(self, "providers", MappingProxyType(dict(self.providers)))
        freeze(self, "provider_aliases", MappingProxyType(dict(self.provider_aliases)))
        freeze(self, "module_only", frozenset(self.module_only))
        freeze(
            self,
            "fields",
            MappingProxyType(
                {
                    name: MappingProxyType({key: tuple(names) for key, names in table.items()})
                    for name, table in self.fields.items()
                }
            ),
        )
        freeze(self, "provider_field", MappingProxyType(dict(self.provider_field)))
        freeze(self, "_compiled", _Compiled(self))

    def __hash__(self) -> int:
        """Hash by content, consistent with the field-wise equality."""
        return self._compiled.fingerprint

    @property
    def context_types(self) -> tuple[str, ...]:
        """All context types these rules know: the built-in ones and every custom one."""
        names = set(BUILTIN_CONTEXT_TYPES)
        names.update(self.context_words, self.compounds, self.operations, self.fields)
        names.update(self.providers.values())
        return tuple(sorted(names))


class _Compiled:
    """Lookup tables derived from a :class:`Rules`, plus the memo of its inferences."""

    __slots__ = (
        "field_keys",
        "fingerprint",
        "function_lexicon",
        "infer",
        "module_lexicon",
        "operations",
        "span",
    )

    def __init__(self, rules: Rules) -> None:
        lexicon = _lexicon(rules)
        self.module_lexicon: Mapping[str, _Entry] = lexicon
        module_only = {_key(word) for word in rules.module_only}
        self.function_lexicon: Mapping[str, _Entry] = {
            key: entry for key, entry in lexicon.items() if key not in module_only
        }
        self.operations: Mapping[str, Mapping[str, str]] = {
            name: {_key(word): op for word, op in ops.items() if _key(word)}
            for name, ops in rules.operations.items()
        }
        self.span = _span(rules)
        self.field_keys: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
            name: tuple(
                (key, tuple("_".join(split_words(alias)) for alias in aliases))
                for key, aliases in table.items()
            )
            for name, table in rules.fields.items()
        }
        self.fingerprint = _fingerprint(rules)
        # One memo per Rules: a new configuration starts afresh and the old one is freed
        # together with its Rules.
        self.infer = functools.lru_cache(maxsize=_MEMO_SIZE)(self._infer)

    def _infer(
        self,
        module: str,
        function: str,
        context_type: str | None,
        operation: str | None,
    ) -> Inference:
        # A qualname's outer parts (class, enclosing function) are context like a module
        # segment; "<locals>" and "<lambda>" say nothing.
        parts = [part for part in function.split(".") if part and not part.startswith("<")]
        name_words = split_words(parts[-1]) if parts and not function.endswith(">") else ()
        own = _scan(name_words, self.function_lexicon, self.span)
        outer = [*reversed(parts[:-1]), *reversed(module.split("."))]
        around = [
            entry
            for segment in outer
            for entry in reversed(_scan(split_words(segment), self.module_lexicon, self.span))
        ]
        chosen = context_type
        if chosen is None:
            candidates = list(dict.fromkeys(kind for kind, _ in own))
            if len(candidates) == 1:
                chosen = candidates[0]
            elif candidates:
                chosen = next((kind for kind, _ in around if kind in candidates), candidates[0])
            else:
                chosen = next((kind for kind, _ in around), "general")
        service = next(
            (name for kind, name in (*own, *around) if kind == chosen and name is not None),
            None,
        )
        if operation is None:
            operation = self._operation(name_words, chosen)
        return Inference(context_type=chosen, operation=operation, provider=service)

    def _operation(self, words: tuple[str, ...], context_type: str) -> str | None:
        general = self.operations.get("general", {})
        for table in (self.operations.get(context_type, general), general):
            found = _read_operation(words, table, self.function_lexicon, self.span, context_type)
            if found is not None:
                return found
        return None


def _lexicon(rules: Rules) -> dict[str, _Entry]:
    """Map every signal's key to its entry; later tables win over earlier ones."""
    lexicon: dict[str, _Entry] = {}
    for phrase in rules.neutral:
        lexicon[_key(phrase)] = (None, None)
    for name, words in rules.context_words.items():
        for word in words:
            lexicon[_key(word)] = (name, None)
    for name, phrases in rules.compounds.items():
        for phrase in phrases:
            lexicon[_key(phrase)] = (name, None)
    for service, name in rules.providers.items():
        lexicon[_key(service)] = (name, service)
    for alias, service in rules.provider_aliases.items():
        if service in rules.providers:
            lexicon[_key(alias)] = (rules.providers[service], service)
    lexicon.pop("", None)
    return lexicon


def _span(rules: Rules) -> int:
    """Return how many adjacent words a lookup may join: enough for the longest phrase.

    At least 3, so that single-word signals also match when written as up to three words
    (``open_router``, ``rabbit_m_q``).
    """
    longest = [len(phrase) for phrase in rules.neutral]
    for phrases in rules.compounds.values():
        longest.extend(len(phrase) for phrase in phrases)
    for ops in rules.operations.values():
        longest.extend(len(split_words(word)) for word in ops)
    return max([3, *longest])


def _fingerprint(rules: Rules) -> int:
    """Hash the content of ``rules``, order-independently like its equality."""
    return hash(
        (
            frozenset(rules.context_words.items()),
            frozenset(rules.compounds.items()),
            rules.neutral,
            frozenset((k, frozenset(v.items())) for k, v in rules.operations.items()),
            frozenset(rules.providers.items()),
            frozenset(rules.provider_aliases.items()),
            rules.module_only,
            frozenset((k, frozenset(v.items())) for k, v in rules.fields.items()),
            frozenset(rules.provider_field.items()),
        )
    )


def _scan(
    words: tuple[str, ...], lexicon: Mapping[str, _Entry], span: int
) -> list[tuple[str, str | None]]:
    """Return the signals of ``words`` in reading order, longest match first."""
    found: list[tuple[str, str | None]] = []
    index = 0
    count = len(words)
    while index < count:
        for size in range(min(span, count - index), 0, -1):
            entry = lexicon.get("".join(words[index : index + size]))
            if entry is not None:
                kind, service = entry
                if kind is not None:
                    found.append((kind, service))
                index += size
                break
        else:
            index += 1
    return found


def _read_operation(
    words: tuple[str, ...],
    table: Mapping[str, str],
    lexicon: Mapping[str, _Entry],
    span: int,
    context_type: str,
) -> str | None:
    """Return the operation ``table`` reads in ``words``, on the phrases of the signals.

    Phrases are cut longest first from ``table`` and ``lexicon`` together, so a lexicon
    phrase that ``table`` does not know hides its words. The first operation in reading
    order wins, unless its phrase signals ``context_type``: such a phrase is the answer
    only when no other operation is found.
    """
    fallback: str | None = None
    index = 0
    count = len(words)
    while index < count:
        for size in range(min(span, count - index), 0, -1):
            key = "".join(words[index : index + size])
            found = table.get(key)
            entry = lexicon.get(key)
            if found is None and entry is None:
                continue
            if found is not None and (entry is None or entry[0] != context_type):
                return found
            if fallback is None:
                fallback = found
            index += size
            break
        else:
            index += 1
    return fallback


# --------------------------------------------------------------------------- inference


@dataclass(frozen=True)
class Inference:
    """What the names of a function say about it."""

    context_type: str
    """The context type: explicit, or inferred (``"general"`` when nothing matched)."""
    operation: str | None
    """The operation: explicit, or inferred from the function name; None when unknown."""
    provider: str | None
    """The known service of the context type named in the function, class or module name
    (``app.services.openrouter_client`` -> ``"openrouter"``, ``stripe_service`` ->
    ``"stripe"``, ``redis_cache`` -> ``"redis"``); None when none is named."""


DEFAULT_RULES: Final[Rules] = Rules(
    context_words={name: frozenset(words) for name, words in _CONTEXT_WORDS.items()},
    compounds={name: frozenset(phrases) for name, phrases in _COMPOUNDS.items()},
    neutral=frozenset(_NEUTRAL),
    operations=_OPERATIONS,
    providers=_PROVIDERS,
    provider_aliases=_PROVIDER_ALIASES,
    module_only=frozenset(_MODULE_ONLY),
    fields=_FIELDS,
    provider_field=_PROVIDER_FIELD,
)
"""The built-in rules (see the module docstring and the comments on the tables)."""


def merge_rules(base: Rules, extra: Mapping[str, Iterable[str]]) -> Rules:
    """Return ``base`` extended with more signal words per context type.

    A new key adds a context type recognised by its words; an existing key extends that
    type's words. A word given with separators or capitals (``"rabbit_mq"``,
    ``"RabbitMQ"``) is a compound of its words. A word belongs to one type only: a word
    already known elsewhere (another type, a neutral phrase) moves to the type named here,
    because the user's rule is the more specific one.

    Args:
        base: The rules to extend (never modified).
        extra: Context type -> iterable of words, e.g. ``{"queue": ["kafka", "enqueue"]}``.

    Returns:
        The merged rules.

    Raises:
        TypeError: ``extra`` is not a mapping, a key is not a string, a value is a string
            or not iterable, or a word is not a string.
        ValueError: A key is not a lowercase identifier or is ``"general"``, or a word is
            empty or has no letter or digit.
    """
    if not isinstance(extra, Mapping):
        raise TypeError(
            "rules must be a mapping of context type -> iterable of words, e.g. "
            f'{{"queue": ["kafka", "enqueue"]}}; got {type(extra).__name__} {extra!r}'
        )
    additions: dict[str, list[tuple[str, ...]]] = {}
    for name, values in extra.items():
        _check_type_name(name)
        additions[name] = [_check_word(name, word) for word in _check_words(name, values)]
    words = {name: set(found) for name, found in base.context_words.items()}
    compounds = {name: set(found) for name, found in base.compounds.items()}
    neutral = set(base.neutral)
    providers = dict(base.providers)
    aliases = dict(base.provider_aliases)
    module_only = set(base.module_only)
    for name, phrases in additions.items():
        words.setdefault(name, set())
        for phrase in phrases:
            key = "".join(phrase)
            for found in words.values():
                found.difference_update({word for word in found if _key(word) == key})
            for found_phrases in compounds.values():
                found_phrases.difference_update(
                    {other for other in found_phrases if _key(other) == key}
                )
            neutral.difference_update({other for other in neutral if _key(other) == key})
            module_only.difference_update({other for other in module_only if _key(other) == key})
            aliases = {alias: service for alias, service in aliases.items() if _key(alias) != key}
            for service in [service for service in providers if _key(service) == key]:
                providers[service] = name
            if len(phrase) == 1:
                words[name].add(phrase[0])
            else:
                compounds.setdefault(name, set()).add(phrase)
    return replace(
        base,
        context_words={name: frozenset(found) for name, found in words.items()},
        compounds={name: frozenset(found) for name, found in compounds.items()},
        neutral=frozenset(neutral),
        providers=providers,
        provider_aliases=aliases,
        module_only=frozenset(module_only),
    )


def _check_type_name(name: object) -> None:
    if not isinstance(name, str):
        raise TypeError(
            "rules keys are context type names (str), e.g. 'queue'; "
            f"got {type(name).__name__} {name!r}"
        )
    if not _TYPE_NAME.match(name):
        raise ValueError(
            f"rules key {name!r} is not a valid context type name: use a lowercase "
            "identifier (letters, digits, '_', starting with a letter), e.g. 'queue'"
        )
    if name == "general":
        allowed = ", ".join(kind for kind in BUILTIN_CONTEXT_TYPES if kind != "general")
        raise ValueError(
            "rules key 'general' is not allowed: 'general' is the fallback when no other "
            f"type matches and has no words; allowed keys are {allowed} or a new lowercase "
            "identifier"
        )


def _check_words(name: str, values: object) -> list[object]:
    if isinstance(values, (str, bytes)):
        raise TypeError(
            f"rules[{name!r}] must be an iterable of words, not a single "
            f"{type(values).__name__} {values!r}; write [{values!r}]"
        )
    if not isinstance(values, Iterable):
        raise TypeError(
            f"rules[{name!r}] must be an iterable of words (str), e.g. ['kafka']; "
            f"got {type(values).__name__} {values!r}"
        )
    return list(values)


def _check_word(name: str, word: object) -> tuple[str, ...]:
    if not isinstance(word, str):
        raise TypeError(
            f"rules[{name!r}] must contain words (non-empty str); "
            f"got {type(word).__name__} {word!r}"
        )
    phrase = split_words(word)
    if not phrase:
        raise ValueError(
            f"rules[{name!r}] contains {word!r}, which has no letter or digit; "
            "words must be non-empty strings such as 'kafka' or 'dead_letter'"
        )
    return phrase


def infer(
    module: str,
    function: str,
    rules: Rules = DEFAULT_RULES,
    *,
    context_type: str | None = None,
    operation: str | None = None,
) -> Inference:
    """Infer the context type, operation and provider of a function from its names.

    Priority for the type: explicit ``context_type`` > words of the function name > words
    of the outer qualname parts and of the module path (last segment first, rightmost
    signal first inside a segment). When the function name signals several types, the
    first of them that the module path names wins, else the first in reading order.
    Matching is on whole words and known compounds, never raw substrings. Results are
    memoised per ``rules``.

    Args:
        module: The module path, e.g. ``"app.services.openrouter_client"``.
        function: The function name or qualname, e.g. ``"make_request"``.
        rules: The rules to apply.
        context_type: An explicit context type; used as given.
        operation: An explicit operation; used as given.

    Returns:
        The inference.

    Raises:
        TypeError: A name, the explicit type or the explicit operation is not a string.
    """
    for label, value in (("module", module), ("function", function)):
        if not isinstance(value, str):
            raise TypeError(f"{label} must be a str, got {type(value).__name__} {value!r}")
    for label, option in (("context_type", context_type), ("operation", operation)):
        if option is not None and not isinstance(option, str):
            raise TypeError(
                f"{label} must be a str or None, got {type(option).__name__} {option!r}"
            )
    return rules._compiled.infer(module, function, context_type, operation)  # noqa: SLF001


# --------------------------------------------------------------------------- context fields


def _is_scalar(value: object) -> bool:
    # Context fields are identifiers and amounts; containers stay in the arguments.
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _best_values(
    sources: list[dict[str, Any]], index: dict[str, tuple[tuple[str, int], ...]]
) -> dict[str, tuple[int, int, Any]]:
    # Walk the (few) argument names rather than the (many) aliases: the winner of a field
    # is its first source, then its first alias, as the table orders them.
    best: dict[str, tuple[int, int, Any]] = {}
    for number, source in enumerate(sources):
        for name, candidate in source.items():
            hits = index.get(name)
            if hits is None or not _is_scalar(candidate):
                continue
            for key, rank in hits:
                current = best.get(key)
                if current is None or (number, rank) < current[:2]:
                    best[key] = (number, rank, candidate)
    return best


@functools.lru_cache(maxsize=256)
def _alias_index(
    table: tuple[tuple[str, tuple[str, ...]], ...],
) -> dict[str, tuple[tuple[str, int], ...]]:
    index: dict[str, list[tuple[str, int]]] = {}
    for key, aliases in table:
        for rank, alias in enumerate(aliases):
            index.setdefault(alias, []).append((key, rank))
    return {alias: tuple(hits) for alias, hits in index.items()}


@functools.lru_cache(maxsize=4096)
def _normal_name(name: str) -> str:
    # Argument names repeat on every failure of the same function: join their words once.
    return "_".join(split_words(name))


def _normalised(arguments: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in arguments.items():
        if type(name) is str:
            found.setdefault(_normal_name(name), value)
    return found


def context_fields(
    context_type: str,
    arguments: Mapping[str, Any],
    *,
    provider: str | None = None,
    operation: str | None = None,
    rules: Rules = DEFAULT_RULES,
) -> dict[str, Any]:
    """Collect the well-known fields of ``context_type`` from the bound arguments.

    Argument names are compared on words (``modelId`` is ``model_id``). Each field takes
    the first alias found at the top level, then inside the arguments that are mappings
    (a request object the scrubber turned into a dict). Only scalar values (str, int,
    float) are taken. A database ``record_id`` falls back to the only top-level ``*_id``
    argument (``get_user(user_id)``). Custom types have no fields unless ``rules.fields``
    lists some.

    Args:
        context_type: The context type of the event.
        arguments: The bound, already scrubbed arguments.
        provider: The inferred service name (``Inference.provider``); the default of the
            type's service field (``provider``, or ``cache_type`` for a cache).
        operation: The inferred operation; the default of the ``operation`` field.
        rules: The rules whose field tables apply.

    Returns:
        Field -> value, in the type's field order; fields without a value are left out.
    """
    compiled = rules._compiled  # noqa: SLF001
    table = compiled.field_keys.get(context_type)
    if not table:
        return {}
    top = _normalised(arguments)
    sources = [top]
    sources.extend(
        _normalised(value) for value in arguments.values() if isinstance(value, Mapping)
    )
    defaults: dict[str, str | None] = {"operation": operation}
    service_field = rules.provider_field.get(context_type)
    if service_field is not None:
        defaults[service_field] = provider
    best = _best_values(sources, _alias_index(table))
    found: dict[str, Any] = {}
    for key, _ in table:
        chosen = best.get(key)
        value = chosen[2] if chosen is not None else None
        if value is None and key == "record_id":
            ids = [name for name in top if name.endswith("_id") and _is_scalar(top[name])]
            if len(ids) == 1:
                value = top[ids[0]]
        if value is None:
            value = defaults.get(key)
        if value is not None:
            found[key] = value
    return found
