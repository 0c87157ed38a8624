"""The interface every machine-translation engine implements.

Engines translate batches of segments. In *marked* mode a segment is HTML-escaped text in which
each glossary term sits in `<span id="tK">…</span>`; the engine must return the same markup with
each span around its rendering of that term (Apertium carries the spans through its pipeline as
word-bound blanks; Claude is told to keep them). Enforcement (`enforce.py`) then owns what is
inside the spans, so a term's translation is decided by the glossary, not by the engine, while the
engine still translates the words around it with the term in context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class TranslationUnavailable(RuntimeError):
    """No engine covers the language pair (or the engine failed); never an untranslated text."""


@dataclass
class Segment:
    text: str  # plain text, or markup when the batch is marked
    terms: list[tuple[str, str]] = field(default_factory=list)  # (source term as written, required output) for prompts


@dataclass
class Violation:
    source_term: str
    required: list[str]
    output: str


class TranslationEngine(Protocol):
    name: str

    def supports(self, source: str, target: str) -> bool: ...

    def pairs(self) -> list[tuple[str, str]]:
        """Language pairs (BCP 47 base codes) this engine translates; ('*', '*') for any."""
        ...

    def translate(self, segments: list[Segment], source: str, target: str, marked: bool) -> list[str]: ...

    def revise(self, source: str, translation: str, violations: list[Violation], source_lang: str, target_lang: str) -> str | None:
        """A second round for violations the engine can fix itself (None: it cannot)."""
        ...


def base(code: str) -> str:
    return code.split("-")[0].lower()
