"""Escalation: which triggers fire for a classified ticket and its customer, what level that is,
whom to notify, and how far the priority is raised, every step with its evidence."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np

from kb_service.storage.tickets import Customer, TicketRecord
from kb_service.triage.results import Classification, EscalationResult, PriorityChange, Trigger
from kb_service.triage.taxonomy import PRIORITIES, Taxonomy

NOTIFY_ORDER = ("senior_agent", "customer_success_manager", "manager", "legal")
# signal name (signals.yaml) -> trigger name (taxonomy escalation.triggers)
LANGUAGE_TRIGGERS = {"churn": "churn", "legal": "legal", "regulator": "regulator", "executive": "executive_language"}


def _fmt_delta(td: timedelta) -> str:
    minutes = int(abs(td.total_seconds()) // 60)
    h, m = divmod(minutes, 60)
    return f"{h} h {m} min" if h else f"{m} min"


def decide(
    taxonomy: Taxonomy,
    c: Classification,
    customer: Customer | None,
    history: list[tuple[TicketRecord, np.ndarray]],
    vector: np.ndarray | None,
    created: datetime | None,
    now: datetime,
    first_response_at: str | None = None,
) -> EscalationResult:
    rules = taxonomy.escalation
    found: list[Trigger] = []

    def fire(name: str, evidence: list[str], signals: list | None = None) -> None:
        r = rules.triggers[name]
        found.append(Trigger(name=name, level=r.level, notify=list(r.notify), evidence=evidence, signals=signals or []))

    # language in any supported language: churn, legal, regulator, executive
    for s in c.signals:
        trig = LANGUAGE_TRIGGERS.get(s.signal)
        if trig:
            fire(trig, [f"{s.signal} language (probability {s.probability:.2f}): {s.sentence!r}, "
                        f"like {s.matched!r}"], [s])

    # the same issue again from the same customer
    if vector is not None and history:
        same = [(rec, float(v @ vector)) for rec, v in history if float(v @ vector) >= rules.repeat_similarity]
        if len(same) + 1 >= rules.repeat_count:
            ev = [f"ticket {rec.id} of {rec.created[:10]} ({rec.status}): similarity {sim:.3f}" for rec, sim in same]
            fire("repeat", [f"{len(same) + 1} tickets from this customer on the same issue within "
                            f"{rules.repeat_window_days:g} days (threshold {rules.repeat_count})"] + ev)

    # first-response SLA about to lapse (or lapsed) and no first response yet
    priority = c.priority.value
    if created is not None and not first_response_at:
        sla = timedelta(hours=taxonomy.priorities[priority].first_response_hours)  # type: ignore[index]
        due = created + sla
        left = due - now
        if left <= sla * rules.sla_warning_fraction:
            state = f"overdue by {_fmt_delta(left)}" if left.total_seconds() < 0 else f"due in {_fmt_delta(left)}"
            fire("sla_breach", [f"{priority} first response within {sla.total_seconds() / 3600:g} h: created "
                                f"{created.isoformat(timespec='minutes')}, due {due.isoformat(timespec='minutes')}, {state}"])

    if customer is not None:
        tier = taxonomy.tiers.get(customer.tier or "")
        if tier is not None and tier.vip and PRIORITIES.index(priority) <= 1:
            fire("vip_tier", [f"customer tier {customer.tier} with priority {priority} (P2 or higher)"])
        if customer.renewal_date:
            try:
                renewal = date.fromisoformat(customer.renewal_date[:10])
            except ValueError:
                renewal = None
            if renewal is not None:
                left_days = (renewal - now.date()).days
                if 0 <= left_days <= rules.renewal_window_days:
                    arr = f", ARR {customer.arr:,.0f}" if customer.arr else ""
                    fire("renewal", [f"renewal on {renewal.isoformat()}, in {left_days} days "
                                     f"(window {rules.renewal_window_days:g} days){arr}"])
        if customer.executive_contact:
            fire("executive_contact", ["the contact is an executive of the customer"])

    if c.sentiment.score <= rules.negative_sentiment:
        sent = c.sentiment.evidence[0].sentence if c.sentiment.evidence else ""
        fire("negative_sentiment", [f"sentiment {c.sentiment.score:.2f} at or below {rules.negative_sentiment:.2f}"
                                    + (f": {sent!r}" if sent else "")], c.sentiment.evidence)

    # priority: the strongest raise wins (raises do not add up), and never above P1
    original = priority
    idx = PRIORITIES.index(original)
    target, reasons = idx, []
    for t in found:
        r = rules.triggers[t.name]
        new = idx
        if r.raise_to is not None:
            new = min(new, PRIORITIES.index(r.raise_to))
        if r.raise_:
            new = min(new, max(0, idx - r.raise_))
        if new < idx:
            reasons.append(f"{t.name}: {original} -> {PRIORITIES[new]}")
            target = min(target, new)
    final = PRIORITIES[target]
    if not reasons:
        reasons = [f"no trigger raises {original}"]
    notify: set[str] = set()
    for t in found:
        notify.update(t.notify)
    return EscalationResult(
        escalate=bool(found),
        level=max((t.level for t in found), default=0),
        notify=[n for n in NOTIFY_ORDER if n in notify],
        triggers=sorted(found, key=lambda t: (-t.level, t.name)),
        priority=PriorityChange(original=original, final=final, reasons=reasons),
        classification=c,
    )
