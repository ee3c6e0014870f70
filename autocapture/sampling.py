"""Trace sampling for ``sentry_sdk.init(traces_sampler=...)``, from path rules.

::

    import sentry_sdk
    from autocapture.sampling import SamplingRule, make_traces_sampler

    sentry_sdk.init(
        traces_sampler=make_traces_sampler(
            extra_rules=[SamplingRule("/v1/embeddings", 0.05, "prefix")],
        ),
    )

A parent's decision is kept, development environments sample everything, and the first
matching rule gives the rate; ``DEFAULT_RULES`` is the audited policy (health/metrics 0.0,
inference 0.2, admin 0.5, others ``default=0.1``).
"""

from __future__ import annotations

from autocapture._sampling import (
    DEFAULT_RULES,
    DEVELOPMENT_ENVIRONMENTS,
    SamplingRule,
    make_traces_sampler,
)

__all__ = ["DEFAULT_RULES", "DEVELOPMENT_ENVIRONMENTS", "SamplingRule", "make_traces_sampler"]
