"""A long-running command that answers each NUL-terminated request with a NUL-terminated reply
(Apertium's and lttoolbox's null-flush mode, `-z`).

Starting Apertium's pipeline loads a dozen dictionaries and transducers: about 185 ms a call, most
of a translation's time. Kept running, the same pipeline answers a sentence in about 12 ms. One
request at a time goes through a pipe (a lock); a pipe that dies or hangs is killed and started
again on the next request.
"""

from __future__ import annotations

import os
import select
import subprocess
import threading
import time


class PipeError(RuntimeError):
    pass


class NullFlushPipe:
    def __init__(self, argv: list[str], timeout: float = 60.0) -> None:
        self.argv = argv
        self.timeout = timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.DEVNULL, bufsize=0, start_new_session=True)
        return self._proc

    def request(self, data: bytes) -> bytes:
        """One request without NULs; its reply without the closing NUL."""
        if b"\0" in data:
            raise PipeError("a request may not contain a NUL character")
        return self.exchange(data + b"\0")[:-1]

    def exchange(self, data: bytes) -> bytes:
        """Write `data` (NUL-separated blocks, ending with a NUL) and read until as many NULs came back:
        the whole reply, NULs included."""
        if not data.endswith(b"\0"):
            raise PipeError("a stream must end with a NUL")
        with self._lock:
            for attempt in (1, 2):  # a pipe that died since the last request is started again once
                proc = self._start()
                try:
                    return self._exchange(proc, data)
                except (BrokenPipeError, PipeError) as exc:
                    self._kill()
                    if attempt == 2 or isinstance(exc, PipeError) and "timed out" in str(exc):
                        raise PipeError(f"{os.path.basename(self.argv[0])}: {exc}") from exc
        raise AssertionError("unreachable")

    def _exchange(self, proc: subprocess.Popen[bytes], data: bytes) -> bytes:
        assert proc.stdin is not None and proc.stdout is not None
        # written from a thread while this one reads: a request larger than the pipes' buffers would
        # otherwise block the writer and every stage of the pipeline for good
        failed: list[BaseException] = []

        def write() -> None:
            try:
                proc.stdin.write(data)  # type: ignore[union-attr]
                proc.stdin.flush()  # type: ignore[union-attr]
            except (BrokenPipeError, OSError, ValueError) as exc:
                failed.append(exc)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        try:
            return self._read(proc, data.count(b"\0"))
        finally:
            writer.join(timeout=1.0)
            if failed and not isinstance(failed[0], ValueError):
                raise PipeError(f"writing failed: {failed[0]}")

    def _read(self, proc: subprocess.Popen[bytes], flushes: int) -> bytes:
        assert proc.stdout is not None
        out = bytearray()
        deadline = time.monotonic() + self.timeout
        fd = proc.stdout.fileno()
        while out.count(b"\0") < flushes:
            left = deadline - time.monotonic()
            if left <= 0:
                raise PipeError(f"timed out after {self.timeout:.0f} s")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise PipeError("the process ended")
            out += chunk
        return bytes(out)

    def _kill(self) -> None:
        if self._proc is not None:
            try:
                os.killpg(self._proc.pid, 9)
            except (ProcessLookupError, PermissionError):
                pass
            self._proc.wait()
            self._proc = None

    def close(self) -> None:
        with self._lock:
            self._kill()
