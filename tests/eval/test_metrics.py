"""The ranking metrics against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from eval.metrics import mean_metrics, mrr_at_k, ndcg_at_k, percentile, query_metrics, recall_at_k


def test_single_relevant_at_rank_two() -> None:
    ranking, rel = ["d2", "d1", "d3"], {"d1": 1}
    assert ndcg_at_k(ranking, rel, 10) == pytest.approx(1 / math.log2(3))  # 0.6309
    assert recall_at_k(ranking, rel, 1) == 0.0
    assert recall_at_k(ranking, rel, 10) == 1.0
    assert mrr_at_k(ranking, rel, 10) == 0.5


def test_two_relevant_first_and_third() -> None:
    ranking, rel = ["d1", "d2", "d3"], {"d1": 1, "d3": 1}
    # DCG = 1 + 1/log2(4) = 1.5; ideal = 1 + 1/log2(3) = 1.6309
    assert ndcg_at_k(ranking, rel, 10) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k(ranking, rel, 10) == pytest.approx(0.91972, abs=1e-5)
    assert recall_at_k(ranking, rel, 1) == 0.5
    assert mrr_at_k(ranking, rel, 10) == 1.0


def test_graded_relevance_uses_the_grade_as_gain() -> None:
    ranking, rel = ["d2", "d1"], {"d1": 2, "d2": 1}
    # DCG = 1/1 + 2/log2(3) = 2.26186; ideal = 2/1 + 1/log2(3) = 2.63093
    assert ndcg_at_k(ranking, rel, 10) == pytest.approx(0.85972, abs=1e-5)


def test_cutoff_excludes_documents_below_k() -> None:
    ranking = [f"x{i}" for i in range(10)] + ["d1"]
    rel = {"d1": 1}
    assert query_metrics(ranking, rel) == {"ndcg@10": 0.0, "recall@1": 0.0, "recall@10": 0.0, "mrr@10": 0.0}
    assert ndcg_at_k(ranking, rel, 11) == pytest.approx(1 / math.log2(12))


def test_more_relevant_than_k_is_normalised_by_the_best_possible_top_k() -> None:
    rel = {f"d{i}": 1 for i in range(12)}
    assert ndcg_at_k([f"d{i}" for i in range(10)], rel, 10) == pytest.approx(1.0)
    assert recall_at_k([f"d{i}" for i in range(10)], rel, 10) == pytest.approx(10 / 12)


def test_mean_is_a_macro_average_and_percentiles_interpolate() -> None:
    a = query_metrics(["d2", "d1"], {"d1": 1})
    b = query_metrics(["d1"], {"d1": 1})
    m = mean_metrics([a, b])
    assert m["mrr@10"] == pytest.approx(0.75)
    assert m["recall@1"] == pytest.approx(0.5)
    assert m["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1) / 2)
    assert percentile([10, 20, 30, 40], 0.5) == pytest.approx(25.0)
    assert percentile([1.0, 2.0, 3.0, 4.0, 100.0], 0.95) == pytest.approx(80.8)
    assert percentile([], 0.5) == 0.0
