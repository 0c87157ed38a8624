"""Glossaries: approved term pairs and do-not-translate terms, per target language.

A glossary maps a source term to one or more approved target terms; an entry with no target is a
do-not-translate term (a product or feature name) that must come out exactly as written. Matching
is case-insensitive except for all-capital acronyms ("WHO" is not "who"), and inflection-aware: an
English plural in the source ("pandemics") is the term "pandemic" in the plural, and a target word
of five letters or more may carry an inflected ending in the output ("respiratorias" satisfies
"respiratorio"), so a grammatical translation is never counted as a violation.

CSV interchange is `source_term,target_term`, one row per pair; a term with several approved
targets has several rows; an empty target means do-not-translate.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from functools import cached_property

# Plural (or other inflection) endings a source term's last word may carry, per source language.
_SOURCE_SUFFIXES: dict[str, tuple[str, ...]] = {
    "en": ("s", "es"),
    "es": ("s", "es"),
    "pt": ("s", "es"),
    "fr": ("s", "x"),
    "it": (),
    "de": ("e", "en", "n", "s", "er", "es"),
    "nl": ("en", "s"),
}
MAX_TERM_CHARS = 200
MAX_ENTRIES = 20_000


class GlossaryError(ValueError):
    """A malformed glossary or CSV file; the message names the row."""


def is_acronym(term: str) -> bool:
    """All-capital terms ('WHO', 'H1N1', 'CV-19') match only in capitals."""
    letters = [c for c in term if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


@dataclass(frozen=True)
class Entry:
    source: str
    targets: tuple[str, ...] = ()  # empty: do not translate

    @property
    def do_not_translate(self) -> bool:
        return not self.targets


@dataclass(frozen=True)
class Occurrence:
    """One glossary term found in a source text."""

    start: int
    end: int
    text: str  # as written in the source
    entry: Entry
    plural: bool  # the source carried an inflection ending the term does not have
    nested: tuple[Entry, ...] = ()  # shorter glossary terms inside it (for terms with several targets)


def _word_pattern(word: str, inflect: bool) -> str:
    if inflect and len(word) >= 5 and word[-2:].isalpha():
        return re.escape(word[:-2]) + r"\w{0,5}"
    return re.escape(word)


def target_pattern(term: str, inflect: bool = True) -> re.Pattern[str]:
    """A pattern that finds `term` in a translation: words in order, any whitespace between them,
    case-insensitive (acronyms exact), a word of five letters or more with its last two letters free
    and up to three more after them."""
    parts = re.split(r"(\w+)", term.strip())
    out: list[str] = []
    for i, part in enumerate(parts):
        if i % 2:  # a word
            out.append(_word_pattern(part, inflect))
        elif part.isspace():
            out.append(r"\s+")
        elif part:  # punctuation, with any spacing around it ("coronavirus (COVID-19)")
            lead = r"\s*" if part[0].isspace() else ""
            trail = r"\s*" if part[-1].isspace() else ""
            out.append(lead + r"\s*".join(re.escape(p) for p in part.split()) + trail)
    flags = 0 if is_acronym(term) else re.IGNORECASE
    return re.compile(r"(?<!\w)" + "".join(out) + r"(?!\w)", flags)


def target_present(text: str, term: str) -> bool:
    return target_pattern(term).search(text) is not None


def source_present(text: str, term: str) -> bool:
    """The evaluation's definition: the term as a whole word or phrase, case-insensitive except for
    all-capital acronyms, no inflection."""
    flags = 0 if is_acronym(term) else re.IGNORECASE
    return re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", text, flags) is not None


@dataclass
class Glossary:
    id: str
    name: str
    source_language: str
    target_language: str
    entries: list[Entry] = field(default_factory=list)
    updated_at: str | None = None

    def __post_init__(self) -> None:
        merged: dict[str, list[str]] = {}
        for e in self.entries:
            targets = merged.setdefault(e.source, [])
            targets.extend(t for t in e.targets if t not in targets)
        self.entries = [Entry(s, tuple(t)) for s, t in merged.items()]

    @cached_property
    def _matchers(self) -> list[tuple[re.Pattern[str], dict[str, Entry]]]:
        """Two alternations (case-insensitive terms, exact acronyms), longest term first so that the
        leftmost match is the longest ('alcohol-based hand rub' before 'alcohol-based')."""
        suffixes = _SOURCE_SUFFIXES.get(self.source_language.split("-")[0], ())
        suffix = "(?:" + "|".join(suffixes) + ")?" if suffixes else ""
        out = []
        for acronyms in (False, True):
            group = sorted((e for e in self.entries if is_acronym(e.source) == acronyms), key=lambda e: -len(e.source))
            if not group:
                continue
            alts = []
            for e in group:
                tail = suffix if e.source[-1:].isalpha() and not acronyms else ""
                alts.append(r"\s+".join(re.escape(w) for w in e.source.split()) + tail)
            flags = 0 if acronyms else re.IGNORECASE
            pattern = re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", flags)
            key = (lambda s: s) if acronyms else str.lower
            out.append((pattern, {key(" ".join(e.source.split())): e for e in group}))
        return out

    def find(self, text: str) -> list[Occurrence]:
        """Non-overlapping occurrences, longest first at each place, in text order."""
        found: list[Occurrence] = []
        taken: list[tuple[int, int]] = []
        for pattern, by_key in self._matchers:
            exact = pattern.flags & re.IGNORECASE == 0
            for m in pattern.finditer(text):
                s, e = m.start(), m.end()
                if any(s < b and a < e for a, b in taken):
                    continue
                written = " ".join(m.group(0).split())
                key = written if exact else written.lower()
                entry, plural = by_key.get(key), False
                if entry is None:  # an inflected form: strip the longest known ending that names a term
                    for cut in range(1, 3):
                        entry = by_key.get(key[:-cut])
                        if entry is not None:
                            plural = True
                            break
                if entry is None:
                    continue
                inner = tuple(self._inside(m.group(0), entry)) if len(entry.targets) > 1 else ()
                found.append(Occurrence(s, e, m.group(0), entry, plural, inner))
                taken.append((s, e))
        found.sort(key=lambda o: o.start)
        return found

    def _inside(self, text: str, entry: Entry) -> list[Entry]:
        """Shorter glossary terms inside an occurrence ('hand sanitizer' in 'alcohol-based hand
        sanitizer'): of a term's approved targets, the one that satisfies them too is preferred."""
        return [e for e in self.entries if e is not entry and len(e.source) < len(text) and source_present(text, e.source)]

    def conflicts(self) -> list[tuple[Entry, Entry]]:
        """Pairs (longer term, shorter term inside it) where no approved target of the longer term
        contains an approved target of the shorter one: wherever the longer term is enforced, the
        shorter one cannot be satisfied ("covid-19 infection" -> "contagio de COVID-19" against
        "infection" -> "infección"). The terminologist should decide; enforcement keeps the longer."""
        def words(term: str) -> tuple[str, ...]:
            return tuple(w.lower() for w in re.findall(r"\w+", term))

        by_first: dict[str, list[tuple[tuple[str, ...], Entry]]] = {}
        for e in self.entries:
            w = words(e.source)
            if w:
                by_first.setdefault(w[0], []).append((w, e))
        found: list[tuple[Entry, Entry]] = []
        for long in self.entries:
            if long.do_not_translate:
                continue  # a name ("Google Workspace") is kept whole: the word inside it is not the term
            lw = words(long.source)
            seen: set[str] = set()
            for i, first in enumerate(lw):
                for sw, short in by_first.get(first, []):
                    if short is long or len(sw) >= len(lw) or lw[i : i + len(sw)] != sw or short.source in seen:
                        continue
                    if not source_present(long.source, short.source):
                        continue  # an acronym in other case, or a match across punctuation
                    seen.add(short.source)
                    wanted = short.targets or (short.source,)
                    have = long.targets or (long.source,)
                    # a compound holds the shorter term's target inside one word ('Schichttausch': 'Schicht')
                    if not any(target_present(h, t) or t.lower() in h.lower() for h in have for t in wanted):
                        found.append((long, short))
        return found

    # -- CSV ---------------------------------------------------------------------------------
    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["source_term", "target_term"])
        for e in self.entries:
            for t in e.targets or ("",):
                w.writerow([e.source, t])
        return buf.getvalue()


def parse_csv(text: str) -> list[Entry]:
    """Rows of `source_term,target_term` (header required); errors name the line."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise GlossaryError("the CSV file is empty: expected a header 'source_term,target_term'") from None
    except csv.Error as exc:
        raise GlossaryError(f"line 1: {exc}") from exc
    if [h.strip().lower() for h in header[:2]] != ["source_term", "target_term"]:
        raise GlossaryError(f"line 1: the header must be 'source_term,target_term', not {','.join(header)!r}")
    entries: list[Entry] = []
    try:
        for row in reader:
            line = reader.line_num
            if not row or not any(c.strip() for c in row):
                continue
            if len(row) > 2 and any(c.strip() for c in row[2:]):
                raise GlossaryError(f"line {line}: {len(row)} columns; expected source_term,target_term (quote a term that holds a comma)")
            source = " ".join(row[0].split())
            target = " ".join(row[1].split()) if len(row) > 1 else ""
            entries.append(check_entry(source, [target] if target else [], f"line {line}"))
            if len(entries) > MAX_ENTRIES:
                raise GlossaryError(f"more than {MAX_ENTRIES} rows; split the glossary")
    except csv.Error as exc:
        raise GlossaryError(f"line {reader.line_num}: {exc}") from exc
    if not entries:
        raise GlossaryError("the CSV file has a header but no terms")
    return entries


def check_entry(source: str, targets: list[str], where: str) -> Entry:
    source = " ".join(source.split())
    if not source:
        raise GlossaryError(f"{where}: the source term is empty")
    if not any(c.isalnum() for c in source):
        raise GlossaryError(f"{where}: the source term {source!r} has no letters or digits")
    for t in [source, *targets]:
        if len(t) > MAX_TERM_CHARS:
            raise GlossaryError(f"{where}: a term is longer than {MAX_TERM_CHARS} characters")
    clean = tuple(dict.fromkeys(" ".join(t.split()) for t in targets if t.strip()))
    return Entry(source, clean)
