"""Ranking metrics as BEIR and trec_eval define them.

- nDCG@k: gain = graded relevance, discount log2(rank + 1), normalised by the ideal ranking of
  the query's judged documents cut at k.
- Recall@k: the share of a query's relevant documents found in its top k.
- MRR@k: 1 / rank of the first relevant document within the top k, else 0.
Per-query values are averaged over queries (macro average).
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping, Sequence

METRICS = ("ndcg@10", "recall@1", "recall@10", "mrr@10")


def ndcg_at_k(ranking: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    dcg = sum(relevant.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranking[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranking: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    if not relevant:
        return 0.0
    return len(set(ranking[:k]) & set(relevant)) / len(relevant)


def mrr_at_k(ranking: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    for rank, doc in enumerate(ranking[:k]):
        if relevant.get(doc, 0) > 0:
            return 1.0 / (rank + 1)
    return 0.0


def query_metrics(ranking: Sequence[str], relevant: Mapping[str, int]) -> dict[str, float]:
    return {
        "ndcg@10": ndcg_at_k(ranking, relevant, 10),
        "recall@1": recall_at_k(ranking, relevant, 1),
        "recall@10": recall_at_k(ranking, relevant, 10),
        "mrr@10": mrr_at_k(ranking, relevant, 10),
    }


def mean_metrics(rows: Iterable[Mapping[str, float]]) -> dict[str, float]:
    rows = list(rows)
    if not rows:
        return {m: 0.0 for m in METRICS}
    return {m: sum(r[m] for r in rows) / len(rows) for m in METRICS}


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
