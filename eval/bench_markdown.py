"""How long inline Markdown parsing takes on crafted lines (openers without closers), the input that
made the patterns quadratic before their repeats were bounded.

    python -m eval.bench_markdown [--repeat 3]

Each line is about 40 KB; prints the median seconds of `ingest.markdown._inline` per line.
"""

from __future__ import annotations

import argparse
import statistics
import time

from ingest import markdown

CRAFTED = {
    "bold openers": "**a " * 10000,
    "underscore bold openers": "__a " * 10000,
    "italic openers": "*a " * 13000,
    "strike openers": "~~a " * 10000,
    "link openers": "[a](" * 10000,
    "brackets": "[" * 40000,
    "image openers": "![a](" * 8000,
    "backticks": "`a " * 13000,
    "mixed": "[x](http://a/ **b ![c](d) _e_ " * 1300,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    for name, line in CRAFTED.items():
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            markdown._inline(line, [], {}, None)
            times.append(time.perf_counter() - start)
        print(f"{name:26} {len(line):>6} chars  median {statistics.median(times):7.3f} s")


if __name__ == "__main__":
    main()
