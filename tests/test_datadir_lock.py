"""One process per data directory: a second opener stops at start-up with a clear error, and the
first one keeps serving with its data unchanged."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from kb_service.storage.datadir_lock import LOCK_NAME, DataDirLock, DataDirLocked, read_holder
from tests.conftest import KEYS, MODELS_DIR, make_settings

KB = str(Path(sys.executable).with_name("kb"))


def test_the_lock_names_its_holder_and_refuses_a_second_one(tmp_path: Path) -> None:
    first = DataDirLock(tmp_path / "data")  # creates the directory
    assert read_holder(tmp_path / "data" / LOCK_NAME)["pid"] == os.getpid()
    with pytest.raises(DataDirLocked, match=f"in use by another process \\(pid {os.getpid()}") as refused:
        DataDirLock(tmp_path / "data")
    assert refused.value.holder["pid"] == os.getpid()
    assert "\n" not in str(refused.value)  # one line for the CLI
    assert read_holder(tmp_path / "data" / LOCK_NAME)["pid"] == os.getpid()  # the refused one erased nothing
    first.release()
    first.release()  # idempotent
    assert read_holder(tmp_path / "data" / LOCK_NAME) == {}
    with DataDirLock(tmp_path / "data") as again:
        assert again.held
    assert not again.held


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    data = tmp_path / "data"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom pathlib import Path\nfrom kb_service.storage.datadir_lock import DataDirLock\n"
         f"lock = DataDirLock(Path({str(data)!r}))\nprint('locked', flush=True)\ntime.sleep(120)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(DataDirLocked, match=f"pid {holder.pid}"):
            DataDirLock(data)
    finally:
        holder.kill()  # SIGKILL: no clean-up runs in the holder
        holder.wait(30)
    DataDirLock(data).release()  # the kernel released it with the process


def test_a_second_knowledge_base_on_one_directory_is_refused(tmp_path: Path) -> None:
    from kb_service.knowledge import KnowledgeBase

    settings = make_settings(tmp_path / "data")
    kb = KnowledgeBase(settings)
    try:
        with pytest.raises(DataDirLocked, match=f"in use by another process \\(pid {os.getpid()}.*stop that process"):
            KnowledgeBase(settings)
        assert kb.searcher.search("password", top_k=1).hits == []  # the first one is untouched and works
    finally:
        kb.close()
    KnowledgeBase(settings).close()  # closing released it


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update({"KB_DATA_DIR": str(data), "KB_MODELS_DIR": str(MODELS_DIR), "PYTHONUNBUFFERED": "1",
                "KB_API_KEYS": f"{KEYS['writer']}:writer"}, **extra)
    return env


def test_a_second_kb_serve_stops_with_one_clear_line_and_the_first_keeps_serving(tmp_path: Path) -> None:
    from eval.bench_service import free_port

    data = tmp_path / "data"
    port = free_port()
    first = subprocess.Popen([KB, "serve", "--port", str(port)], env=_env(data), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    url, headers = f"http://127.0.0.1:{port}", {"X-API-Key": KEYS["writer"]}
    try:
        deadline = time.monotonic() + 180
        while True:
            assert first.poll() is None, first.communicate()[0]
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the first service did not start"
            time.sleep(0.2)
        body = {"title": "Export timesheets", "body": "## Steps\n1. Open Reports.\n2. Click Export.\n"}
        assert httpx.put(f"{url}/v1/articles/export", json=body, headers=headers, timeout=120).status_code == 201
        before = (httpx.get(f"{url}/health", timeout=10).json()["index"], sorted(p.name for p in data.iterdir()),
                  (data / "service.json").read_text())

        # without KB_API_KEYS (the second one must not create an admin key in the first one's directory), and
        # with a Qdrant server named (the embedded index's own lock is not in play: only this lock guards the SQLite stores)
        for extra in ({"KB_API_KEYS": ""}, {"KB_QDRANT_URL": "http://127.0.0.1:9"}):
            second = subprocess.run([KB, "serve", "--port", str(free_port())], env=_env(data, **extra), capture_output=True,
                                    text=True, timeout=120)
            assert "Admin API key" not in second.stdout
            assert second.returncode == 1, (second.stdout, second.stderr)
            lines = [line for line in second.stderr.splitlines() if line.strip()]
            assert len(lines) == 1 and "Traceback" not in second.stderr, second.stderr
            assert lines[0].startswith(f"error: the data directory {data} is in use by another process (pid {first.pid}")
            assert "kb serve" in lines[0] and "HTTP API" in lines[0]

        after = (httpx.get(f"{url}/health", timeout=10).json()["index"], sorted(p.name for p in data.iterdir()),
                 (data / "service.json").read_text())
        assert after == before
        assert json.loads(after[2])["pid"] == first.pid  # still the first service's address
        assert read_holder(data / LOCK_NAME)["pid"] == first.pid
        got = httpx.get(f"{url}/v1/articles/export", headers=headers, timeout=10)
        assert got.status_code == 200 and got.json()["title"] == "Export timesheets"
    finally:
        first.send_signal(signal.SIGINT)
        output = first.communicate(timeout=60)[0]
    assert "Finished server process" in output, output
    assert read_holder(data / LOCK_NAME) == {}  # released on the way out
