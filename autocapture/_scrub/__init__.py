"""The scrubber: turns any value into a bounded, JSON-compatible copy without secrets.

Every event autocapture emits passes through a `Scrubber`. It is data plus one walker,
one module per concept:

| module | what it holds |
|---|---|
| `_keys` | the words that name a secret (a table), and `KeyRules` that compares on words |
| `_shapes` | the shapes of secret values (a table, each row naming its source) |
| `_validators` | what a shape's candidate must also satisfy (Luhn, a JWT header, ...) |
| `_forms` | `name=value` and `password Zq9x...` forms in text, judged by the key rules |
| `_text` | `TextRules`: finds shapes and forms inside any text, in one combined pattern |
| `_objects` | what kind of value the walker has, read without running user code |
| `_walker` | one scrub call over any value, with its limits and markers |
| `_structured` | the walker's rarer values by kind (objects, sets), `(name, value)` pairs |
| `_tracking` | `EventSecrets`: what one event found secret, redacted event-wide |
| `_frame_locals` | the failing frames' secret-named locals, added to an event's secrets |
| `_options` | `ScrubOptions`, `ScrubMatch`, `KEEP`, `REDACTED` |
| `_scrubber` | `Scrubber`: the rules compiled once, and its entry points |
| `_lazy` | `LazyPattern`: a regex compiled on first use (imports stay cheap) |
| `_logs` | `ScrubbingFilter` and `scrub_logs()`: the process's own log output |

- **Key rules** (`_keys.KeyRules`): a value found under a name that
  names a secret (`password`, `api_key`, `Authorization`, `session_id`, ...) is replaced
  whole by `REDACTED`, whatever its type. Names are compared on words, so `max_tokens`,
  `tokenizer`, `author` and a cache `key` are kept. Names are mapping keys (short UTF-8
  `bytes` keys as their text), field names, and the first item of `(name, value)` pairs
  in a list (HTTP and ASGI headers).
- **Value shapes** (`_shapes`, `_text.TextRules`): inside every string, whatever
  its key, secret-shaped substrings (JWTs, `Bearer` credentials, private key blocks, cloud
  and SaaS keys, Luhn-valid card numbers, URL passwords, `password=...` assignments) are
  replaced by `REDACTED`; the rest of the string is kept. An assigned value is replaced
  whole: quoted (with escapes and string prefixes), escaped JSON, or a bracketed list,
  tuple or mapping; so is pydantic's `input_value=` under a secret field's location.
  Unless PII may be sent, email and IP addresses are replaced too.
- **The walker** copies mappings, sequences, sets, dataclasses, attrs classes, pydantic
  models, namedtuples and plain objects field by field, never calling user code except a
  bounded `repr` as a last resort, and bounds the result (string length, depth, items per
  container, total size) with visible markers.
- **Escape hatches** (`ScrubOptions`): extra key words, safe keys, extra value patterns and
  a callback that sees every match (`ScrubMatch`) and may keep or replace it.

Markers (all strings, none echoes any part of a secret):

| marker | meaning |
|---|---|
| `[REDACTED]` | a secret (key rule, value shape, PII, user pattern) |
| `...[truncated N chars]` | appended to a string cut at `max_string_length` |
| `[... N more items]` | the last item of a list cut at `max_items` (or the size budget); |
|  | in a mapping, the value of the extra key `"[...]"` |
| `[MAX DEPTH]` | a container deeper than `max_depth` |
| `[CYCLE]` | a container that contains itself |
| `<bytes len=N>` | bytes, bytearray and memoryview (never dumped) |
| `<bytes len=N #H>` | a mapping key of binary (not UTF-8) or long bytes; `H` is a short |
|  | hash keyed per process, so that two such keys never merge |
| `KEY (N)` | the N-th mapping key that converts to the same text `KEY` (`b"a"` and `"a"`, |
|  | `1` and `"1"`, two redacted keys) |
| `<unrepresentable T>` | an object of type `T` whose fields and `repr` both failed |
"""

from __future__ import annotations

from autocapture._scrub._frame_locals import track_frame_secrets
from autocapture._scrub._options import KEEP, REDACTED, ScrubCallback, ScrubMatch, ScrubOptions
from autocapture._scrub._scrubber import Scrubber
from autocapture._scrub._tracking import EventSecrets, active_secrets, tracking_secrets
from autocapture._scrub._walker import CYCLE_MARKER, MAX_DEPTH_MARKER, MORE_ITEMS_KEY

__all__ = [
    "CYCLE_MARKER",
    "KEEP",
    "MAX_DEPTH_MARKER",
    "MORE_ITEMS_KEY",
    "REDACTED",
    "EventSecrets",
    "ScrubCallback",
    "ScrubMatch",
    "ScrubOptions",
    "Scrubber",
    "active_secrets",
    "track_frame_secrets",
    "tracking_secrets",
]
