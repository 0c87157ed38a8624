from __future__ import annotations

import pytest

from kb_service import languages


@pytest.mark.parametrize(
    "given,expected",
    [("en", "en"), ("EN", "en"), ("pt-br", "pt-BR"), ("pt_BR", "pt-BR"), ("de-AT", "de"), ("es-419", "es"), ("zh-TW", "zh-Hant"), ("no", "nb")],
)
def test_normalize(given: str, expected: str) -> None:
    assert languages.normalize(given) == expected


@pytest.mark.parametrize("bad", ["xx", "klingon", "", "de-DE-1996-x", "e"])
def test_unsupported_lists_supported(bad: str) -> None:
    with pytest.raises(languages.UnsupportedLanguage) as exc:
        languages.normalize(bad)
    assert "pt-BR" in str(exc.value) and "en" in str(exc.value)


def test_base() -> None:
    assert languages.base("pt-BR") == "pt"
    assert languages.base(None) is None
