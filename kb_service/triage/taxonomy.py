"""The triage taxonomy: categories, priorities with SLAs, teams, routing rules, tiers and
escalation thresholds, read from YAML (`default_taxonomy.yaml` unless KB_TAXONOMY_PATH is set).

A malformed file fails at start-up with the file and the field; a request naming a value the
taxonomy does not have fails with `UnknownValue`, which the API turns into a 422 listing the
valid values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_TAXONOMY = Path(__file__).with_name("default_taxonomy.yaml")
PRIORITIES = ("P1", "P2", "P3", "P4")  # most urgent first
Notify = Literal["senior_agent", "customer_success_manager", "manager", "legal"]
TRIGGERS = (
    "churn", "legal", "regulator", "executive_language", "repeat", "sla_breach",
    "vip_tier", "renewal", "negative_sentiment", "executive_contact",
)


class TaxonomyError(ValueError):
    """The taxonomy file is missing or malformed; the message names the file and the field."""


class UnknownValue(ValueError):
    """A value (category, team, tier...) that the taxonomy does not define."""

    def __init__(self, field: str, value: str, valid: list[str]) -> None:
        super().__init__(f"unknown {field} {value!r}; valid: {', '.join(valid)}")
        self.field, self.value, self.valid = field, value, valid


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Category(_Strict):
    description: str = ""
    team: str
    subcategories: dict[str, str] = Field(default_factory=dict)


class Priority(_Strict):
    description: str = ""
    first_response_hours: float = Field(gt=0)
    resolution_hours: float = Field(gt=0)


class RuleCondition(_Strict):
    category: str | None = None
    subcategory: str | None = None
    tier: str | None = None
    channel: str | None = None
    language: str | None = None


class RoutingRule(_Strict):
    when: RuleCondition
    team: str

    def matches(self, facts: dict[str, str | None]) -> bool:
        cond = self.when.model_dump(exclude_none=True)
        return bool(cond) and all(facts.get(k) == v for k, v in cond.items())

    def describe(self) -> str:
        cond = ", ".join(f"{k}={v}" for k, v in self.when.model_dump(exclude_none=True).items())
        return f"routing rule: {cond} -> {self.team}"


class Tier(_Strict):
    vip: bool = False


class TriggerRule(_Strict):
    level: int = Field(ge=1, le=3)
    notify: list[Notify]
    raise_: int = Field(0, alias="raise", ge=0, le=3)
    raise_to: Literal["P1", "P2", "P3", "P4"] | None = None


class Escalation(_Strict):
    repeat_count: int = Field(3, ge=2)
    repeat_window_days: float = Field(30, gt=0)
    repeat_similarity: float = Field(0.88, gt=0, le=1)
    sla_warning_fraction: float = Field(0.25, ge=0, le=1)
    renewal_window_days: float = Field(60, ge=0)
    negative_sentiment: float = Field(-0.6, ge=-1, le=0)
    triggers: dict[str, TriggerRule]

    @model_validator(mode="after")
    def _all_triggers(self) -> "Escalation":
        missing = [t for t in TRIGGERS if t not in self.triggers]
        unknown = [t for t in self.triggers if t not in TRIGGERS]
        if missing or unknown:
            raise ValueError(f"escalation.triggers must define exactly {', '.join(TRIGGERS)}"
                             + (f"; missing {', '.join(missing)}" if missing else "")
                             + (f"; unknown {', '.join(unknown)}" if unknown else ""))
        return self


class Taxonomy(_Strict):
    version: int = 1
    categories: dict[str, Category]
    priorities: dict[Literal["P1", "P2", "P3", "P4"], Priority]
    teams: dict[str, str]
    routing: list[RoutingRule] = Field(default_factory=list)
    triage_team: str
    min_confidence: float = Field(0.45, ge=0, le=1)
    tiers: dict[str, Tier]
    escalation: Escalation

    @model_validator(mode="after")
    def _consistent(self) -> "Taxonomy":
        if set(self.priorities) != set(PRIORITIES):
            raise ValueError("priorities must define P1, P2, P3 and P4")
        if not self.categories:
            raise ValueError("categories: at least one is needed")
        teams = set(self.teams)
        for name, cat in self.categories.items():
            if cat.team not in teams:
                raise ValueError(f"categories.{name}.team: {cat.team!r} is not one of teams")
        for i, rule in enumerate(self.routing):
            if rule.team not in teams:
                raise ValueError(f"routing[{i}].team: {rule.team!r} is not one of teams")
            c = rule.when
            if c.category is not None and c.category not in self.categories:
                raise ValueError(f"routing[{i}].when.category: unknown category {c.category!r}")
            if c.subcategory is not None and c.subcategory not in self.all_subcategories:
                raise ValueError(f"routing[{i}].when.subcategory: unknown subcategory {c.subcategory!r}")
            if c.tier is not None and c.tier not in self.tiers:
                raise ValueError(f"routing[{i}].when.tier: unknown tier {c.tier!r}")
        if self.triage_team not in teams:
            raise ValueError(f"triage_team: {self.triage_team!r} is not one of teams")
        return self

    # --- look-ups ------------------------------------------------------------
    @property
    def all_subcategories(self) -> dict[str, str]:
        """subcategory -> its category (names are unique across categories)."""
        out: dict[str, str] = {}
        for name, cat in self.categories.items():
            for sub in cat.subcategories:
                out[sub] = name
        return out

    def labels(self, field: str) -> list[str]:
        if field == "category":
            return list(self.categories)
        if field == "subcategory":
            return list(self.all_subcategories)
        if field == "priority":
            return list(PRIORITIES)
        if field == "team":
            return list(self.teams)
        raise UnknownValue("field", field, list(FIELDS))

    def check(self, field: str, value: str) -> str:
        valid = self.labels(field)
        if value not in valid:
            raise UnknownValue(field, value, valid)
        return value

    def check_tier(self, tier: str) -> str:
        if tier not in self.tiers:
            raise UnknownValue("tier", tier, list(self.tiers))
        return tier

    def matching_rule(self, facts: dict[str, str | None]) -> RoutingRule | None:
        """The first routing rule whose conditions all hold."""
        return next((rule for rule in self.routing if rule.matches(facts)), None)

    def route(self, facts: dict[str, str | None]) -> tuple[str, str]:
        """The team for these facts and why: the first routing rule that matches, else the category's team."""
        rule = self.matching_rule(facts)
        if rule is not None:
            return rule.team, rule.describe()
        category = facts.get("category")
        if category in self.categories:
            return self.categories[category].team, f"category {category} -> {self.categories[category].team}"
        return self.triage_team, "no category: triage team"


FIELDS = ("category", "subcategory", "priority", "team")


def _duplicate_subcategories(raw: dict) -> str | None:
    seen: dict[str, str] = {}
    for cat, body in (raw.get("categories") or {}).items():
        for sub in (body or {}).get("subcategories") or {}:
            if sub in seen:
                return f"subcategory {sub!r} appears under both {seen[sub]} and {cat}"
            seen[sub] = cat
    return None


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    path = path or DEFAULT_TAXONOMY
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TaxonomyError(f"{path}: cannot read the taxonomy: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{path}: the taxonomy must be a YAML mapping")
    dup = _duplicate_subcategories(raw)
    if dup:
        raise TaxonomyError(f"{path}: {dup}; subcategory names must be unique")
    try:
        return Taxonomy.model_validate(raw)
    except ValidationError as exc:
        parts = []
        for e in exc.errors():
            loc = ".".join(str(p) for p in e["loc"])
            parts.append(f"{loc}: {e['msg'].removeprefix('Value error, ')}" if loc else e["msg"].removeprefix("Value error, "))
        raise TaxonomyError(f"{path}: " + "; ".join(parts)) from exc
