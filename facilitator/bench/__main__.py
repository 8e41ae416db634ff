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
    "import": "importing an export of 100,000 documents, checked",
    "crash": "a real `facilitator serve` under phones, SIGKILLed and restarted N times",
}
MODULES = {"import": "importing"}
"""Benchmarks whose module is not named like them (``import`` is a Python keyword)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m facilitator.bench", description=__doc__)
    parser.add_argument("name", choices=sorted(BENCHMARKS), help="which benchmark to run")
    parser.add_argument("--quick", action="store_true", help="a smaller, shorter run")
    parser.add_argument("--cycles", type=int, metavar="N", help="crash: how many kills")
    args = parser.parse_args(argv)
    options = {}
    if args.cycles is not None:
        if args.name != "crash" or args.cycles < 1:
            parser.error("--cycles N (N ≥ 1) is for the crash benchmark")
        options["cycles"] = args.cycles
    module = importlib.import_module(f"facilitator.bench.{MODULES.get(args.name, args.name)}")
    return int(module.run(quick=args.quick, **options) or 0)


if __name__ == "__main__":
    sys.exit(main())
