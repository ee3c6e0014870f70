"""autocapture.scrub(value): the value as autocapture would ship it, secrets redacted."""

from __future__ import annotations

import json

import autocapture
from autocapture import scrub
from autocapture._scrub import REDACTED

KEY = "Zq9xK2mP7vL4wR8tYb3nHs6d"


def test_a_secret_named_once_is_redacted_everywhere_in_the_value() -> None:
    """Event-wide, as an event is: the key's value is redacted wherever else it appears."""
    shipped = scrub(
        {
            "note": f"retried with {KEY}",
            "api_key": KEY,
            "history": [{"text": f"sent {KEY} again"}],
            "copy": KEY,
        }
    )
    assert shipped == {
        "note": f"retried with {REDACTED}",
        "api_key": REDACTED,
        "history": [{"text": f"sent {REDACTED} again"}],
        "copy": REDACTED,
    }
    assert KEY not in json.dumps(shipped)


def test_it_is_json_compatible_and_leaves_the_input_alone() -> None:
    """A new JSON-compatible value; ordinary prose and identifiers are kept."""
    value = {"user_id": "u-17", "items": ("a", "b"), "token_count": 12, "note": "token: expired"}
    shipped = scrub(value)
    assert shipped == {
        "user_id": "u-17",
        "items": ["a", "b"],
        "token_count": 12,
        "note": "token: expired",
    }
    assert value["items"] == ("a", "b")
    assert json.loads(json.dumps(shipped)) == shipped


def test_it_follows_the_configured_options() -> None:
    """configure(send_pii=...) decides whether an email address is shipped."""
    assert scrub({"contact": "ana@example.com"}) == {"contact": REDACTED}
    autocapture.configure(send_pii=True)
    assert scrub({"contact": "ana@example.com"}) == {"contact": "ana@example.com"}
