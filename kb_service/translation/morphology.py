"""Target-language grammar around an enforced term: its plural, and the determiner before it.

Putting the approved term where the engine wrote its own word can break agreement: the engine wrote
"el brote", the glossary says "epidemia", and "el epidemia" is wrong. With Apertium's own
dictionaries for the target language (its morphological analyser and generator, installed with the
language pair), the enforcer learns the term's gender and number, generates its plural when the
source term was plural, and re-inflects the determiner in front of it ("la epidemia").

Spanish has a determiner table; other target languages get plural and agreement repair when a table
for them is added (the analyser and generator work for any Apertium language).
"""

from __future__ import annotations

import re
import shutil
import threading
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from kb_service.translation.apertium import ISO3_OF
from kb_service.translation.pipe import NullFlushPipe, PipeError

_UNIT = re.compile(r"\^(.*?)\$")
_TAG = re.compile(r"<([^>]+)>")
_PREPOSITIONS = {"de", "del", "para", "por", "contra", "a", "al", "en", "con", "sin", "sobre", "entre"}

# Spanish determiners: every form of one determiner, by (gender, number).
_ES_DETERMINERS: list[dict[tuple[str, str], str]] = [
    {("m", "sg"): m1, ("f", "sg"): f1, ("m", "pl"): m2, ("f", "pl"): f2}
    for m1, f1, m2, f2 in [
        ("el", "la", "los", "las"), ("un", "una", "unos", "unas"), ("del", "de la", "de los", "de las"),
        ("al", "a la", "a los", "a las"), ("este", "esta", "estos", "estas"), ("ese", "esa", "esos", "esas"),
        ("aquel", "aquella", "aquellos", "aquellas"), ("nuestro", "nuestra", "nuestros", "nuestras"),
        ("vuestro", "vuestra", "vuestros", "vuestras"), ("otro", "otra", "otros", "otras"),
        ("mucho", "mucha", "muchos", "muchas"), ("poco", "poca", "pocos", "pocas"),
        ("ningún", "ninguna", "ningunos", "ningunas"), ("algún", "alguna", "algunos", "algunas"),
        ("dicho", "dicha", "dichos", "dichas"), ("cuyo", "cuya", "cuyos", "cuyas"),
        ("todo el", "toda la", "todos los", "todas las"), ("su", "su", "sus", "sus"), ("mi", "mi", "mis", "mis"),
        ("tu", "tu", "tus", "tus"),
    ]
]
_ES_LOOKUP: dict[str, dict[tuple[str, str], str]] = {form: group for group in _ES_DETERMINERS for form in group.values()}
_ES_FEMININE_ENDINGS = ("a", "ción", "sión", "dad", "tad", "tud", "umbre", "sis", "itis")


class Morphology(Protocol):
    def pluralize(self, term: str) -> str: ...

    def agree(self, before: str, term: str) -> str:
        """`before` (the text in front of the term) with its last determiner made to agree with `term`."""
        ...


class NoMorphology:
    """For target languages without a table: the term as the glossary gives it, nothing re-inflected."""

    def pluralize(self, term: str) -> str:
        return term

    def agree(self, before: str, term: str) -> str:
        return before


def _match_case(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


class ApertiumSpanish:
    """Spanish plural and determiner agreement from Apertium's Spanish analyser and generator."""

    def __init__(self, analyser: Path, generator: Path, lt_proc: str | None = None) -> None:
        self.analyser, self.generator = analyser, generator
        self.lt_proc = lt_proc or shutil.which("lt-proc") or "lt-proc"
        self._pipes: dict[tuple[str, ...], NullFlushPipe] = {}
        self._pipes_lock = threading.Lock()
        self._analyse = lru_cache(maxsize=20_000)(self._analyse_uncached)
        self._generate = lru_cache(maxsize=20_000)(self._generate_uncached)

    @classmethod
    def from_pair_folder(cls, folder: Path, source3: str = "eng") -> "ApertiumSpanish | None":
        analyser, generator = folder / f"spa-{source3}.automorf.bin", folder / f"{source3}-spa.autogen.bin"
        return cls(analyser, generator) if analyser.is_file() and generator.is_file() else None

    def _run(self, args: list[str], text: str) -> str:
        """lt-proc kept running in null-flush mode (loading the Spanish analyser takes 65 ms a call)."""
        key = tuple(args)
        with self._pipes_lock:
            pipe = self._pipes.get(key)
            if pipe is None:
                pipe = self._pipes[key] = NullFlushPipe([self.lt_proc, "-z", *args], timeout=30)
        try:
            # in null-flush mode lt-proc holds a last lexical unit until a character follows it
            return pipe.request((text.replace("\0", "") + "\n").encode("utf-8")).decode("utf-8")
        except PipeError:
            return ""  # no analysis: the term stays as the glossary gives it

    def _analyse_uncached(self, term: str) -> tuple[tuple[str, tuple[tuple[str, frozenset[str]], ...]], ...]:
        """Lexical units of `term`: (surface, ((lemma, tags), ...))."""
        units = []
        for raw in _UNIT.findall(self._run([str(self.analyser)], term.replace("[", "(").replace("^", " "))):
            surface, *readings = raw.split("/")
            parsed = []
            for r in readings:
                if r.startswith("*"):
                    continue
                lemma = r.split("<", 1)[0]
                parsed.append((lemma, frozenset(_TAG.findall(r))))
            units.append((surface, tuple(parsed)))
        return tuple(units)

    def _generate_uncached(self, lexical: str) -> str | None:
        out = self._run(["-g", str(self.generator)], lexical).strip()
        return None if not out or out.startswith("#") or "<" in out else out

    def _head(self, term: str) -> tuple[str | None, str | None]:
        """Gender and number of the term's first noun (before any preposition)."""
        for surface, readings in self._analyse(term):
            if surface.lower() in _PREPOSITIONS:
                break
            for _lemma, tags in readings:
                if "n" in tags:
                    gender = "f" if "f" in tags else "m" if "m" in tags else None
                    number = "pl" if "pl" in tags else "sg" if "sg" in tags else None
                    return gender, number
            if not readings and surface.isalpha():  # unknown noun: the ending decides, as Spanish grammar says
                w = surface.lower()
                return ("f" if w.endswith(_ES_FEMININE_ENDINGS) else "m" if w.endswith(("o", "or", "aje", "ma")) else None,
                        "pl" if w.endswith("s") and not w.endswith("sis") else "sg")
        return None, None

    def pluralize(self, term: str) -> str:
        out: list[str] = []
        rest = term
        done = False
        for n, (surface, readings) in enumerate(self._analyse(term)):
            i = rest.find(surface)
            if i < 0:
                return term
            out.append(rest[:i])
            rest = rest[i + len(surface):]
            word = surface
            if not done and surface.lower() in _PREPOSITIONS:
                done = True
            elif not done:
                nominal = [(lemma, tags) for lemma, tags in readings if ("n" in tags or "adj" in tags) and "sg" in tags]
                if nominal:
                    lemma, tags = nominal[0]
                    pos = "n" if "n" in tags else "adj"
                    gender = next((g for g in ("m", "f", "mf") if g in tags), "m")
                    generated = self._generate(f"^{lemma.lower()}<{pos}><{gender}><pl>$")
                    if generated:
                        word = _match_case(generated, surface)
                elif not readings and surface.isalpha() and not surface.isupper() and n == 0:
                    w = surface
                    # Spanish plural rules; words ending in -s or -x ('coronavirus', 'tórax') do not change
                    # (and loanwords ending in other consonants take -s: 'kit' -> 'kits', 'chat' -> 'chats')
                    word = (w if w[-1] in "sx" else w + "s" if w[-1] in "aeiouáéó" else w[:-1] + "ces" if w[-1] == "z"
                            else w + "es" if w[-1] in "lrndj" else w + "s")
            out.append(word)
        out.append(rest)
        return "".join(out)

    def agree(self, before: str, term: str) -> str:
        gender, number = self._head(term)
        if gender not in ("m", "f"):
            return before
        m = re.search(r"(?i)(?<!\w)(todos? l[oa]s?|todas? l[oa]s?|todo el|toda la|de l[oa]s?|del|a l[oa]s?|al|\w+)(\s+)$", before)
        if not m:
            return before
        word = m.group(1)
        group = _ES_LOOKUP.get(" ".join(word.lower().split()))
        if group is None:
            return before
        current = next(k for k, v in group.items() if v == " ".join(word.lower().split()))
        new = group[(gender, number if number in ("sg", "pl") else current[1])]  # 'virus': the determiner knows
        if new == word.lower():
            return before
        return before[: m.start(1)] + _match_case(new, word) + m.group(2)


def for_target(language: str, pair_folder: Path | None, source: str = "en") -> Morphology:
    """The best morphology available for a target language."""
    iso3 = ISO3_OF.get(source.split("-")[0], "eng")  # Apertium's name of the source language
    if language.split("-")[0] == "es" and pair_folder is not None:
        spanish = ApertiumSpanish.from_pair_folder(pair_folder, iso3)
        if spanish is not None:
            return spanish
    return NoMorphology()
