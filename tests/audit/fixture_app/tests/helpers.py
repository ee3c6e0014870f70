# ruff: noqa: S110
# mypy: ignore-errors
"""Excluded by default: a folder named tests inside the audited code base."""


def flaky() -> None:
    try:
        pass
    except Exception:
        pass
