"""Follow-up reading: did the customer say the suggested fix worked? Scores the service's
`FollowupClassifier` on a labelled JSONL set ({"text", "language", "label": "not_resolved"|"resolved"}).

    python -m eval.followup tests/data/followup_eval.jsonl

Reports accuracy, not-resolved recall and precision (a missed "it did not work" leaves a customer
without help, so recall is the number to watch), "unclear" readings (they go to a person), and
the mistakes.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any


def evaluate(path: Path) -> dict[str, Any]:
    from kb_service.autoresponse.followup import FollowupClassifier
    from kb_service.config import get_settings
    from kb_service.engines.embedder import get_embedder

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    clf = FollowupClassifier(get_embedder(get_settings()))
    per_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    tp = fp = fn = unclear = correct = 0
    mistakes = []
    for r in rows:
        reading = clf.read(r["text"])
        handed = reading.outcome != "resolved"  # unclear goes to a person too
        truth = r["label"] == "not_resolved"
        unclear += reading.outcome == "unclear"
        ok = handed == truth
        correct += ok
        per_lang[r["language"]][0] += ok
        per_lang[r["language"]][1] += 1
        tp += handed and truth
        fp += handed and not truth
        fn += truth and not handed
        if not ok:
            mistakes.append({"text": r["text"], "label": r["label"], "read": reading.outcome, "p": reading.not_resolved_probability})
    return {
        "n": len(rows),
        "accuracy": round(correct / len(rows), 4),
        "not_resolved_recall": round(tp / max(tp + fn, 1), 4),
        "not_resolved_precision": round(tp / max(tp + fp, 1), 4),
        "unclear": unclear,
        "per_language": {k: f"{v[0]}/{v[1]}" for k, v in sorted(per_lang.items())},
        "mistakes": mistakes,
    }


if __name__ == "__main__":
    result = evaluate(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/followup_eval.jsonl"))
    print(json.dumps(result, ensure_ascii=False, indent=2))
