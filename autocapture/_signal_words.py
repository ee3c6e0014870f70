"""Default inference data, part 1: the words that signal a context type.

Plain tables, read by :class:`autocapture._rules.Rules` (``DEFAULT_RULES``); extend them
here, or at run time with ``configure(rules=...)``. Words are lowercase; a phrase is a
tuple of words (``("api", "key")``), matched also when written joined (``apiKey``).
"""

from __future__ import annotations

from typing import Final

__all__ = ["COMPOUNDS", "CONTEXT_WORDS", "MODULE_ONLY", "NEUTRAL", "PROVIDERS", "PROVIDER_ALIASES"]

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

CONTEXT_WORDS: Final[dict[str, tuple[str, ...]]] = {
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

COMPOUNDS: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
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

NEUTRAL: Final[tuple[tuple[str, ...], ...]] = (
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
PROVIDERS: Final[dict[str, str]] = {
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

PROVIDER_ALIASES: Final[dict[str, str]] = {
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

MODULE_ONLY: Final[tuple[str, ...]] = (
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
