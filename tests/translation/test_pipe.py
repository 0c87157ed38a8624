"""The long-running null-flush pipe that keeps Apertium's dictionaries loaded between requests."""

from __future__ import annotations

import os
import signal

import pytest

from kb_service.translation.apertium import ApertiumEngine
from kb_service.translation.engines import Segment
from kb_service.translation.pipe import NullFlushPipe, PipeError

# `tr` echoes each NUL-terminated request back upper-cased, flushing at once (like lt-proc -z)
ECHO = ["python3", "-u", "-c", "import sys\nfor b in iter(lambda: sys.stdin.buffer.read1(65536), b''):\n"
        "    sys.stdout.buffer.write(b.upper()); sys.stdout.buffer.flush()"]


def test_requests_get_their_own_replies_and_a_dead_process_is_restarted() -> None:
    pipe = NullFlushPipe(ECHO, timeout=5)
    assert pipe.request(b"one") == b"ONE"
    assert pipe.exchange(b"a\0b\0") == b"A\0B\0"  # several flushes in one stream
    assert pipe._proc is not None
    os.killpg(pipe._proc.pid, signal.SIGKILL)
    pipe._proc.wait()
    assert pipe.request(b"two") == b"TWO"
    with pytest.raises(PipeError):
        pipe.request(b"no\0nul")
    pipe.close()


def test_a_hung_process_times_out_and_is_killed() -> None:
    pipe = NullFlushPipe(["sleep", "30"], timeout=0.5)
    with pytest.raises(PipeError, match="timed out"):
        pipe.request(b"anything")
    assert pipe._proc is None


def test_the_running_pipeline_translates_like_a_fresh_apertium() -> None:
    running, fresh = ApertiumEngine(), ApertiumEngine()
    fresh._pipes = {"eng-spa": None}  # no pipe: the whole `apertium` command per call
    marked = [Segment('It causes <span id="t0">mild illness</span>, like the <span id="t1">common cold</span>.'),
              Segment("Open the schedule &amp; publish it.")]
    assert running.translate(marked, "en", "es", True) == fresh.translate(marked, "en", "es", True)
    assert running._pipes["eng-spa"] is not None
    running.close()


def test_a_request_larger_than_the_pipe_buffers_does_not_deadlock() -> None:
    pipe = NullFlushPipe(["cat"], timeout=10)
    big = b"x" * 3_000_000  # far beyond the 64 KB of a pipe: written from a thread while the reply is read
    assert pipe.request(big) == big
    pipe.close()
