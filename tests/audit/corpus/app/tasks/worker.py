import logging

import dramatiq
from celery import shared_task
from dramatiq import Retry
from tenacity import TryAgain

from app.decorators import background_task, timed

logger = logging.getLogger(__name__)


@dramatiq.actor(max_retries=3)
def send_email(address):
    try:
        deliver(address)
    except ConnectionError as exc:  # label: reraise/none
        raise Retry(delay=1000) from exc


@shared_task(bind=True)
def import_feed(self, url):
    try:
        fetch(url)
    except Exception as exc:  # label: reraise/none
        raise self.retry(exc=exc, countdown=60)


def poll(client):
    try:
        return client.poll()
    except TimeoutError as exc:  # label: reraise/none
        raise TryAgain from exc


def drain(queue):
    while True:
        try:
            queue.pop()
        except IndexError:  # label: swallowed/none
            break


@background_task
def nightly():
    cleanup()


@timed
def resync():
    pull()


def deliver(address):
    logger.info("deliver %s", address)


def fetch(url):
    logger.info("fetch %s", url)


def cleanup():
    pass


def pull():
    pass
