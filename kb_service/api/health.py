"""Liveness and readiness: no key needed."""

from fastapi import APIRouter, Depends

from kb_service import __version__, languages
from kb_service.api.deps import KBDep, require
from kb_service.api.schemas import HealthOut, LanguagesOut

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut)
def health(kb: KBDep) -> HealthOut:
    return HealthOut(
        status="ok",
        ready=True,
        model=kb.embedder.model_name,
        dim=kb.embedder.dim,
        index={
            "chunks": kb.index.count(),
            "articles": kb.store.count("article"),
            "tickets": kb.store.count("ticket"),
        },
        version=__version__,
    )


@router.get("/v1/languages", response_model=LanguagesOut, tags=["languages"], dependencies=[Depends(require("languages"))])
def supported_languages(kb: KBDep) -> LanguagesOut:
    """The supported languages as BCP 47 codes with their English names, and the language pairs the
    available translation engines cover (answers come in the question's language for those)."""
    pairs = {name: [f"{s}->{t}" for s, t in p] for name, p in kb.translator.pairs().items()}
    return LanguagesOut(languages=dict(languages.SUPPORTED), translation=pairs)
