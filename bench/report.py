"""`python -m bench.report RUN_DIR [RUN_DIR ...] --out DIR`: one table + chart from several runs.

A later run's comparison replaces an earlier one of the same name (e.g. a full run, then
`--only forward-auth` re-run after a fix). Writes `table.md`, `table.txt` and `chart.png` in
`--out`, and prints the Markdown table with each comparison's run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.harness import ComparisonResult, format_markdown, format_table, load_results, write_chart


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    merged: dict[str, tuple[ComparisonResult, str]] = {}
    order: list[str] = []
    for run in args.runs:
        meta, results = load_results(run / "results.json")
        for res in results:
            key = f"{res.name}|{res.title}"
            if key not in merged:
                order.append(key)
            merged[key] = (res, f"{run.name} ({meta['command']})")
    results = [merged[k][0] for k in order]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "table.md").write_text(format_markdown(results) + "\n")
    (args.out / "table.txt").write_text(format_table(results) + "\n")
    write_chart(results, args.out / "chart.png", "refreshgate bench (full)")
    print(format_markdown(results))
    print()
    for key in order:
        print(f"{merged[key][0].name}: {merged[key][1]}")


if __name__ == "__main__":
    main()
