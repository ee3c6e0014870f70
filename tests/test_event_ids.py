"""Event ids: version-4 UUIDs in hex, distinct within a process and across a fork."""

from __future__ import annotations

import os
import sys
import uuid

import pytest

from autocapture._uuid import new_event_id


def test_ids_are_distinct_version_4_uuids_across_many_batches() -> None:
    """Thousands of ids (many batches of the pool) are all distinct RFC 4122 version-4 UUIDs."""
    ids = [new_event_id() for _ in range(5_000)]
    assert len(set(ids)) == len(ids)
    for event_id in ids:
        parsed = uuid.UUID(event_id)
        assert (parsed.version, parsed.variant, parsed.hex) == (4, uuid.RFC_4122, event_id)


def test_every_random_digit_varies() -> None:
    """All 122 random bits are random: each hex digit but the version takes many values."""
    ids = [new_event_id() for _ in range(2_000)]
    for position in range(32):
        seen = {event_id[position] for event_id in ids}
        if position == 12:  # the version digit
            assert seen == {"4"}
        elif position == 16:  # the variant's two bits and two random ones
            assert seen == set("89ab")
        else:
            assert len(seen) == 16, position


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX")
def test_a_forked_child_never_hands_out_the_parents_ids() -> None:
    """After a fork, the child's ids are not the ones the parent goes on to hand out."""
    new_event_id()  # a batch is under way: the child must not finish it too
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.write(write_end, "".join(new_event_id() for _ in range(50)).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    parent = {new_event_id() for _ in range(50)}
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    os.waitpid(pid, 0)
    text = b"".join(chunks).decode()
    child = {text[i : i + 32] for i in range(0, len(text), 32)}
    assert len(child) == 50
    assert not child & parent


def test_threads_get_distinct_ids() -> None:
    """Ids drawn from many threads at once are all distinct."""
    import threading

    drawn: list[list[str]] = [[] for _ in range(8)]

    def draw(into: list[str]) -> None:
        for _ in range(2_000):
            into.append(new_event_id())

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=draw, args=(each,)) for each in drawn]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)
    every = [event_id for each in drawn for event_id in each]
    assert len(set(every)) == len(every) == 16_000
