"""Reading the customer's follow-up in any language, on the independent set tests/data/followup_eval.jsonl
(120 replies in 14 languages, written apart from the training phrases)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.followup import evaluate
from kb_service.autoresponse.followup import FollowupClassifier
from kb_service.engines.embedder import get_embedder
from tests.conftest import make_settings

EVAL = Path(__file__).resolve().parents[1] / "data" / "followup_eval.jsonl"


@pytest.fixture(scope="module")
def clf(tmp_path_factory: pytest.TempPathFactory) -> FollowupClassifier:
    return FollowupClassifier(get_embedder(make_settings(tmp_path_factory.mktemp("f"))))


@pytest.mark.parametrize("text", [
    "Das hat leider nicht funktioniert.",
    "Hallo, ich habe alles so gemacht wie beschrieben, aber die Schichten fehlen immer noch im Kalender. Gruß, Jonas",
    "Thanks for the quick answer. Unfortunately I still get the same error.",
    "Sigue sin funcionar.",
])
def test_it_did_not_work_is_read_in_several_languages(clf: FollowupClassifier, text: str) -> None:
    assert clf.read(text).outcome == "not_resolved"


@pytest.mark.parametrize("text", ["Es funktioniert jetzt, danke!", "Perfect, that fixed it.", "¡Ya funciona, muchas gracias!"])
def test_confirmations_are_read_as_resolved(clf: FollowupClassifier, text: str) -> None:
    assert clf.read(text).outcome == "resolved"


def test_quality_on_the_independent_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KB_MODELS_DIR", str(make_settings(tmp_path).models_path))
    from kb_service.config import get_settings

    get_settings.cache_clear()
    try:
        m = evaluate(EVAL)
    finally:
        get_settings.cache_clear()
    assert m["n"] == 120
    assert m["not_resolved_recall"] >= 0.95  # measured 0.983: a missed "it did not work" strands a customer
    assert m["accuracy"] >= 0.88  # measured 0.925 (unclear readings go to a person and count as hand-offs)
