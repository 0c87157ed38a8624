"""Glossary enforcement around any engine: protected spans, structural replacement, verification.

1. Every glossary term in the source is wrapped in `<span id="tK">`; the engine translates the whole
   segment, term included, so the words around it are translated in context (placeholders would
   cost the engine that context and the sentence its fluency).
2. The spans come back around the engine's rendering of each term. Whatever the engine wrote there
   is replaced by the approved target term (kept when it already is one), in the plural when the
   source was plural, with its case fitted to the place, and the determiner in front re-inflected
   to agree with it; a do-not-translate term gets back exactly what the source had.
3. The output is checked: every term's approved target (or untouched term) must be in it. A term
   whose span the engine lost is translated again as an opaque placeholder and put in; an engine
   that can revise (Claude) gets a repair round; anything still missing is reported as a violation.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Literal

from kb_service.translation.engines import Segment, TranslationEngine, Violation
from kb_service.translation.glossary import Glossary, Occurrence, is_acronym, target_pattern, target_present
from kb_service.translation.morphology import Morphology, NoMorphology

Status = Literal["kept", "enforced", "repaired", "violated"]
_SPAN = re.compile(r'<span id="t(\d+)">(.*?)</span>', re.S)
_TAGS = re.compile(r"</?[a-zA-Z][^>]*>")
_LIST_PREFIX = re.compile(r"^(\s*(?:\d+[.)]|[-*•>])\s+|\s+)")
_PLACEHOLDER = "ZXQ{}QXZ"
_NOUN_CAPITALS = {"de", "lb"}  # languages that write every noun with a capital


@dataclass
class TermCheck:
    source_term: str  # the glossary's source term
    found: str  # as the source text wrote it
    required: list[str]  # approved target terms; for a do-not-translate term, the term as written
    do_not_translate: bool
    output: str | None  # what the translation has in its place
    status: Status

    @property
    def ok(self) -> bool:
        return self.status != "violated"


@dataclass
class Translated:
    text: str
    terms: list[TermCheck] = field(default_factory=list)

    @property
    def violations(self) -> list[TermCheck]:
        return [t for t in self.terms if not t.ok]


# Text no engine may touch: links, e-mail addresses, code, template placeholders, host names.
_PROTECTED = re.compile(
    r"https?://[^\s<>\"'`)\]]*[^\s<>\"'`)\].,;:!?]"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|`[^`\n]+`"
    r"|\{[A-Za-z_][\w.]*\}"
    r"|(?<![\w@.-])(?:[a-z0-9-]+\.)+(?:com|org|net|io|dev|app|example|eu)(?:/[^\s<>\"'`)\]]*[^\s<>\"'`)\].,;:!?])?(?![\w-])"
)


_CRUMB_SEP = re.compile(r"\s+>\s+")
_CAPITALISED = re.compile(r"[A-ZÀ-Þ][\w'’&-]*$")
_LAST_STOP = {"and", "then", "or", "to", "in", "on", "next", "for", "with", "tab", "page", "menu", "button", "click",
              "at", "of", "the", "y", "e", "o", "en", "para", "con", "und", "et", "ou"}


def breadcrumbs(text: str) -> list[tuple[int, int, list[str]]]:
    """UI paths such as "Settings > Integrations > Slack": (start, end, labels). An engine reorders
    them ("Integraciones > de Configuración > Slack"), so they are never given to it: each label is
    rendered on its own (the glossary's term, or the label as the product shows it)."""
    found: list[tuple[int, int, list[str]]] = []
    seps = list(_CRUMB_SEP.finditer(text))
    i = 0
    while i < len(seps):
        chain = [seps[i]]  # separators joined by labels without sentence punctuation between them
        while i + 1 < len(seps) and not re.search(r"[.,;:!?()\n*]", text[chain[-1].end():seps[i + 1].start()]):
            chain.append(seps[i + 1])
            i += 1
        i += 1
        # the label before the first '>': its last word, capitalised ("Go to Settings > ..." -> "Settings";
        # a first label of several words is rare, and "Open Settings" must not become one)
        word = text[: chain[0].start()].split(" ")[-1].lstrip("*_")
        if not _CAPITALISED.match(word):
            continue
        first = [word]
        start = chain[0].start() - len(word)
        middle = [text[a.end():b.start()] for a, b in zip(chain, chain[1:])]
        tail = re.match(r"[^\s.,;:!?()*\n]+(?: [^\s.,;:!?()*\n]+){0,3}", text[chain[-1].end():])
        if not tail or not _CAPITALISED.match(tail.group(0).split(" ")[0]):
            continue
        last: list[str] = []
        for w in tail.group(0).split(" "):
            if last and w.lower() in _LAST_STOP:
                break
            last.append(w)
        end = chain[-1].end() + len(" ".join(last))
        found.append((start, end, [" ".join(first), *middle, " ".join(last)]))
    return found


def protected_spans(text: str) -> list[tuple[int, int]]:
    spans = [(a, b) for a, b, _ in breadcrumbs(text)]
    spans += [(m.start(), m.end()) for m in _PROTECTED.finditer(text) if not any(m.start() < b and a < m.end() for a, b in spans)]
    return sorted(spans)


def _protected_token(j: int) -> str:
    return f"ZXP{j}PXZ"


def _restore(out: str, text: str) -> str:
    """Put back, exactly, what the protected spans held in the source. They went through the engine
    as opaque tokens (a URL given to Apertium comes back as 'ayuda.fernbook.ejemplo')."""
    for j, (a, b) in enumerate(protected_spans(text)):
        token = _protected_token(j)
        m = re.search(f'<span id="p{j}">[^<]*?({token})', out) or re.search(token, out)
        if m is not None:
            at = m.start(m.lastindex or 0)
            out = out[:at] + html.escape(text[a:b], quote=False) + out[at + len(token):]
    return out


def _plain(markup: str) -> str:
    return html.unescape(_TAGS.sub("", markup))


def _trigrams(s: str) -> set[str]:
    s = f"  {s.lower()} "
    return {s[i : i + 3] for i in range(len(s) - 2)}


def _similar(a: str, b: str) -> float:
    x, y = _trigrams(a), _trigrams(b)
    return len(x & y) / max(len(x | y), 1)


def _is_capitalized(word: str) -> bool:
    return len(word) > 1 and word[0].isupper() and word[1:].islower()


def fit_case(target: str, occ: Occurrence, sentence_start: bool, language: str = "") -> str:
    """The approved term in the case its place needs: capitalised where the source capitalised the
    word ('Settings', a menu label) or a sentence starts; a glossary's capitalised entry ('Bronquitis
    aguda', 'Severe Acute Respiratory Syndrome') in lower case where the source wrote the term in lower
    case, except in languages that capitalise nouns (German); acronyms untouched."""
    words = target.split(" ")
    first = occ.text.split(" ")[0]
    if _is_capitalized(first) or (len(first) == 1 and first.isupper()):
        sentence_start = True
    elif occ.text == occ.text.lower() and language.split("-")[0] not in _NOUN_CAPITALS:
        words = [w.lower() if _is_capitalized(w) else w for w in words]
    out = " ".join(words)
    if sentence_start and out[:1].islower():
        out = out[:1].upper() + out[1:]
    return out


def _required(occ: Occurrence) -> list[str]:
    return list(occ.entry.targets) if occ.entry.targets else [occ.text]


def _complies(text: str, occ: Occurrence, morphology: Morphology | None = None) -> str | None:
    """The approved rendering found in `text` (a plural source may have the term's plural), or None."""
    if occ.entry.do_not_translate:
        flags = 0 if is_acronym(occ.text) else re.IGNORECASE
        m = re.search(r"(?<!\w)" + re.escape(occ.text) + r"(?!\w)", text, flags) or re.search(
            r"(?<!\w)" + re.escape(occ.entry.source) + r"(?!\w)", text, flags)
        return m.group(0) if m else None
    forms = list(occ.entry.targets)
    if occ.plural and morphology is not None:
        forms += [morphology.pluralize(t) for t in occ.entry.targets]
    source_forms = {occ.text.lower(), occ.entry.source.lower()}
    for t in forms:
        for m in target_pattern(t).finditer(text):
            # the inflection allowance must not take the untranslated source word ('pandemic' for 'pandemia')
            if m.group(0).lower() not in source_forms or t.lower() in source_forms:
                return m.group(0)
    return None


class Enforcer:
    def __init__(self, engine: TranslationEngine, morphology: Morphology | None = None) -> None:
        self.engine = engine
        self.morphology = morphology or NoMorphology()

    # -- the whole batch ------------------------------------------------------------------------
    def translate(self, texts: list[str], glossary: Glossary | None, source: str, target: str, enforce: bool = True) -> list[Translated]:
        """Translate texts line by line (line breaks and list markers kept), enforcing the glossary."""
        # (text index, prefix, line, occurrences, checks of the UI paths rendered before translation)
        lines: list[tuple[int, str, str, list[Occurrence], list[TermCheck]]] = []
        layout: list[list[int | str]] = []  # per text: line slots (index into `lines`) or literal empty lines
        for ti, text in enumerate(texts):
            slots: list[int | str] = []
            for raw in text.split("\n"):
                m = _LIST_PREFIX.match(raw)
                prefix = m.group(0) if m else ""
                body = raw[len(prefix):]
                if not body.strip():
                    slots.append(raw)
                    continue
                crumbs: list[TermCheck] = []
                if enforce and glossary is not None:
                    body, crumbs = self._render_breadcrumbs(body, glossary, target)
                occ = glossary.find(body) if glossary else []
                if enforce and occ:  # a term inside a link or code is not translated at all
                    guarded = protected_spans(body)
                    occ = [o for o in occ if not any(o.start < b and a < o.end for a, b in guarded)]
                slots.append(len(lines))
                lines.append((ti, prefix, body, occ, crumbs))
            layout.append(slots)
        outputs = self._lines([(body, occ) for _ti, _p, body, occ, _c in lines], source, target, enforce)
        results: list[Translated] = []
        for slots in layout:
            parts, checks = [], []
            for slot in slots:
                if isinstance(slot, str):
                    parts.append(slot)
                    continue
                text, terms = outputs[slot]
                parts.append(lines[slot][1] + text)
                checks.extend(lines[slot][4] + terms)
            results.append(Translated("\n".join(parts), checks))
        return results

    def _render_breadcrumbs(self, body: str, glossary: Glossary, target: str) -> tuple[str, list[TermCheck]]:
        """UI paths rendered label by label before translation (then passed through untouched)."""
        out, at, checks = [], 0, []
        for a, b, labels in breadcrumbs(body):
            rendered = []
            for label in labels:
                occ = glossary.find(label)
                if len(occ) == 1 and occ[0].start == 0 and occ[0].end == len(label):
                    new, status = self._render(occ[0], "", True, target)
                    rendered.append(new)
                    checks.append(TermCheck(occ[0].entry.source, label, _required(occ[0]), occ[0].entry.do_not_translate,
                                            new, "kept" if new == label else "enforced"))
                else:
                    rendered.append(label)  # no approved term: the label as the product shows it
            out += [body[at:a], " > ".join(rendered)]
            at = b
        out.append(body[at:])
        return "".join(out), checks

    def _lines(self, lines: list[tuple[str, list[Occurrence]]], source: str, target: str, enforce: bool) -> list[tuple[str, list[TermCheck]]]:
        if not enforce:
            raw = self.engine.translate([Segment(t, _prompt_terms(o)) for t, o in lines], source, target, marked=False)
            return [(out, [self._check(out, occ, "kept") for occ in o]) for out, (_t, o) in zip(raw, lines)]
        marked = [Segment(_markup(t, o), _prompt_terms(o)) for t, o in lines]
        outs = self.engine.translate(marked, source, target, marked=True)
        results: list[tuple[str, list[TermCheck]]] = []
        retry: list[int] = []
        for i, (out, (text, occ)) in enumerate(zip(outs, lines)):
            final, checks = self._replace(_restore(out, text), occ, target)
            results.append((final, checks))
            if any(c.status == "violated" for c in checks):
                retry.append(i)
        if retry:
            self._placeholder_pass(retry, lines, results, source, target)
        return results

    # -- step 2: replace what is inside the spans -------------------------------------------------
    def _replace(self, out: str, occurrences: list[Occurrence], language: str) -> tuple[str, list[TermCheck]]:
        regions: dict[int, list[int]] = defaultdict(lambda: [10**9, -1])
        for m in _SPAN.finditer(out):
            r = regions[int(m.group(1))]
            r[0], r[1] = min(r[0], m.start()), max(r[1], m.end())
        ordered = sorted((k, s, e) for k, (s, e) in regions.items() if 0 <= k < len(occurrences))
        # regions that interleave (rare: transfer moved one term into another) are not trusted
        bad = {k for (k, s, e) in ordered for (k2, s2, e2) in ordered if k != k2 and s < e2 and s2 < e}
        replaced: dict[int, Status] = {}
        for k, s, e in sorted(((k, s, e) for k, s, e in ordered if k not in bad), key=lambda r: -r[1]):
            occ = occurrences[k]
            s, e = _spilled(out, s, e, occ.text)
            inner = _plain(out[s:e]).strip()
            before = _plain(out[:s])
            at_start = not before.strip() or before.rstrip()[-1:] in ".!?:;¡¿\"«“("
            new, status = self._render(occ, inner, at_start, language)
            head = out[:s]
            if status == "enforced" and not occ.entry.do_not_translate:
                head = self.morphology.agree(head, new)
            out = head + html.escape(new, quote=False) + out[e:]
            replaced[k] = status
        final = " ".join(_plain(out).split())
        return final, [self._check(final, occ, replaced.get(k, "kept")) for k, occ in enumerate(occurrences)]

    def _render(self, occ: Occurrence, engine_text: str, sentence_start: bool, language: str) -> tuple[str, Status]:
        if occ.entry.do_not_translate:
            return occ.text, "kept" if engine_text == occ.text else "enforced"
        written = " ".join(engine_text.split())
        if written.lower() != occ.text.lower():  # an engine that left the source word did not translate it
            for t in occ.entry.targets:  # the engine chose an approved term already: keep its inflection
                if target_pattern(t).fullmatch(written):
                    return written, "kept"
        best = max(occ.entry.targets, key=lambda t: (
            sum(any(target_present(t, n) for n in e.targets) for e in occ.nested if e.targets), _similar(t, engine_text)))
        term = self.morphology.pluralize(best) if occ.plural else best
        return fit_case(term, occ, sentence_start, language), "enforced"

    # -- step 3: what the spans lost ----------------------------------------------------------------
    def _placeholder_pass(self, retry: list[int], lines: list[tuple[str, list[Occurrence]]],
                          results: list[tuple[str, list[TermCheck]]], source: str, target: str) -> None:
        """Terms whose span the engine dropped: translate the line again with each of them as an
        opaque placeholder the engine passes through, then put the approved term in its place."""
        segs = []
        for i in retry:
            text, occ = lines[i]
            violated = {k for k, c in enumerate(results[i][1]) if c.status == "violated"}
            segs.append(Segment(_markup(text, occ, placeholders=violated), _prompt_terms(occ)))
        outs = self.engine.translate(segs, source, target, marked=True)
        for i, out in zip(retry, outs):
            text, occ = lines[i]
            first_pass = results[i]
            out = _restore(out, text)
            for k, o in enumerate(occ):
                token = _PLACEHOLDER.format(k)
                m = re.search(f'<span id="t{k}">[^<]*?({token})', out)  # the token in its span, not one the text had
                if m is None:
                    continue
                at = m.start(1)
                before = _plain(out[:at])
                at_start = not before.strip() or before.rstrip()[-1:] in ".!?:;¡¿\"«“("
                new, _ = self._render(o, "", at_start, target)
                head = self.morphology.agree(out[:at], new)
                out = head + html.escape(new, quote=False) + out[at + len(token):]
            final, checks = self._replace(out, occ, target)
            if sum(c.ok for c in checks) > sum(c.ok for c in first_pass[1]):
                # a term right only now was repaired by this pass
                results[i] = (final, [replace(c, status="repaired") if c.ok and not was.ok else c
                                      for c, was in zip(checks, first_pass[1])])
        self._revise(retry, lines, results, source, target)

    def _revise(self, retry: list[int], lines: list[tuple[str, list[Occurrence]]],
                results: list[tuple[str, list[TermCheck]]], source: str, target: str) -> None:
        for i in retry:
            text, occ = lines[i]
            out, checks = results[i]
            missing = [Violation(c.found, c.required, out) for c in checks if not c.ok]
            if not missing:
                continue
            revised = self.engine.revise(text, out, missing, source, target)
            if not revised:
                continue
            # every term is checked again in the revision: a fix must not cost a term that was right
            new_checks = [self._check(revised, o, c.status if c.ok else "repaired") for o, c in zip(occ, checks)]
            if sum(c.ok for c in new_checks) > sum(c.ok for c in checks):
                results[i] = (revised, new_checks)

    def _check(self, text: str, occ: Occurrence, status: Status) -> TermCheck:
        return check_term(text, occ, status, self.morphology)


def check_term(text: str, occ: Occurrence, status: Status, morphology: Morphology | None = None) -> TermCheck:
    """One term's line of the compliance report: `status` when the output complies, else violated."""
    found = _complies(text, occ, morphology)
    return TermCheck(occ.entry.source, occ.text, _required(occ), occ.entry.do_not_translate, found,
                     status if found else "violated")


def _spilled(out: str, s: int, e: int, term: str) -> tuple[int, int]:
    """The span's region widened over the part of the term the engine left just outside it. Apertium
    splits "C++" into the word "C" and the punctuation "++", and keeps only the word in the span
    (`<span id="t0">C</span>++`): replacing the span alone would write "C++++"."""
    inner = _plain(out[s:e]).strip()
    if not inner or inner == term:
        return s, e
    if term.startswith(inner):
        rest = html.escape(term[len(inner):], quote=False)
        if out.startswith(rest, e):
            e += len(rest)
    elif term.endswith(inner):
        rest = html.escape(term[: len(term) - len(inner)], quote=False)
        if out.endswith(rest, 0, s):
            s -= len(rest)
    return s, e


def _markup(text: str, occurrences: list[Occurrence], placeholders: set[int] = frozenset()) -> str:  # type: ignore[assignment]
    """The source as HTML for the engine: glossary terms in `<span id="tK">` (or their placeholder),
    protected text (links, e-mail addresses, code) as an opaque token in `<span id="pJ">`, everything
    else escaped."""
    pieces: list[tuple[int, int, str]] = []
    for k, o in enumerate(occurrences):
        inner = _PLACEHOLDER.format(k) if k in placeholders else html.escape(o.text, quote=False)
        pieces.append((o.start, o.end, f'<span id="t{k}">{inner}</span>'))
    for j, (a, b) in enumerate(protected_spans(text)):
        if not any(a < e and s < b for s, e, _ in pieces[: len(occurrences)]):
            pieces.append((a, b, f'<span id="p{j}">{_protected_token(j)}</span>'))
    out, at = [], 0
    for a, b, piece in sorted(pieces):
        out.append(html.escape(text[at:a], quote=False))
        out.append(piece)
        at = b
    out.append(html.escape(text[at:], quote=False))
    return "".join(out)


def _prompt_terms(occurrences: list[Occurrence]) -> list[tuple[str, str]]:
    return [(o.text, o.entry.targets[0] if o.entry.targets else o.text) for o in occurrences]


def compliance(text: str, output: str, glossary: Glossary, morphology: Morphology | None = None) -> list[TermCheck]:
    """The report for an output made without enforcement (or by anyone): which terms comply."""
    return [check_term(output, occ, "kept", morphology) for occ in glossary.find(text)]


__all__ = ["Enforcer", "TermCheck", "Translated", "compliance", "fit_case", "target_present"]
