"""Default inference data, part 2: operations per context type, and context fields.

Plain tables, read by :class:`autocapture._rules.Rules` (``DEFAULT_RULES``): which word or
phrase of a function name is which operation, and which argument names carry which event
field.
"""

from __future__ import annotations

from typing import Final

__all__ = ["FIELDS", "GENERAL_VERBS", "OPERATIONS", "PROVIDER_FIELD"]

GENERAL_VERBS: Final[tuple[str, ...]] = (
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

OPERATIONS: Final[dict[str, dict[str, str]]] = {
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
    "general": {verb: verb for verb in GENERAL_VERBS},
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
FIELDS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
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

PROVIDER_FIELD: Final[dict[str, str]] = {
    "cache": "cache_type",
    "payment": "provider",
    "provider": "provider",
}
