"""The supported languages, named by BCP 47 codes, and validation of codes given by callers."""

from __future__ import annotations

# Languages the offline embedder (multilingual-e5-small) and the language detector both cover well.
SUPPORTED: dict[str, str] = {
    "ar": "Arabic",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "fi": "Finnish",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "hu": "Hungarian",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "nb": "Norwegian Bokmål",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "pt-BR": "Portuguese (Brazil)",
    "pt-PT": "Portuguese (Portugal)",
    "ro": "Romanian",
    "ru": "Russian",
    "sv": "Swedish",
    "th": "Thai",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "vi": "Vietnamese",
    "zh": "Chinese",
    "zh-Hans": "Chinese (Simplified)",
    "zh-Hant": "Chinese (Traditional)",
}
_ALIASES = {"no": "nb", "iw": "he", "in": "id", "zh-cn": "zh-Hans", "zh-tw": "zh-Hant"}
_CANONICAL = {code.lower(): code for code in SUPPORTED}


class UnsupportedLanguage(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"unsupported language code {code!r}; supported BCP 47 codes: {', '.join(sorted(SUPPORTED))}"
        )
        self.code = code


def normalize(code: str) -> str:
    """Canonical spelling of a supported BCP 47 code ('PT-br' -> 'pt-BR'), or UnsupportedLanguage."""
    key = code.strip().replace("_", "-").lower()
    key = _ALIASES.get(key, key)
    if key.lower() in _CANONICAL:
        return _CANONICAL[key.lower()]
    base = key.split("-")[0]
    # A region we do not list explicitly (en-GB, de-AT, es-419) is served by its base language.
    if base in _CANONICAL and len(key.split("-")) == 2 and 2 <= len(key.split("-")[1]) <= 3:
        return _CANONICAL[base]
    raise UnsupportedLanguage(code)


def base(code: str | None) -> str | None:
    """Primary language subtag: 'pt-BR' -> 'pt'; used for filtering and matching."""
    return code.split("-")[0].lower() if code else None


def normalize_or_none(code: str | None) -> str | None:
    """Like normalize() for codes read from files: an unknown code becomes None instead of an error."""
    if not code:
        return None
    try:
        return normalize(code)
    except UnsupportedLanguage:
        return None


def display_name(code: str) -> str:
    """'pt-BR' -> 'Portuguese (Brazil)'; a code not listed falls back to its base language, then itself."""
    return SUPPORTED.get(code) or SUPPORTED.get(code.split("-")[0]) or code
