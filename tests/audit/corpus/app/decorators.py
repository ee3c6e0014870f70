import functools
import logging

log = logging.getLogger(__name__)


def background_task(func):
    """Dispatch-style: run a job, log its failure with the traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except Exception:  # label: logged/exception
            log.exception("background task %s failed", func.__name__)
            return None

    return wrapper


def timed(func):
    return func
