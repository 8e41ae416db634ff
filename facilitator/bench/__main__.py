"""``python -m facilitator.bench NAME``: the benchmarks, each printing its figures with a baseline
measured in the same run."""

from __future__ import annotations

import argparse
import importlib
import sys

BENCHMARKS = {
    "store": "group-commit writes against stock TinyDB inserts",
    "ingest": "the participant server under 300 simulated phones",
    "tui": "from commit to row on screen, and key press to redraw",
    "report": "Markdown, HTML and PDF for 5,000 contributions and 20,000 votes",
    "event": "how many simulated rooms one organiser laptop can watch",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m facilitator.bench", description=__doc__)
    parser.add_argument("name", choices=sorted(BENCHMARKS), help="which benchmark to run")
    parser.add_argument("--quick", action="store_true", help="a smaller, shorter run")
    args = parser.parse_args(argv)
    module = importlib.import_module(f"facilitator.bench.{args.name}")
    return int(module.run(quick=args.quick) or 0)


if __name__ == "__main__":
    sys.exit(main())
