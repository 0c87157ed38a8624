"""`kb eval classify` end to end on a small multilingual intent set with an out-of-scope class."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from eval.classify import ClassifyFormatError, load_set, macro_f1, score
from tests.eval.test_eval_cli import KB, kb_env

TRAIN = {
    "card_lost": ["I lost my card", "my card was stolen", "Where is my card? I think I lost it", "someone took my bank card",
                  "Ich habe meine Karte verloren", "He perdido mi tarjeta", "J'ai perdu ma carte bancaire", "lost card, please block it"],
    "refund": ["I want my money back", "how do I get a refund", "please refund my last payment", "refund for a cancelled order",
               "Ich möchte mein Geld zurück", "quiero un reembolso", "je veux être remboursé", "give me a refund now"],
    "password": ["I forgot my password", "reset my password please", "the password reset email never came", "cannot remember my login password",
                 "Passwort vergessen", "olvidé mi contraseña", "j'ai oublié mon mot de passe", "change my password"],
    "oos": ["what is the weather tomorrow", "tell me a joke", "who won the football match", "play some music",
            "how tall is the eiffel tower", "recommend a good pizza place", "what time is it in tokyo", "translate hello to italian"],
}
DEV = [
    ("my card is gone, I cannot find it", "card_lost", "en"), ("Karte gestohlen, bitte sperren", "card_lost", "de"),
    ("can I have a refund", "refund", "en"), ("devuélvanme el dinero", "refund", "es"),
    ("I need to reset my password", "password", "en"), ("mot de passe oublié", "password", "fr"),
    ("what's the capital of peru", "oos", "en"), ("sing me a song", "oos", "en"),
]


def _write(folder: Path, name: str, rows: list[dict[str, object]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture(scope="module")
def intents(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cls") / "intents"
    _write(folder, "train.jsonl", [{"text": t, "label": lab, "group": "money" if lab == "refund" else "other", "lang": "en"}
                                   for lab, ts in TRAIN.items() for t in ts])
    _write(folder, "dev.jsonl", [{"text": t, "label": lab, "group": "money" if lab == "refund" else "other", "lang": lang}
                                 for t, lab, lang in DEV])
    return folder


def test_eval_classify_end_to_end_with_cache_and_predictions(intents: Path, tmp_path: Path) -> None:
    out_json, out_pred = tmp_path / "m.json", tmp_path / "p.jsonl"
    env = kb_env(tmp_path)
    proc = subprocess.run([KB, "eval", "classify", str(intents), "--json", str(out_json), "--predictions", str(out_pred)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    m = json.loads(out_json.read_text())
    for key in ("accuracy", "macro_f1", "per_lang", "in_scope_accuracy", "oos_recall", "oos_precision", "n"):
        assert key in m
    assert m["n"] == len(DEV) and set(m["per_lang"]) == {"en", "de", "es", "fr"}
    assert m["accuracy"] >= 0.75 and m["in_scope_accuracy"] >= 0.75
    assert m["embedded"] == sum(len(v) for v in TRAIN.values()) + len(DEV)
    assert "accuracy" in proc.stdout and "oos recall" in proc.stdout

    # the predictions re-score to the printed metrics, and every prediction is a training label
    preds = [json.loads(line) for line in out_pred.read_text().splitlines()]
    assert [p["index"] for p in preds] == list(range(len(DEV)))
    assert all(p["predicted"] in TRAIN and 0 <= p["confidence"] <= 1 for p in preds)
    assert [p["label"] for p in preds] == [lab for _, lab, _ in DEV]
    again = score([p["label"] for p in preds], [p["predicted"] for p in preds], [lang for _, _, lang in DEV], True)
    assert again["accuracy"] == m["accuracy"] and again["oos_recall"] == m["oos_recall"]

    # a second field of the same set embeds nothing again (cache by content)
    out2 = tmp_path / "g.json"
    proc = subprocess.run([KB, "eval", "classify", str(intents), "--field", "group", "--json", str(out2)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    g = json.loads(out2.read_text())
    assert g["embedded"] == 0 and g["field"] == "group" and g["in_scope_accuracy"] is None


def test_test_file_takes_precedence_and_dev_joins_training(intents: Path, tmp_path: Path) -> None:
    folder = tmp_path / "withtest"
    for name in ("train.jsonl", "dev.jsonl"):
        _write(folder, name, [json.loads(x) for x in (intents / name).read_text().splitlines()])
    _write(folder, "test.jsonl", [{"text": "block my stolen card", "label": "card_lost"}])
    data = load_set(folder)
    assert data.test_file == "test.jsonl" and data.train_files == ["train.jsonl", "dev.jsonl"]
    assert len(data.train) == sum(len(v) for v in TRAIN.values()) + len(DEV)


@pytest.mark.parametrize(
    "files, message",
    [
        ({"dev.jsonl": '{"text": "a", "label": "x"}\n'}, "no train.jsonl"),
        ({"train.jsonl": '{"text": "a", "label": "x"}\n{"text": "b", "label": "y"}\n'}, "no test.jsonl or dev.jsonl"),
        ({"train.jsonl": '{"text": "a", "label": "x"}\n{"text": "b"\n', "dev.jsonl": '{"text": "a", "label": "x"}\n'}, "train.jsonl:2: not valid JSON"),
        ({"train.jsonl": '{"text": "a", "label": "x"}\n{"text": "", "label": "y"}\n', "dev.jsonl": '{"text": "a", "label": "x"}\n'}, "train.jsonl:2: 'text'"),
        ({"train.jsonl": '{"text": "a", "label": "x"}\n{"text": "b", "label": "y"}\n', "dev.jsonl": '{"text": "a", "label": null}\n'}, "dev.jsonl:1: no label"),
        ({"train.jsonl": '{"text": "a", "label": "x"}\n{"text": "b", "label": "x"}\n', "dev.jsonl": '{"text": "a", "label": "x"}\n'}, "fewer than two"),
        ({"train.jsonl": '["a", "x"]\n', "dev.jsonl": '{"text": "a", "label": "x"}\n'}, "must be a JSON object"),
    ],
)
def test_malformed_sets_name_file_line_and_reason(tmp_path: Path, files: dict[str, str], message: str) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    with pytest.raises(ClassifyFormatError, match=message):
        load_set(folder)


def test_cli_exits_2_on_a_malformed_set(tmp_path: Path) -> None:
    proc = subprocess.run([KB, "eval", "classify", str(tmp_path / "missing")], env=kb_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "not a folder" in proc.stderr


def test_metrics_by_hand() -> None:
    gold = ["a", "a", "b", "oos", "oos"]
    pred = ["a", "b", "b", "oos", "a"]
    m = score(gold, pred, ["en", "en", "de", "en", "de"], True)
    assert m["accuracy"] == 0.6
    assert m["in_scope_accuracy"] == round(2 / 3, 4)
    assert m["oos_recall"] == 0.5 and m["oos_precision"] == 1.0
    assert m["per_lang"]["de"] == {"accuracy": 0.5, "n": 2}
    # F1: a 2*1/(2+1+1)=0.5, b 2*1/(2+1+0)=0.667, oos 2*1/(2+0+1)=0.667
    assert abs(macro_f1(gold, pred) - (0.5 + 2 / 3 + 2 / 3) / 3) < 1e-9
