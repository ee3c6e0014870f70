"""The Sentry side: what autocapture sends, and what makes Sentry's own events honest.

* ``_frames``: Sentry's exception interface, built from the live exception, scrubbed;
* ``_event``: ``send`` (a ``CapturedError`` as a Sentry event) and ``install``;
* ``_once``: an error is one Sentry event, whichever of autocapture or an integration
  reports it first; one an integration sent first is still delivered to every other
  sink; events Sentry makes itself get the bound context;
* ``_exit``: the scrubber that runs last on every event, transaction and breadcrumb.
"""

from autocapture._sentry._event import install, send
from autocapture._sentry._exit import scrub_sentry_event
from autocapture._sentry._once import STAND_IN_MARK, Delivery, can_send, delivering

__all__ = [
    "STAND_IN_MARK",
    "Delivery",
    "can_send",
    "delivering",
    "install",
    "scrub_sentry_event",
    "send",
]
