"""The read routes' response cache: bounded, and one build per key however many requests miss at once."""

from __future__ import annotations

import threading
import time

import pytest

from syncmon_pipeline.api.read_http import ResponseCache


def test_concurrent_misses_build_once_and_all_get_the_body():
    cache, builds, bodies = ResponseCache(), [], []
    start = threading.Barrier(20)

    def build() -> bytes:
        builds.append(1)
        time.sleep(0.2)  # a slow query: every other request arrives while it runs
        return b"body"

    def request() -> None:
        start.wait()
        bodies.append(cache.get_or_build("k", build))

    threads = [threading.Thread(target=request) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1 and bodies == [b"body"] * 20
    assert cache.get_or_build("k", lambda: pytest.fail("built again")) == b"body"


def test_a_failed_build_fails_its_caller_and_the_next_request_builds_again():
    cache = ResponseCache()

    def broken() -> bytes:
        raise RuntimeError("snapshot unreadable")

    with pytest.raises(RuntimeError):
        cache.get_or_build("k", broken)
    assert cache.get_or_build("k", lambda: b"fresh") == b"fresh"


def test_bodies_too_big_to_keep_are_built_each_time_and_the_cache_stays_bounded():
    cache = ResponseCache(max_bytes=10, max_entry_bytes=6)
    assert cache.get_or_build("big", lambda: b"x" * 7) == b"x" * 7
    assert cache.get("big") is None
    for key in "abcd":
        cache.put(key, b"12345")
    assert len(cache) == 2 and cache.get("a") is None and cache.get("d") == b"12345"
