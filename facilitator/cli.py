"""The ``facilitator`` command. Thin: parse, call the part that does the work, map errors to exit
codes (0 ok, 1 failure, 2 bad usage or input). Heavy parts (Textual, aiohttp, WeasyPrint) are
imported only by the commands that need them, so ``--help`` and ``list`` start fast."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from facilitator import __version__

if TYPE_CHECKING:
    from facilitator.core.templates import Template
    from facilitator.store.library import Library, Templates

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEFAULT_PORT = 8080
REPORT_FORMATS = ("md", "html", "pdf", "csv")


class UsageError(Exception):
    """Bad input from the user: exit 2 with the message."""


def _formats(value: str) -> list[str]:
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    unknown = [f for f in formats if f not in REPORT_FORMATS]
    if unknown or not formats:
        choices = ",".join(REPORT_FORMATS)
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(unknown) or value!r}; choose from {choices}"
        )
    return formats


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is outside 0-65535")
    return port


def _public_url(value: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a web address; give it as http://HOST[:PORT] or https://HOST"
        )
    return value.rstrip("/")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facilitator",
        description="Run a live co-creation workshop from one laptop.",
        epilog="Start with `facilitator demo`. Sessions are kept in --data-dir "
        "(or $FACILITATOR_DATA_DIR).",
    )
    parser.add_argument("--version", action="version", version=f"facilitator {__version__}")
    parser.add_argument("--data-dir", type=Path, help="where sessions are kept")
    parser.add_argument(
        "--templates",
        type=Path,
        metavar="DIR",
        help="a folder of your own session templates (*.toml)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def server_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--host", help="address to listen on (default: this laptop's LAN address)")
        sub.add_argument(
            "--port", type=_port, default=DEFAULT_PORT, help="port (default: %(default)s)"
        )
        sub.add_argument(
            "--public-url",
            metavar="URL",
            type=_public_url,
            help="the address phones use, when it differs (reverse proxy, hotspot)",
        )

    demo = commands.add_parser("demo", help="open a demo session filled with sample input")
    demo.add_argument("--lang", choices=("nl", "en"), help="language of the facilitator screens")
    server_options(demo)

    run = commands.add_parser("run", help="run a session in the terminal, with the phone page")
    run.add_argument(
        "target",
        nargs="?",
        metavar="TEMPLATE|SESSION",
        help="a template starts a new session, a session id resumes one; none: the home screen",
    )
    run.add_argument("--title", help="title of a new session")
    run.add_argument("--lang", choices=("nl", "en"), help="language of the facilitator screens")
    server_options(run)

    serve = commands.add_parser("serve", help="only the participant server (prints the join URL)")
    serve.add_argument("session", metavar="SESSION")
    server_options(serve)

    new = commands.add_parser("new", help="create a session from a template")
    new.add_argument("template", metavar="TEMPLATE")
    new.add_argument("--title", help="session title (default: the template's)")
    new.add_argument("--lang", choices=("nl", "en"), help="session language")
    new.add_argument("--place", default="", help="where the session takes place")

    commands.add_parser("list", help="list sessions")
    commands.add_parser("templates", help="list templates (built-in and your own)")

    report = commands.add_parser("report", help="write the session report")
    report.add_argument("session", metavar="SESSION")
    report.add_argument(
        "--format",
        type=_formats,
        default=["md", "html", "pdf"],
        help="comma-separated: md,html,pdf,csv (default: md,html,pdf)",
    )
    report.add_argument("--out", type=Path, default=Path("."), help="folder (default: here)")
    report.add_argument(
        "--names", action="store_true", help="name participants who consented to be named"
    )

    cards = commands.add_parser(
        "cards", help="printable QR table cards (PDF), one per table, each with its own code",
        description="Printable QR table cards: one A4 page per table, each with the session's "
        "address, the table's own join code and a link that picks the table. The address is "
        "where the session's participant page runs (or last ran), unless --public-url, --host "
        "or --port say otherwise.")
    cards.add_argument("session", metavar="SESSION")
    cards.add_argument("--out", type=Path, help="file (default: SESSION-cards.pdf)")
    cards.add_argument(
        "--public-url", metavar="URL", type=_public_url, help="the address phones use"
    )
    cards.add_argument("--host", help="the laptop address to print (default: where the session "
                       "runs, else this laptop's LAN address)")
    cards.add_argument("--port", type=_port, help="the port to print (default: where the "
                       f"session runs, else {DEFAULT_PORT})")

    export = commands.add_parser("export", help="a session as one portable JSON file (stdout)")
    export.add_argument("session", metavar="SESSION")
    export.add_argument("--out", type=Path, help="write to this file instead of stdout")

    imp = commands.add_parser("import", help="add a session from an exported JSON file")
    imp.add_argument("file", type=Path)
    return parser


# -- commands ---------------------------------------------------------------------------------


def coverage_lines(template: Template) -> list[str]:
    """What ``facilitator templates`` says about a template's participant languages: the complete
    ones, then for each incomplete one the texts that lack it (or that none has it)."""
    from facilitator.core.templates import language_coverage

    coverage = language_coverage(template)
    lines = [f"languages complete: {' '.join(coverage.complete)}"]
    untranslated = [lang for lang in coverage.incomplete
                    if len(coverage.missing[lang]) == coverage.texts]
    if untranslated:
        lines.append(f"not translated: {' '.join(untranslated)} "
                     "(shown in the session's language)")
    for lang in coverage.incomplete:
        if lang not in untranslated:
            missing = coverage.missing[lang]
            lines.append(f"{lang}: {len(missing)} of {coverage.texts} texts missing: "
                         f"{', '.join(missing)}")
    return lines


def cmd_templates(args: argparse.Namespace, library: Library, templates: Templates) -> int:
    good, bad = templates.load_all()
    for template, path in sorted(good, key=lambda item: item[0].id):
        title = template.title.get(template.default_lang, template.id)
        rounds = " → ".join(spec.id for spec in template.rounds)
        print(f"{template.id:<22} {title}\n{'':<22} {len(template.rounds)} rounds: {rounds}")
        for line in coverage_lines(template):
            print(f"{'':<22} {line}")
        print(f"{'':<22} {path}")
    for error in bad:
        print(f"error: {error}", file=sys.stderr)
    return EXIT_USAGE if bad else EXIT_OK


def cmd_new(args: argparse.Namespace, library: Library, templates: Templates) -> int:
    store = library.create(
        templates.load(args.template), title=args.title, lang=args.lang, place=args.place
    )
    asyncio.run(store.close())
    print(store.session_id)
    print(store.path)
    return EXIT_OK


def cmd_list(args: argparse.Namespace, library: Library, templates: Templates) -> int:
    entries = library.entries()
    if not entries:
        print(f"No sessions yet in {library.folder}. Start one with `facilitator run TEMPLATE`.")
        return EXIT_OK
    import time

    for entry in entries:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.created))
        if entry.problem:
            print(f"{entry.session_id:<36} {when}  unreadable: {entry.problem}")
            continue
        print(
            f"{entry.session_id:<36} {when}  {entry.participants:>4} participants "
            f"{entry.contributions:>5} contributions  {entry.title}"
        )
    return EXIT_OK


def cmd_export(args: argparse.Namespace, library: Library, templates: Templates) -> int:
    data = library.export(args.session)
    if args.out:
        try:
            args.out.write_bytes(data + b"\n")
        except OSError as exc:
            raise UsageError(f"{args.out}: cannot write the export ({exc.strerror})") from None
        print(args.out)
    else:
        sys.stdout.buffer.write(data + b"\n")
    return EXIT_OK


def cmd_import(args: argparse.Namespace, library: Library, templates: Templates) -> int:
    entry = library.import_file(args.file)
    print(entry.session_id)
    print(entry.path)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, library: Library, templates: Templates) -> int:
    from facilitator.store.store import SessionStore
    from facilitator.web.server import serve_forever

    store = SessionStore.open(library.resolve(args.session))

    async def main() -> None:
        try:
            await serve_forever(store, host=args.host, port=args.port, public_url=args.public_url)
        finally:
            await store.close()

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main())
    except OSError as exc:
        if exc.errno in (errno.EADDRNOTAVAIL, errno.EACCES, errno.EADDRINUSE):
            raise UsageError(
                f"--host {args.host or 'default'} --port {args.port}: cannot listen there "
                f"({exc.strerror}); pick an address of this laptop and a free port"
            ) from None
        raise
    return EXIT_OK


def cmd_run(args: argparse.Namespace, library: Library, templates: Templates) -> int:
    session: Path | None = None
    template = None
    if not args.target:
        library.writable_folder()  # the home screen is for starting and resuming sessions
    if args.target:
        if args.target in templates.files() or args.target.endswith(".toml"):
            template = templates.load(args.target)
        else:
            session = library.resolve(args.target)
    return _run_tui(args, library, templates, session=session, template=template)


def cmd_demo(args: argparse.Namespace, library: Library, templates: Templates) -> int:
    from facilitator.demo import create_demo

    session = create_demo(library, templates)
    return _run_tui(args, library, templates, session=session, template=None)


def _run_tui(
    args: argparse.Namespace,
    library: Library,
    templates: Templates,
    *,
    session: Path | None,
    template: Template | None,
) -> int:
    from facilitator.tui.app import run_tui

    return int(
        run_tui(
            library=library,
            templates=templates,
            session=session,
            template=template,
            title=getattr(args, "title", None),
            lang=args.lang,
            host=args.host,
            port=args.port,
            public_url=args.public_url,
        )
    )


def cmd_report(args: argparse.Namespace, library: Library, templates: Templates) -> int:
    from facilitator.report import write_report

    written = write_report(
        library.resolve(args.session), formats=args.format, out_dir=args.out, names=args.names
    )
    for path in written:
        print(path)
    return EXIT_OK


def cmd_cards(args: argparse.Namespace, library: Library, templates: Templates) -> int:
    from facilitator.report import write_cards

    path = library.resolve(args.session)
    out = args.out or Path(f"{path.stem}-cards.pdf")
    cards = write_cards(path, out, public_url=args.public_url, host=args.host, port=args.port)
    where = ("where the session's participant page runs or last ran" if cards.recorded
             else "as given" if args.public_url or args.host or args.port
             else "this laptop's address: the session has not run yet")
    print(f"cards for {cards.base} ({where}; --host, --port or --public-url to change)",
          file=sys.stderr)
    print(cards.path)
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Library, Templates], int]] = {
    "demo": cmd_demo,
    "run": cmd_run,
    "serve": cmd_serve,
    "new": cmd_new,
    "list": cmd_list,
    "templates": cmd_templates,
    "report": cmd_report,
    "cards": cmd_cards,
    "export": cmd_export,
    "import": cmd_import,
}


def _fail(code: int, message: str) -> NoReturn:
    print(f"facilitator: {message}", file=sys.stderr)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK

    from facilitator.core.errors import Refused
    from facilitator.core.templates import TemplateError
    from facilitator.paths import data_dir
    from facilitator.store.files import (
        FolderNotWritable,
        SessionCorrupt,
        SessionLinked,
        SessionLocked,
        StoreError,
    )
    from facilitator.store.library import Library, NotFound, Templates

    library = Library(data_dir(args.data_dir))
    templates = Templates(args.templates)
    try:
        return COMMANDS[args.command](args, library, templates)
    except (TemplateError, NotFound, UsageError, SessionCorrupt, SessionLinked) as exc:
        _fail(EXIT_USAGE, str(exc))
    except (SessionLocked, FolderNotWritable) as exc:
        _fail(EXIT_FAILURE, str(exc))
    except Refused as exc:
        _fail(EXIT_USAGE, f"refused: {exc}")
    except StoreError as exc:
        _fail(EXIT_USAGE if args.command == "import" else EXIT_FAILURE, str(exc))
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
