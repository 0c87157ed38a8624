"""Glossary-enforced translation: POST /v1/translate, glossaries under /v1/glossaries (admin), and
tickets translated for agents (POST /v1/tickets/{id}/translation), the original kept beside it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Response

from kb_service.api.deps import KBDep, require
from kb_service.api.schemas import (
    ComplianceOut, GlossaryConflictOut, GlossaryCreateIn, GlossaryId, GlossaryIn, GlossaryOut, GlossarySummary, GlossaryTermOut,
    TermCheckOut, TicketId, TicketTextOut, TicketTranslateIn, TicketTranslationOut, TranslateIn, TranslateOut,
)
from kb_service.knowledge import KnowledgeBase
from kb_service.storage.glossaries import GlossaryExists
from kb_service.languages import normalize
from kb_service.translation.engines import TranslationUnavailable
from kb_service.translation.enforce import TermCheck
from kb_service.translation.glossary import Entry, Glossary, GlossaryError, check_entry, parse_csv
from kb_service.translation.service import GlossaryMismatch, NoEngine, TranslationResult, Translator

router = APIRouter(tags=["translation"])
MAX_CSV_BYTES = 2 * 1024 * 1024


def compliance_report(terms: list[TermCheck], glossaries: list[str], enforced: bool) -> ComplianceOut:
    return ComplianceOut(
        glossaries=glossaries, enforced=enforced, terms=[TermCheckOut(**vars(t)) for t in terms],
        violations=sum(not t.ok for t in terms), compliant=all(t.ok for t in terms),
    )


def compliance_out(results: list[TranslationResult]) -> ComplianceOut:
    """One report for texts translated together (same engine, pair and glossary)."""
    first = results[0] if results else None
    return compliance_report([t for r in results for t in r.terms], first.glossaries if first else [],
                             bool(first and first.enforced))


def run_translation(translator: Translator, texts: list[str], target: str, source: str | None,
                    glossary: str | None = None, enforce: bool = True) -> list[TranslationResult]:
    """Translate, with the service's errors: 404 unknown glossary, 422 no engine for the pair or a
    glossary of another pair, 503 when the engine fails."""
    try:
        return translator.translate(texts, target, source, glossary, enforce)
    except KeyError:
        raise HTTPException(404, f"no glossary {glossary!r}; list them with GET /v1/glossaries") from None
    except GlossaryMismatch as exc:
        raise HTTPException(422, str(exc)) from exc
    except NoEngine as exc:
        raise HTTPException(422, str(exc)) from exc
    except TranslationUnavailable as exc:
        raise HTTPException(503, f"translation failed: {exc}") from exc


def mask_personal_data(text: str, spans: list[tuple[int, int, str]]) -> tuple[str, list[str]]:
    """`text` with each span replaced by an opaque token (ZXN0NXZ, ZXN1NXZ, ...), and what they held."""
    out, kept, at = [], [], 0
    for a, b, _ in spans:
        out += [text[at:a], f"ZXN{len(kept)}NXZ"]
        kept.append(text[a:b])
        at = b
    out.append(text[at:])
    return "".join(out), kept


def unmask_personal_data(text: str, kept: list[str]) -> str:
    for i, value in enumerate(kept):
        text = text.replace(f"ZXN{i}NXZ", value)
    return text


@router.post("/v1/translate", response_model=TranslateOut, dependencies=[Depends(require("translate"))])
def translate(body: TranslateIn, kb: KBDep) -> TranslateOut:
    """Translate text with the best engine for the pair, enforcing the glossary, with a compliance
    report of every glossary term found in the source."""
    # Personal data never goes to an engine: each stretch of it (found with the whole text as context,
    # so a signature's name too) travels as an opaque token and is put back in the translation.
    text, kept = mask_personal_data(body.text, kb.redactor.spans(body.text))
    (r,) = run_translation(kb.translator, [text], body.target_language, body.source_language, body.glossary, body.enforce)
    return TranslateOut(translation=unmask_personal_data(r.text, kept), source_language=r.source_language,
                        target_language=r.target_language,
                        engine=r.engine, compliance=compliance_out([r]))


@router.post("/v1/tickets/{ticket_id}/translation", response_model=TicketTranslationOut, dependencies=[Depends(require("tickets"))])
def translate_ticket(ticket_id: TicketId, body: TicketTranslateIn, kb: KBDep) -> TicketTranslationOut:
    """A stored ticket in the agent's language, its original beside it (nothing stored changes)."""
    rec = kb.triage.store.get(ticket_id)
    if rec is None:
        raise HTTPException(404, f"no ticket {ticket_id!r}")
    source = rec.language or kb.translator.detect(rec.text)
    texts = [rec.subject, rec.body] if rec.subject else [rec.body]
    results = run_translation(kb.translator, texts, body.target_language, source, body.glossary)
    subject = results[0].text if rec.subject else ""
    return TicketTranslationOut(
        ticket_id=rec.id, original=TicketTextOut(subject=rec.subject, body=rec.body, language=source),
        translated=TicketTextOut(subject=subject, body=results[-1].text, language=results[0].target_language),
        engine=results[0].engine, compliance=compliance_out(results),
    )


# --- glossaries ---------------------------------------------------------------------------------
def _summary(g: Glossary) -> GlossarySummary:
    return GlossarySummary(id=g.id, name=g.name, source_language=g.source_language, target_language=g.target_language,
                           terms=len(g.entries), updated_at=g.updated_at)


def _full(g: Glossary) -> GlossaryOut:
    return GlossaryOut(**_summary(g).model_dump(), entries=[
        GlossaryTermOut(source=e.source, targets=list(e.targets), do_not_translate=e.do_not_translate) for e in g.entries],
        conflicts=[GlossaryConflictOut(term=a.source, targets=list(a.targets), contains=b.source, contains_targets=list(b.targets))
                   for a, b in g.conflicts()])


def _entries(body: GlossaryIn) -> list[Entry]:
    try:
        return [check_entry(t.source, t.targets, f"terms[{i}]") for i, t in enumerate(body.terms)]
    except GlossaryError as exc:
        raise HTTPException(422, str(exc)) from exc


def _get(kb: KnowledgeBase, glossary_id: str) -> Glossary:
    g = kb.glossaries.get(glossary_id)
    if g is None:
        raise HTTPException(404, f"no glossary {glossary_id!r}")
    return g


@router.get("/v1/glossaries", response_model=list[GlossarySummary], dependencies=[Depends(require("admin"))])
def list_glossaries(kb: KBDep) -> list[GlossarySummary]:
    return [_summary(g) for g in kb.glossaries.list()]


@router.post("/v1/glossaries", response_model=GlossaryOut, status_code=201, dependencies=[Depends(require("admin"))])
def create_glossary(body: GlossaryCreateIn, kb: KBDep) -> GlossaryOut:
    g = Glossary(body.id, body.name, body.source_language, body.target_language, _entries(body))
    try:
        return _full(kb.glossaries.put(g, create=True))
    except GlossaryExists:
        raise HTTPException(409, f"glossary {body.id!r} exists; replace it with PUT /v1/glossaries/{body.id}") from None


@router.get("/v1/glossaries/{glossary_id}", response_model=GlossaryOut, dependencies=[Depends(require("admin"))])
def get_glossary(glossary_id: GlossaryId, kb: KBDep) -> GlossaryOut:
    return _full(_get(kb, glossary_id))


@router.put("/v1/glossaries/{glossary_id}", response_model=GlossaryOut, dependencies=[Depends(require("admin"))])
def replace_glossary(glossary_id: GlossaryId, body: GlossaryIn, kb: KBDep) -> GlossaryOut:
    """Create or replace a glossary with exactly these terms."""
    g = Glossary(glossary_id, body.name, body.source_language, body.target_language, _entries(body))
    return _full(kb.glossaries.put(g))


@router.delete("/v1/glossaries/{glossary_id}", status_code=204, dependencies=[Depends(require("admin"))])
def delete_glossary(glossary_id: GlossaryId, kb: KBDep) -> Response:
    if not kb.glossaries.delete(glossary_id):
        raise HTTPException(404, f"no glossary {glossary_id!r}")
    return Response(status_code=204)


@router.get("/v1/glossaries/{glossary_id}/csv", response_class=Response, dependencies=[Depends(require("admin"))],
            responses={200: {"content": {"text/csv": {}}}})
def export_glossary(glossary_id: GlossaryId, kb: KBDep) -> Response:
    """The glossary as `source_term,target_term` CSV (an empty target = do not translate)."""
    g = _get(kb, glossary_id)
    return Response(g.to_csv(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{g.id}.csv"'})


@router.put("/v1/glossaries/{glossary_id}/csv", response_model=GlossaryOut, dependencies=[Depends(require("admin"))])
def import_glossary(
    glossary_id: GlossaryId,
    kb: KBDep,
    csv_text: Annotated[str, Body(media_type="text/csv", description="source_term,target_term rows with a header.")],
    mode: Annotated[str, Query(pattern="^(replace|merge)$", description="replace the terms, or merge into them")] = "replace",
    name: Annotated[str | None, Query(max_length=200)] = None,
    source_language: Annotated[str | None, Query(max_length=20)] = None,
    target_language: Annotated[str | None, Query(max_length=20)] = None,
) -> GlossaryOut:
    """Import CSV: into an existing glossary, or a new one (then target_language is required). A file
    with any bad row changes nothing and names the line."""
    if len(csv_text.encode("utf-8")) > MAX_CSV_BYTES:
        raise HTTPException(413, f"the CSV file is larger than {MAX_CSV_BYTES // 1024 // 1024} MB")
    try:
        entries = parse_csv(csv_text)
    except GlossaryError as exc:
        raise HTTPException(422, f"CSV: {exc}") from exc
    old = kb.glossaries.get(glossary_id)
    if old is None and not target_language:
        raise HTTPException(422, "a new glossary needs ?target_language= (and optionally source_language, name)")
    src = normalize(source_language) if source_language else (old.source_language if old else "en")
    tgt = normalize(target_language) if target_language else old.target_language  # type: ignore[union-attr]
    if mode == "merge" and old is not None:
        entries = [*old.entries, *entries]
    g = Glossary(glossary_id, name or (old.name if old else glossary_id), src, tgt, entries)
    return _full(kb.glossaries.put(g))


def into_language(translator: Translator, texts: list[str], source: str | None, target: str | None) -> tuple[list[str], list[TranslationResult], str | None]:
    """Texts for a customer who wrote in `target`: translated (glossary-enforced) when an engine covers
    the pair, else unchanged with a note saying why. Never fails the caller's request."""
    if not source or not target or source.split("-")[0] == target.split("-")[0]:
        return texts, [], None
    if not translator.covers(source, target):
        return texts, [], (f"no translation engine covers {source}->{target}; the answer is in the article's "
                           f"language ({source})")
    try:
        results = translator.translate(texts, target, source)
    except TranslationUnavailable as exc:
        return texts, [], f"translation into {target} failed ({exc}); the answer is in the article's language ({source})"
    return [r.text for r in results], results, None
