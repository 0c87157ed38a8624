"""The taxonomy file: the default loads, malformed files fail with the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kb_service.triage.taxonomy import DEFAULT_TAXONOMY, TaxonomyError, UnknownValue, load_taxonomy


def test_default_taxonomy_covers_the_documented_categories() -> None:
    t = load_taxonomy()
    assert {"account", "billing", "technical", "product", "onboarding", "feedback"} <= set(t.categories)
    assert t.labels("priority") == ["P1", "P2", "P3", "P4"]
    assert t.priorities["P1"].first_response_hours < t.priorities["P4"].first_response_hours
    assert t.all_subcategories["refund"] == "billing"
    assert t.triage_team in t.teams


def test_routing_rules_first_match_then_category_team() -> None:
    t = load_taxonomy()
    assert t.route({"category": "technical", "subcategory": "integrations"})[0] == "Integrations"
    assert t.route({"category": "technical", "subcategory": "bug"})[0] == "Technical Support"
    assert t.route({"category": "billing", "subcategory": "cancellation", "tier": "enterprise"})[0] == "Customer Success"
    assert t.route({"category": "billing", "subcategory": "cancellation", "tier": "free"})[0] == "Billing"


def test_unknown_values_list_the_valid_ones() -> None:
    t = load_taxonomy()
    with pytest.raises(UnknownValue, match="unknown category 'hardware'.*billing"):
        t.check("category", "hardware")
    with pytest.raises(UnknownValue, match="unknown tier 'gold'"):
        t.check_tier("gold")


def _write(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load(DEFAULT_TAXONOMY.read_text(encoding="utf-8"))
    mutate(raw)
    p = tmp_path / "taxonomy.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda r: r["categories"]["billing"].update(team="Finance"), "categories.billing.team: 'Finance' is not one of teams"),
        (lambda r: r["priorities"].pop("P4"), "priorities must define P1, P2, P3 and P4"),
        (lambda r: r["priorities"]["P1"].update(first_response_hours=0), "priorities.P1.first_response_hours"),
        (lambda r: r["routing"].append({"when": {"category": "hardware"}, "team": "Billing"}), "unknown category 'hardware'"),
        (lambda r: r["categories"]["feedback"]["subcategories"].update(refund="dup"), "subcategory 'refund' appears under both"),
        (lambda r: r["escalation"]["triggers"].pop("churn"), "missing churn"),
        (lambda r: r["escalation"]["triggers"]["legal"].update(notify=["lawyer"]), "escalation.triggers.legal.notify"),
        (lambda r: r.update(colour="blue"), "colour"),
    ],
)
def test_malformed_taxonomy_names_the_field(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TaxonomyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_taxonomy(_write(tmp_path, mutate))


def test_unreadable_or_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="cannot read"):
        load_taxonomy(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories: [unclosed", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="not valid YAML"):
        load_taxonomy(bad)
