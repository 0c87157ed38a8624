"""The real `kb` command in subprocesses: ingest summaries, errors, and search while the service runs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import MODELS_DIR

KB = str(Path(sys.executable).with_name("kb"))


def env(data_dir: Path, **extra: str) -> dict[str, str]:
    e = {**os.environ, "KB_DATA_DIR": str(data_dir), "KB_MODELS_DIR": str(MODELS_DIR)}
    e.pop("KB_API_KEYS", None)
    e.update(extra)
    return e


def run(args: list[str], data_dir: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KB, *args], env=env(data_dir, **extra), capture_output=True, text=True, timeout=300)


def test_help_explains_every_command(tmp_path: Path) -> None:
    out = run(["--help"], tmp_path).stdout
    for cmd in ("serve", "ingest", "search", "models", "reindex"):
        assert cmd in out
    assert "--sync" in run(["ingest", "--help"], tmp_path).stdout
    assert "prepare" in run(["models", "--help"], tmp_path).stdout


def test_ingest_summary_and_errors(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.md").write_text("---\nid: a\ntitle: Reset your password\n---\n## Steps\n1. Click Forgot password.\n2. Check your email.\n")
    (src / "broken.jsonl").write_text('{"id": 1, "subject": "x"\n')
    data = tmp_path / "data"
    first = run(["ingest", str(src)], data)
    assert first.returncode == 1  # a bad file makes the run fail, after the good ones are indexed
    assert "added 1, updated 0, unchanged 0, removed 0" in first.stdout
    assert "broken.jsonl" in first.stderr and "line 1" in first.stderr
    (src / "broken.jsonl").unlink()
    second = run(["ingest", str(src)], data)
    assert second.returncode == 0, second.stderr
    assert "added 0, updated 0, unchanged 1, removed 0" in second.stdout and "(0 chunks embedded)" in second.stdout
    assert run(["ingest"], data).returncode == 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_search_and_ingest_while_service_runs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    src = tmp_path / "src"
    src.mkdir()
    (src / "invoices.md").write_text("---\nid: invoices\ntitle: Download invoices\n---\nInvoices are under Settings > Billing > Invoices.\n")
    assert run(["ingest", str(src)], data).returncode == 0
    port = free_port()
    server = subprocess.Popen([KB, "serve", "--port", str(port)], env=env(data), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("the service did not start")
        key = (data / "admin_key").read_text().strip()
        assert key.startswith("kb_admin_")
        found = run(["search", "Wo finde ich meine Rechnungen?", "-k", "1"], data)
        assert found.returncode == 0, found.stderr
        assert "article:invoices" in found.stdout and "query language: de" in found.stdout
        blocked = run(["ingest", str(src)], data)
        assert blocked.returncode == 1
        assert "in use by another process" in blocked.stderr and "kb serve" in blocked.stderr
    finally:
        server.send_signal(signal.SIGINT)
        output = server.communicate(timeout=60)[0]
    assert "Admin API key (created in" in output and key in output
    assert not (data / "service.json").exists()
    after = run(["search", "invoices", "-k", "1", "--json"], data)  # the store is free again: searched locally
    assert after.returncode == 0 and '"id": "invoices"' in after.stdout


def test_model_change_is_detected_and_reindex_rebuilds(tmp_path: Path) -> None:
    """The same weights named by path count as another model: the index refuses it until `kb reindex`."""
    data = tmp_path / "data"
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.md").write_text("---\nid: a\ntitle: Reset your password\n---\n## Steps\n1. Click Forgot password.\n")
    assert run(["ingest", str(src)], data).returncode == 0
    other = {"KB_EMBEDDING_MODEL": str(MODELS_DIR / "multilingual-e5-small")}
    refused = run(["search", "password"], data, **other)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "built with embedding model 'multilingual-e5-small'" in refused.stderr and "kb reindex" in refused.stderr
    rebuilt = run(["reindex"], data, **other)
    assert rebuilt.returncode == 0 and "reindexed 1 sources" in rebuilt.stdout
    found = run(["search", "Passwort vergessen", "-k", "1"], data, **other)
    assert found.returncode == 0 and "article:a" in found.stdout
    assert run(["search", "password"], data).returncode == 1  # and now the old name is the other model
