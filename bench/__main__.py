"""``python -m bench NAME``: the benchmarks, each printing its figures with a baseline
measured in the same run."""

from __future__ import annotations

import argparse
import importlib
import sys

BENCHMARKS = {
    "store": "group-commit writes against stock TinyDB inserts",
    "ingest": "the participant server under 300 simulated phones",
    "room": "2,000 browser-like phones against the TUI with its server, and the server alone",
    "tui": "from commit to row on screen, and key press to redraw",
    "report": "Markdown, HTML and PDF for 5,000 contributions and 20,000 votes",
    "import": "importing an export of 100,000 documents, checked",
    "crash": "a real `facilitator serve` under phones, SIGKILLed (or its power cut) and "
             "restarted N times",
    "event": "how many simulated rooms one organiser laptop can watch",
    "host": "each commit from the host to the screen's copy, per changed record",
}
MODULES = {"import": "importing", "event": "event_watch"}
"""Benchmarks whose module is not named like them (``import`` is a Python keyword; ``event``
measures the event watch)."""


def main(argv: list[str] | None = None) -> int:
    from facilitator.platforms import utf8_stdio

    utf8_stdio()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    commands = parser.add_subparsers(dest="name", required=True, metavar="NAME")
    for name, summary in BENCHMARKS.items():
        command = commands.add_parser(name, help=summary, description=summary)
        command.add_argument("--quick", action="store_true", help="a smaller, shorter run")
        if name == "room":  # the benchmarks with options of their own
            from bench.room import add_options

            add_options(command)
        elif name == "event":
            from bench.event_watch import add_options as add_event_options

            add_event_options(command)
        elif name == "crash":
            command.add_argument("--cycles", type=_cycles, metavar="N", help="how many kills")
            command.add_argument("--power", action="store_true",
                                 help="cut the power (a FUSE layer that forgets what was not "
                                      "fsynced) instead of killing the process")
    options = vars(parser.parse_args(argv))
    name = options.pop("name")
    if options.get("cycles") is None:
        options.pop("cycles", None)
    module = importlib.import_module(f"bench.{MODULES.get(name, name)}")
    return int(module.run(**options) or 0)


def _cycles(value: str) -> int:
    cycles = int(value)
    if cycles < 1:
        raise argparse.ArgumentTypeError("N must be at least 1")
    return cycles


if __name__ == "__main__":
    sys.exit(main())
