"""Triage: classify a ticket, decide whether to escalate it, and learn from labelled history.

One `Triage` per knowledge base. It reads the labelled history from two places: resolved
tickets in the knowledge base (ingested files and tickets resolved through the API) and ticket
records an agent labelled (`TicketStore`). Training (`train()`, `kb train`, after every ingest)
fits one `TextClassifier` per field on the e5 query vectors of those tickets and keeps it in
`<data_dir>/triage/model.pkl`. An agent's correction is kept with the ticket's vector and
decides the label of any new ticket close enough to it at once, before the next training.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import numpy as np

from ingest.documents import ticket_text
from kb_service.retrieval.search import SearchFilters
from kb_service.storage.tickets import Correction, Customer, TicketRecord, TicketStore
from kb_service.triage import escalation as esc
from kb_service.triage.classifier import MAX_TOKENS, TextClassifier, embed_tickets
from kb_service.triage.results import (
    ArticleMatch, Classification, EscalationResult, FieldResult, LanguageResult, NeedsInfo,
    NeighbourEvidence, SecondaryIssue, Sentiment, SignalEvidence,
)
from kb_service.triage.signals import SignalDetector, split_sentences
from kb_service.triage.taxonomy import FIELDS, Taxonomy

if TYPE_CHECKING:
    from kb_service.knowledge import KnowledgeBase

log = logging.getLogger(__name__)
MODEL_FORMAT = 2  # bump when the pickled model's shape changes
NEIGHBOURS = 3
SECONDARY_MIN_PROBA = 0.6  # a sentence's own category probability to count as a second issue
SECONDARY_MIN_WORDS = 4
NEEDS_INFO_MIN_WORDS = 6
# Sentences read for signals and second issues: the first five and the last three, 64 tokens each.
# Embedding every sentence of a long e-mail cost 85 ms median, 160 ms p95 on 2 cores (16 sentences).
SENTENCES_HEAD, SENTENCES_TAIL, SENTENCE_TOKENS = 5, 3, 64
# detail that lets an agent diagnose: digits, quoted text, file names, versions, codes
_DETAIL = re.compile(r"\d|[\"“„«»‚‘].{3,}?[\"”“»«’]|\w+[._/\\-]\w+[._/\\-]?\w*|\b[A-Z]{2,}[-_ ]?\d|\b[A-Z][a-z]+[A-Z]\w*")
# scripts written without spaces between words: two characters count as one word
_NO_SPACE_SCRIPT = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W\d_]+")


@dataclass
class TicketInput:
    subject: str
    body: str
    channel: str | None = None
    customer_id: str | None = None
    created: datetime | None = None
    language: str | None = None
    ticket_id: str | None = None  # when the ticket is stored: excluded from its own history

    @property
    def text(self) -> str:
        return f"{self.subject}\n\n{self.body}".strip()


@dataclass
class Example:
    id: str
    text: str
    labels: dict[str, str]


@dataclass
class FieldModel:
    classifier: TextClassifier
    vectors: np.ndarray  # training vectors, for the nearest labelled tickets shown as evidence
    labels: list[str]
    ids: list[str]


@dataclass
class TriageModel:
    fingerprint: str
    fields: dict[str, FieldModel] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)  # label values the taxonomy does not know
    format: int = MODEL_FORMAT


@dataclass
class TrainReport:
    examples: int
    per_field: dict[str, int]
    skipped: dict[str, int]
    embedded: int
    seconds: float
    retrained: bool


def _fingerprint(examples: list[Example], taxonomy: Taxonomy) -> str:
    h = hashlib.sha256(f"{MODEL_FORMAT}|{taxonomy.model_dump_json()}".encode())
    for e in examples:
        h.update(f"\x1e{e.id}\x1f{e.text}\x1f{sorted(e.labels.items())}".encode("utf-8"))
    return h.hexdigest()


def _aware(dt: datetime) -> datetime:
    """Aware and in UTC: stored times are UTC ISO strings, compared as strings."""
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


class Triage:
    def __init__(self, kb: "KnowledgeBase", taxonomy: Taxonomy | None = None, store: TicketStore | None = None) -> None:
        settings = kb.settings
        self.kb = kb
        self.settings = settings
        self.taxonomy = taxonomy or kb.taxonomy
        self.store = store or TicketStore(settings.tickets_db_path)
        self.cached = kb.cached_embedder  # shared: ticket vectors embedded for training serve the clusters too
        self.signals = SignalDetector(self.cached)
        self._model: TriageModel | None = None
        self._model_lock = threading.Lock()
        self._train_lock = threading.Lock()
        self._corrections: list[Correction] = self.store.corrections()
        self._corrections_lock = threading.Lock()
        self._sub_vectors: dict[str, np.ndarray] | None = None  # taxonomy descriptions, for fields nobody labelled
        self.ticket_writes = threading.Lock()  # ticket record read-modify-writes (API), one at a time
        self._worker: threading.Thread | None = None
        self._worker_lock = threading.Lock()
        self._dirty = False
        self._load_model()

    def close(self) -> None:
        self.wait_for_training()
        self.store.close()

    # --- the labelled history ------------------------------------------------
    def examples(self) -> list[Example]:
        """Every labelled ticket: resolved tickets in the knowledge base, then agents' records over them."""
        out: dict[str, Example] = {}
        for stored in self.kb.store.iter_all(kind="ticket"):
            d = stored.doc
            labels = {
                "category": d.category, "subcategory": d.extra.get("subcategory"),
                "priority": d.priority, "team": d.queue,
            }
            tid = d.source_id.removeprefix("ticket:")
            out[tid] = Example(tid, ticket_text(d), {k: v for k, v in labels.items() if v})
        for rec, _ in self.store.labelled():
            prior = out.get(rec.id)
            labels = {**(prior.labels if prior else {}), **rec.labels}
            out[rec.id] = Example(rec.id, rec.text, labels)
        return [out[k] for k in sorted(out)]

    def _valid(self, fieldname: str, value: str) -> bool:
        return value in self.taxonomy.labels(fieldname)

    # --- training -------------------------------------------------------------
    def _load_model(self) -> None:
        path = self.settings.triage_model_path
        if not path.is_file():
            return
        try:
            with path.open("rb") as f:
                model = pickle.load(f)
            if getattr(model, "format", None) == MODEL_FORMAT and self._fits_taxonomy(model):
                self._model = model
        except Exception as exc:  # a model from another version: train again
            log.warning("cannot read the triage model %s (%s); it will be trained again", path, exc)

    def _fits_taxonomy(self, model: TriageModel) -> bool:
        """A model saved under another taxonomy may predict labels that no longer exist: train again."""
        for fname, fm in model.fields.items():
            if any(not self._valid(fname, c) for c in fm.classifier.classes):
                log.warning("the triage model predates a taxonomy change (%s); it will be trained again", fname)
                return False
        return True

    def _save_model(self, model: TriageModel) -> None:
        path = self.settings.triage_model_path
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(model, f)
        tmp.replace(path)

    def train(self, force: bool = False) -> TrainReport:
        """Fit a classifier per field on the labelled history; nothing to do when it has not changed."""
        start = time.perf_counter()
        with self._train_lock:
            examples = self.examples()
            fp = _fingerprint(examples, self.taxonomy)
            current = self._model
            if current is not None and current.fingerprint == fp and not force:
                return TrainReport(len(examples), {f: len(m.labels) for f, m in current.fields.items()},
                                   current.skipped, 0, time.perf_counter() - start, False)
            before = self.cached.misses
            vectors = embed_tickets(self.cached, [e.text for e in examples])
            model = TriageModel(fingerprint=fp)
            for fname in FIELDS:
                rows, labels = [], []
                for i, e in enumerate(examples):
                    value = e.labels.get(fname)
                    if value is None:
                        continue
                    if not self._valid(fname, value):
                        model.skipped[f"{fname}={value}"] = model.skipped.get(f"{fname}={value}", 0) + 1
                        continue
                    rows.append(i)
                    labels.append(value)
                if len(set(labels)) < 2:
                    continue
                x = vectors[rows]
                clf = TextClassifier().fit([examples[i].text for i in rows], x, labels)
                model.fields[fname] = FieldModel(clf, np.ascontiguousarray(x, dtype=np.float32), labels,
                                                 [examples[i].id for i in rows])
            self._save_model(model)
            with self._model_lock:
                self._model = model
            return TrainReport(
                len(examples), {f: len(m.labels) for f, m in model.fields.items()}, model.skipped,
                self.cached.misses - before, time.perf_counter() - start, True,
            )

    def retrain_in_background(self) -> None:
        """After a write (ingest, a resolved or relabelled ticket): train again without blocking the caller.
        Requests that arrive while a training runs are folded into one more training after it; the
        current model keeps answering until the new one is ready."""
        with self._worker_lock:
            self._dirty = True
            if self._worker is not None and self._worker.is_alive():
                return
            self._worker = threading.Thread(target=self._retrain_loop, name="triage-train", daemon=True)
            self._worker.start()

    def _retrain_loop(self) -> None:
        while True:
            with self._worker_lock:
                if not self._dirty:
                    self._worker = None
                    return
                self._dirty = False
            try:
                self.train()
            except Exception:  # logged, never raised into a request
                log.exception("triage training failed")

    def wait_for_training(self, timeout: float = 60.0) -> None:
        """Block until a background training has finished (tests, `kb train` through the service)."""
        with self._worker_lock:
            worker = self._worker
        if worker is not None:
            worker.join(timeout)

    def model(self) -> TriageModel:
        with self._model_lock:
            model = self._model
        if model is None:
            self.train()
            with self._model_lock:
                model = self._model
        assert model is not None
        return model

    # --- corrections ----------------------------------------------------------
    def correct(self, fieldname: str, label: str, ticket: TicketRecord | None, text: str | None,
                agent: str | None = None, previous: str | None = None) -> Correction:
        """Record an agent's correction; it decides the label of similar tickets from the next request on."""
        self.taxonomy.check(fieldname, label)
        vector = None
        if ticket is not None:
            text = ticket.text
            vector = self.store.vector(ticket.id)
            self._keep_pair(ticket.labels, fieldname, label)
        else:
            assert text
            text = self.kb.redactor.redact(text)
        if vector is None:
            vector = self.kb.embedder.embed_queries([text], max_tokens=MAX_TOKENS)[0]
        cid = self.store.add_correction(fieldname, label, previous, text, vector, ticket, agent)
        corr = Correction(cid, ticket.id if ticket else None, fieldname, label, previous, text, vector, agent, "")
        with self._corrections_lock:
            self._corrections.append(corr)
        return corr

    def _keep_pair(self, labels: dict[str, str], fieldname: str, label: str) -> None:
        """After a correction, category and subcategory still belong together: a subcategory names its
        category; a new category drops a subcategory of another."""
        owner = self.taxonomy.all_subcategories
        if fieldname == "subcategory" and labels.get("category") not in (None, owner[label]):
            labels["category"] = owner[label]
        elif fieldname == "category" and labels.get("subcategory") and owner.get(labels["subcategory"]) != label:
            labels.pop("subcategory")

    def _correction_for(self, fieldname: str, vector: np.ndarray) -> tuple[Correction, float] | None:
        with self._corrections_lock:
            mine = [c for c in self._corrections if c.field == fieldname and self._valid(fieldname, c.label)]
        if not mine:
            return None
        sims = np.stack([c.vector for c in mine]) @ vector
        # the latest correction wins among equally close ones
        order = sorted(range(len(mine)), key=lambda i: (-round(float(sims[i]), 4), -mine[i].id))
        best = order[0]
        if sims[best] >= self.settings.triage_correction_similarity:
            return mine[best], float(sims[best])
        return None

    # --- classification -------------------------------------------------------
    def embed(self, ticket: TicketInput) -> tuple[str, list[str], np.ndarray, np.ndarray]:
        """The redacted text, the sentences read for signals, the ticket vector and the sentence vectors."""
        text = self.kb.redactor.redact(ticket.text)
        sentences = split_sentences(text, limit=1000)
        if len(sentences) > SENTENCES_HEAD + SENTENCES_TAIL:  # the opening says what, the close threatens
            sentences = sentences[:SENTENCES_HEAD] + sentences[-SENTENCES_TAIL:]
        # two calls: in one batch the short sentences would be padded to the whole ticket's length
        vector = self.kb.embedder.embed_queries([text], max_tokens=MAX_TOKENS)[0]
        sent_vecs = (self.kb.embedder.embed_queries(sentences, batch_size=16, max_tokens=SENTENCE_TOKENS) if sentences
                     else np.zeros((0, len(vector)), np.float32))
        return text, sentences, vector, sent_vecs

    def _neighbours(self, fm: FieldModel, vector: np.ndarray) -> list[NeighbourEvidence]:
        sims = fm.vectors @ vector
        top = np.argsort(-sims)[:NEIGHBOURS]
        return [NeighbourEvidence(ticket_id=fm.ids[i], label=fm.labels[i], similarity=round(float(sims[i]), 4)) for i in top]

    def _field(self, model: TriageModel, fieldname: str, text: str, vector: np.ndarray,
               allowed: list[str] | None = None) -> FieldResult | None:
        fm = model.fields.get(fieldname)
        corr = self._correction_for(fieldname, vector)
        if fm is None and corr is None:
            return None
        neighbours = self._neighbours(fm, vector) if fm is not None else []
        alternatives: dict[str, float] = {}
        value, confidence = None, 0.0
        if fm is not None:
            pred = fm.classifier.predict([text], vector[None, :])
            proba = pred.proba[0]
            classes = pred.classes
            if allowed is not None:
                mask = np.array([c in allowed for c in classes])
                if mask.any():
                    proba = np.where(mask, proba, 0.0)
                    proba = proba / proba.sum() if proba.sum() > 0 else proba
            order = np.argsort(-proba)
            value, confidence = classes[order[0]], float(proba[order[0]])
            alternatives = {classes[i]: round(float(proba[i]), 4) for i in order[1:3] if proba[i] > 0}
            if allowed is not None and value not in allowed:
                value = None
        if corr is not None and (allowed is None or corr[0].label in allowed):
            c, sim = corr
            who = f"ticket {c.ticket_id}" if c.ticket_id else "a ticket"
            rule = f"an agent corrected {who} (similarity {sim:.3f}) to {fieldname}={c.label}"
            if value is not None and value != c.label:
                alternatives = {value: round(confidence, 4), **{k: v for k, v in alternatives.items() if k != c.label}}
            return FieldResult(value=c.label, confidence=round(min(1.0, sim), 4), alternatives=alternatives,
                               source="correction", neighbours=neighbours, rules=[rule])
        if value is None:
            return None
        return FieldResult(value=value, confidence=round(confidence, 4), alternatives=alternatives,
                           source="model", neighbours=neighbours)

    def _subcategory_from_taxonomy(self, category: str, vector: np.ndarray) -> FieldResult | None:
        subs = self.taxonomy.categories[category].subcategories
        if not subs:
            return None
        if self._sub_vectors is None:  # every subcategory's description, embedded once
            descs = {n: f"{n.replace('_', ' ')}: {self.taxonomy.categories[cat].subcategories[n]}"
                     for n, cat in self.taxonomy.all_subcategories.items()}
            self._sub_vectors = dict(zip(descs, self.cached.embed_queries(list(descs.values()))))
        sims = np.array([self._sub_vectors[s] for s in subs]) @ vector
        p = np.exp((sims - sims.max()) / 0.01)
        p /= p.sum()
        order = np.argsort(-p)
        sub_names = list(subs)
        return FieldResult(
            value=sub_names[order[0]], confidence=round(float(p[order[0]]), 4),
            alternatives={sub_names[i]: round(float(p[i]), 4) for i in order[1:3]}, source="taxonomy",
            rules=[f"closest taxonomy description within {category} (similarity {float(sims[order[0]]):.3f}); "
                   "no labelled tickets name subcategories yet"],
        )

    def classify(self, ticket: TicketInput, *, tier: str | None = None) -> Classification:
        return self._classify(ticket, tier)[0]

    def _classify(self, ticket: TicketInput, tier: str | None) -> tuple[Classification, np.ndarray]:
        start = time.perf_counter()
        model = self.model()
        text, sentences, vector, sent_vecs = self.embed(ticket)
        probs = self.signals.probabilities(sent_vecs)  # once: signals and sentiment both read them
        signals = self.signals.detect(sentences, sent_vecs, probs)
        fired = {s.signal: s for s in signals}

        category = self._field(model, "category", text, vector)
        if category is None:
            first = next(iter(self.taxonomy.categories))
            category = FieldResult(value=first, confidence=0.0, source="default",
                                   rules=["no labelled tickets name categories yet"])
        subs = list(self.taxonomy.categories[category.value].subcategories)
        subcategory = self._field(model, "subcategory", text, vector, allowed=subs) if subs else None
        if subcategory is None and subs:
            subcategory = self._subcategory_from_taxonomy(category.value, vector)

        priority = self._field(model, "priority", text, vector) or FieldResult(
            value="P3", confidence=0.0, source="default", rules=["no labelled tickets name priorities yet: P3"])
        if "outage" in fired and priority.value != "P1":
            ev = fired["outage"]
            priority = priority.model_copy(update={
                "value": "P1", "source": "rule", "confidence": 1.0,
                "alternatives": {priority.value: priority.confidence},
                "rules": priority.rules + [f"outage language ({ev.sentence!r}) -> P1: {self.taxonomy.priorities['P1'].description}"],
            })

        facts = {"category": category.value, "subcategory": subcategory.value if subcategory else None,
                 "tier": tier, "channel": ticket.channel, "language": None}
        language = self._language(text, ticket.language)
        facts["language"] = language.value
        team = self._team(model, text, vector, facts)

        needs_triage, reason = False, None
        if (category.confidence < self.taxonomy.min_confidence and category.source != "correction"
                and team.source != "correction"):
            needs_triage = True
            reason = (f"category confidence {category.confidence:.2f} is below {self.taxonomy.min_confidence:.2f}: "
                      f"routed to {self.taxonomy.triage_team} instead of guessing")
            team = FieldResult(value=self.taxonomy.triage_team, confidence=round(1 - category.confidence, 4),
                               source="rule", alternatives={team.value: team.confidence}, rules=[reason])

        needs_info = self._needs_info(text, signals)
        return Classification(
            category=category,
            subcategory=subcategory,
            priority=priority,
            team=team,
            sentiment=self._sentiment(probs, signals),
            language=language,
            kb_resolvable=self._kb_match(text, vector, language.value, needs_info),
            needs_more_info=needs_info,
            secondary=self._secondary(model, category.value, sentences, sent_vecs),
            signals=signals,
            needs_human_triage=needs_triage,
            triage_reason=reason,
            model={f: len(m.labels) for f, m in model.fields.items()},
            took_ms=round((time.perf_counter() - start) * 1000, 1),
        ), vector

    def _language(self, text: str, given: str | None) -> LanguageResult:
        if given:
            return LanguageResult(value=given, confidence=1.0)
        det = self.kb.detector.detect(text)
        return LanguageResult(value=det.language, confidence=round(float(det.confidence), 4))

    def _team(self, model: TriageModel, text: str, vector: np.ndarray, facts: dict[str, str | None]) -> FieldResult:
        learned = self._field(model, "team", text, vector)
        if learned is not None and learned.source == "correction":
            return learned
        rule = self.taxonomy.matching_rule(facts)
        if rule is not None:
            return FieldResult(value=rule.team, confidence=1.0, source="rule", rules=[rule.describe()])
        if learned is not None:
            return learned
        team, why = self.taxonomy.route(facts)
        return FieldResult(value=team, confidence=1.0, source="rule", rules=[why])

    def _sentiment(self, probs: np.ndarray, signals: list[SignalEvidence]) -> Sentiment:
        if not len(probs):
            return Sentiment(label="neutral", score=0.0, confidence=0.5)
        neg = self.signals.strength(probs, "angry")
        pos = self.signals.strength(probs, "positive")
        score = round(pos - neg, 4)  # the strongest praising sentence against the angriest one
        label = "negative" if score <= -0.25 else "positive" if score >= 0.25 else "neutral"
        evidence = [s for s in signals if s.signal in ("angry", "positive")]
        confidence = abs(score) if label != "neutral" else 1 - abs(score)
        return Sentiment(label=label, score=max(-1.0, min(1.0, score)), confidence=round(confidence, 4), evidence=evidence)

    def _kb_match(self, text: str, vector: np.ndarray, language: str | None, needs_info: NeedsInfo) -> ArticleMatch:
        """The best article, and whether it resolves the ticket: a score at or above the threshold, and a
        ticket that says what is wrong (a vague one matches some article by accident)."""
        threshold = self.settings.triage_resolvable_score
        res = self.kb.searcher.search(text, 1, SearchFilters(source="article"), language, vector=vector)
        if not res.hits:
            return ArticleMatch(value=False, confidence=1.0, threshold=threshold)
        h = res.hits[0]
        full = max(threshold + 1e-6, self.settings.answer_full_confidence_score)
        value = h.score >= threshold and not needs_info.value
        if value:
            conf = 0.5 + 0.5 * min(1.0, (h.score - threshold) / (full - threshold))
        elif needs_info.value:
            conf = needs_info.confidence
        else:
            conf = 0.5 + 0.5 * min(1.0, (threshold - h.score) / 0.05)
        return ArticleMatch(
            value=value, confidence=round(conf, 4), article_id=h.source_id.removeprefix("article:"),
            title=h.title, url=h.url, score=round(h.score, 4), threshold=threshold,
        )

    def _needs_info(self, text: str, signals: list[SignalEvidence]) -> NeedsInfo:
        reasons: list[str] = []
        content = " ".join(split_sentences(text, limit=100))
        cjk = len(_NO_SPACE_SCRIPT.findall(content))
        words = len(_WORD.findall(_NO_SPACE_SCRIPT.sub(" ", content))) + cjk // 2
        if words < NEEDS_INFO_MIN_WORDS:
            reasons.append(f"only {words} words besides greetings")
        vague = [s for s in signals if s.signal == "vague"]
        specific = bool(_DETAIL.search(content))
        if vague and not specific:
            reasons.append(f"says something is wrong without saying what ({vague[0].sentence!r}), "
                           "and gives no error message, number or detail")
        value = bool(reasons)
        conf = 0.9 if len(reasons) > 1 else 0.75 if value else 0.7
        return NeedsInfo(value=value, confidence=conf, reasons=reasons, evidence=vague)

    def _secondary(self, model: TriageModel, primary: str, sentences: list[str], sent_vecs: np.ndarray) -> list[SecondaryIssue]:
        fm = model.fields.get("category")
        if fm is None or len(sentences) < 2:
            return []
        pred = fm.classifier.predict(sentences, sent_vecs)
        found: dict[str, SecondaryIssue] = {}
        for i, (label, conf) in enumerate(zip(pred.labels, pred.confidences)):
            if label == primary or conf < SECONDARY_MIN_PROBA or len(sentences[i].split()) < SECONDARY_MIN_WORDS:
                continue
            if label in found and found[label].confidence >= conf:
                continue
            sub = None
            sm = model.fields.get("subcategory")
            if sm is not None:
                sub_field = self._field(model, "subcategory", sentences[i], sent_vecs[i],
                                        allowed=list(self.taxonomy.categories[label].subcategories))
                sub = sub_field.value if sub_field else None
            found[label] = SecondaryIssue(category=label, subcategory=sub, confidence=round(float(conf), 4), sentence=sentences[i])
        return sorted(found.values(), key=lambda s: -s.confidence)[:2]

    # --- escalation ---------------------------------------------------------
    def escalate(self, ticket: TicketInput, customer: Customer | None, now: datetime | None = None,
                 first_response_at: str | None = None, labels: dict[str, str] | None = None) -> EscalationResult:
        """`labels`: what an agent already set on a stored ticket (its priority drives the SLA and the raise)."""
        now = _aware(now or datetime.now(timezone.utc))
        classification, vector = self._classify(ticket, customer.tier if customer else None)
        for fname in ("category", "priority", "team"):
            value = (labels or {}).get(fname)
            if value and self._valid(fname, value):
                current = getattr(classification, fname)
                setattr(classification, fname, FieldResult(
                    value=value, confidence=1.0, source="agent", neighbours=current.neighbours,
                    rules=[f"set by an agent on the ticket (the classifier said {current.value})"],
                ))
        history = []
        if ticket.customer_id:
            since = (now - timedelta(days=self.taxonomy.escalation.repeat_window_days)).isoformat(timespec="seconds")
            until = now.isoformat(timespec="seconds")
            history = [
                (rec, vec) for rec, vec in self.store.customer_history(ticket.customer_id, since)
                if rec.id != ticket.ticket_id and rec.created <= until
            ]
        return esc.decide(
            self.taxonomy, classification, customer, history, vector,
            _aware(ticket.created) if ticket.created else None, now, first_response_at,
        )
