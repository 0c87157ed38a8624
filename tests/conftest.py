"""Shared fixtures: real engines (the offline e5 model, embedded Qdrant in temporary folders)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from kb_service.config import Settings
from kb_service.engines.embedder import prepare_models

REPO = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO / "data" / "models"  # prepared once by `make test` / `kb models prepare`, reused here
KEYS = {
    "widget": "widget-key-0001",
    "agent": "agent-key-0001",
    "writer": "writer-key-0001",
    "admin": "admin-key-0001",
}
API_KEYS = ",".join(f"{k}:{s}" for s, k in KEYS.items())


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    # no rate limits unless a test sets them: the suite sends many answers from one test client
    values: dict[str, object] = {"data_dir": data_dir, "models_dir": MODELS_DIR, "api_keys": API_KEYS,
                                 "answer_rate_per_key": 0, "answer_rate_per_address": 0}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session", autouse=True)
def _prepared_model() -> None:
    prepare_models(Settings(models_dir=MODELS_DIR))


@pytest.fixture(scope="session")
def sample_kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator["KnowledgeBase"]:  # noqa: F821
    """The shipped sample knowledge base, ingested once; tests that read share it, none may write."""
    from kb_service.knowledge import SAMPLE_DIR, KnowledgeBase

    kb = KnowledgeBase(make_settings(tmp_path_factory.mktemp("sample-kb")))
    summary = kb.ingest_paths([SAMPLE_DIR])
    assert not summary.errors, summary.errors
    yield kb
    kb.close()


@pytest.fixture(scope="session")
def client(sample_kb: "KnowledgeBase") -> Iterator["TestClient"]:  # noqa: F821
    """A read-only API client over the sample knowledge base."""
    from fastapi.testclient import TestClient

    from kb_service.app import create_app

    with TestClient(create_app(sample_kb.settings, kb=sample_kb)) as c:
        yield c


@pytest.fixture
def fresh_kb(tmp_path: Path) -> Iterator["KnowledgeBase"]:  # noqa: F821
    """An empty knowledge base of its own, for tests that write."""
    from kb_service.knowledge import KnowledgeBase

    kb = KnowledgeBase(make_settings(tmp_path / "data"))
    yield kb
    kb.close()


@pytest.fixture
def fresh_client(fresh_kb: "KnowledgeBase") -> Iterator["TestClient"]:  # noqa: F821
    from fastapi.testclient import TestClient

    from kb_service.app import create_app

    with TestClient(create_app(fresh_kb.settings, kb=fresh_kb)) as c:
        yield c


def auth(scope: str) -> dict[str, str]:
    return {"X-API-Key": KEYS[scope]}
