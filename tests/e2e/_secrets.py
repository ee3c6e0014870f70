"""Planted secrets for the e2e suite, built at run time from parts.

They live in a module of their own, which no traceback of the suite passes through: the
source lines Sentry sends around each frame can never hold them, so finding one of them
in a stored event means a real leak (a frame variable, a message, request data...).
"""

from __future__ import annotations

import base64
import json


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


# Secret shapes the scrubber knows, whatever the key.
STRIPE_KEY = "sk_" + "live_" + "51Hx" + "Qa9ZLrT2vYpWm4Kc8dN3"
JWT = ".".join(
    [
        _b64({"alg": "HS256", "typ": "JWT"}),
        _b64({"sub": "u-" + "7731", "n": 4}),
        "s1g" + "Qw7Er9Ty2" + "Ui4Op6As8Df",
    ]
)
# Secrets that have no shape of their own: only their key, header or place betrays them.
BEARER_TOKEN = "e2e" + "tok" + "X9fQ2mLp7Rz4Vw8Ks1Jd"
DB_PASSWORD = "hunter" + "2-" + "Qz8pLm4X"
SESSION_ID = "sess" + "ion-" + "Vb7Nq2Wx9Kt3"
QUERY_API_KEY = "qk-" + "Zt5Rm8Pq1Ly6"
BREADCRUMB_PASSWORD = "crumb" + "-" + "Pw4Lk9Hs2Td"

DB_URL = "postgresql://app:" + DB_PASSWORD + "@db.internal:5432/app"

ALL = {
    "STRIPE_KEY": STRIPE_KEY,
    "JWT": JWT,
    "BEARER_TOKEN": BEARER_TOKEN,
    "DB_PASSWORD": DB_PASSWORD,
    "SESSION_ID": SESSION_ID,
    "QUERY_API_KEY": QUERY_API_KEY,
    "BREADCRUMB_PASSWORD": BREADCRUMB_PASSWORD,
}


def leaked(text: str) -> list[str]:
    """Return the names of the planted secrets found in ``text`` (none, for a clean event).

    Looks for each whole secret and for its distinctive tail, so that a secret cut in two
    (a truncated string, a partial mask) is found too.
    """
    found = []
    for name, secret in ALL.items():
        tail = secret[-10:]
        if secret in text or tail in text:
            found.append(name)
    return found
