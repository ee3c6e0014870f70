"""Anchor checks: the cheap tests after each anchor of the text rules' combined pattern.

They are derived from the shapes' regexes (`_first.derive`) and stored as data
(`_anchor_table`); they only make the scan faster: a text is redacted exactly as it is
without them.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autocapture._scrub import Scrubber
from autocapture._scrub import _text as text_rules
from autocapture._scrub._anchor_table import ANCHOR_CHECKS
from autocapture._scrub._first import anchor_checks, before_class, derive, first_class
from autocapture._scrub._text import TextRules, branch_patterns

from .test_scrub_corpus import _shapes
from .test_scrub_forms import PROSE, TEXT_FORMS


def test_the_first_character_class_is_derived_from_the_branch() -> None:
    """The class of a branch's first character is read from its regex, or left unknown."""
    assert first_class(r"(?<=sk-)[A-Za-z0-9_-]{20,}") == r"A-Za-z0-9_\-"
    assert first_class(r"(?:live|test)_") == "lt"
    assert first_class(r"(?<=\d\.)\d{1,3}") == r"\d"
    assert first_class(r"(?<=[A-Za-z0-9].)") is None  # zero-width only: anything follows
    assert first_class(r"(?i:earer)") is None  # case-insensitive: not derived
    assert first_class(r"[^\s]+") is None  # negated class
    assert first_class(r"(?:[ -]?\d){12,18}") is None  # may start with an optional part


def test_the_class_before_the_anchor_is_read_from_the_leading_lookbehind() -> None:
    """The lookbehind ends with the anchor; the item before it is what precedes it."""
    assert before_class(r"(?<=sk-)[A-Za-z0-9_-]{20,}") == "k"
    assert before_class(r"(?<=gl(?:rt|dt|ft)-)[A-Za-z0-9_-]{20,}") == "t"
    assert before_class(r"(?<=xox[abposre]-)[A-Za-z0-9-]{10,}") == "abposre"
    assert before_class(r"(?<=[0-9]{8}:)[A-Za-z0-9_-]{35}") == "0-9"
    assert before_class(r"(?:(?<=[A-Za-z0-9].)|(?<=[ \t][ \t].))(?<![0-9].)") == (
        "A-Za-z0-9\\ \\\t"  # the union of both, each item escaped
    )
    assert before_class(r"----BEGIN") is None  # no lookbehind: anything may precede
    assert before_class(r"(?<![\w-].)(?:[ -]?\d){12,18}") is None  # only a negative one
    assert before_class(r"(?<=[0-9]{8})") is None  # the anchor is not in it: not known
    assert before_class(r"(?i:(?<=sk-)x)") is None  # case-insensitive: not derived
    assert before_class(r"(?<=a(?:x|.)-)") is None  # one branch not known: none


def test_the_stored_anchor_checks_are_the_derived_ones() -> None:
    """`_anchor_table` holds exactly what parsing every branch gives: not stale, no extra."""
    derived = {pattern: derive(pattern) for pattern in branch_patterns()}
    stale = {
        p for p in derived.keys() | ANCHOR_CHECKS.keys() if derived.get(p) != ANCHOR_CHECKS.get(p)
    }
    assert not stale, (
        f"{len(stale)} stale rows in _anchor_table: run `python -m autocapture._scrub._first`"
    )


def test_a_branch_missing_from_the_table_is_derived_when_compiled() -> None:
    assert anchor_checks(r"(?<=zz-)[a-z]{4}") == ("a-z", "z")


def _unguarded(*, pii: bool, digit_names: bool = False) -> TextRules:
    """Text rules compiled without any anchor check (every check unknown)."""
    rules = TextRules(pii=pii, classify=CLASSIFY, digit_names=digit_names)
    checks = text_rules.anchor_checks
    text_rules.anchor_checks = lambda pattern: (None, None)  # type: ignore[assignment]
    try:
        rules.spans("compile now")
    finally:
        text_rules.anchor_checks = checks
    return rules


CLASSIFY = Scrubber()._classify  # the key rules the text rules use
RULES = {
    (pii, digit_names): (
        TextRules(pii=pii, classify=CLASSIFY, digit_names=digit_names),
        _unguarded(pii=pii, digit_names=digit_names),
    )
    for pii in (False, True)
    for digit_names in (False, True)
}
_SAMPLES = [
    s
    for seed in range(3)
    for s in _shapes(random.Random(seed)).values()  # noqa: S311 - test data
]
FRAGMENTS = [
    *_SAMPLES,
    *TEXT_FORMS.values(),
    *PROSE,
    "2024-05-14T10:22:31Z", "10.0.0.12", "a@b.example.com", "::1", "4111 1111 1111 1111",
    "sk-", "sk_", "-----BEGIN PRIVATE KEY-----", "xoxe.", "SG.", ": ", "=", ",", ">", "'",
    '"', "\\", " ", "\t", "\n", "-", ".", "_",
]  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(FRAGMENTS) | st.text("ab9XK_-.:=,'\" \\", max_size=4),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(sorted(RULES)),
)
def test_the_anchor_checks_only_skip_what_no_branch_matches(
    parts: list[str], config: tuple[bool, bool]
) -> None:
    text = "".join(parts)
    guarded, unguarded = RULES[config]
    assert guarded.spans(text) == unguarded.spans(text)


def test_every_planted_shape_is_found_with_the_checks_as_without() -> None:
    for sample in [*_SAMPLES, *TEXT_FORMS.values()]:
        for before in ("", " ", "x", "-", ":", "="):
            for pii in (False, True):
                guarded, unguarded = RULES[pii, False]
                text = f"{before}{sample} tail"
                assert guarded.spans(text) == unguarded.spans(text), text
