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
    from facilitator.event.file import EventFile
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


def _interval(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not 0.2 <= seconds <= 60:
        raise argparse.ArgumentTypeError(f"{value} s is outside 0.2-60 s")
    return seconds


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

    event = commands.add_parser("event", help="one event, many rooms: the day's report and "
                                "a live overview of every room")
    event_commands = event.add_subparsers(dest="event_command", metavar="EVENT_COMMAND",
                                          required=True)
    event_report = event_commands.add_parser(
        "report", help="one report of several rooms' sessions (files, exports or ids)")
    event_report.add_argument("rooms", nargs="*", metavar="FILE_OR_SESSION",
                              help="the rooms; none: the event file's rooms")
    event_report.add_argument("--title", help="the event's title (default: the event file's)")
    event_report.add_argument("--out", type=Path, default=Path("."),
                              help="folder (default: here)")
    event_report.add_argument("--format", type=_formats, default=list(REPORT_FORMATS),
                              help="comma-separated: md,html,pdf,csv (default: all four)")
    event_report.add_argument("--event", type=Path, metavar="FILE", help=(
        "the event file: rooms, organiser links, themes mapped (default: event.toml beside "
        "the first room's file, when there is one)"))
    event_report.add_argument("--lang", choices=("nl", "en"), help="language of the report")

    event_map = event_commands.add_parser(
        "map", help="show one room's theme together with another name's in the event report")
    event_map.add_argument("room", metavar="FILE_OR_SESSION", help="the room")
    event_map.add_argument("theme", metavar="THEME", help="its theme, as named in the room")
    event_map.add_argument("--onto", required=True, metavar="NAME",
                           help="the theme (of another room) to show it with")
    event_map.add_argument("--event", type=Path, metavar="FILE",
                           help="the event file (default: event.toml beside the room's file)")

    watch = event_commands.add_parser(
        "watch", help="a live overview of every room, pulled from their organiser links")
    watch.add_argument("links", nargs="*", metavar="LINK",
                       help="each room's organiser link (the room's TUI shows it, key k)")
    watch.add_argument("--event", type=Path, metavar="FILE",
                       help="an event file whose links = [...] names the rooms")
    watch.add_argument("--title", help="the event's title")
    watch.add_argument("--host", default="127.0.0.1",
                       help="address of the event wall (default: %(default)s, this laptop only)")
    watch.add_argument("--port", type=_port, default=8090,
                       help="port of the event wall (default: %(default)s)")
    watch.add_argument("--interval", type=_interval, default=2.0,
                       help="seconds between two pulls of a room (default: %(default)s)")
    watch.add_argument("--lang", choices=("nl", "en"), help="language of the overview")
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


def cmd_event(args: argparse.Namespace, library: Library, templates: Templates) -> int:
    commands = {"report": _event_report, "map": _event_map, "watch": _event_watch}
    return commands[args.event_command](args, library)


def _event_file(path: Path | None, first_room: Path | None) -> EventFile | None:
    """The event file named, else ``event.toml`` beside the first room's file when it exists."""
    from facilitator.event.file import default_path, load_event_file

    if path is not None:
        return load_event_file(path)
    if first_room is not None and default_path(first_room).is_file():
        return load_event_file(default_path(first_room))
    return None


def _event_report(args: argparse.Namespace, library: Library) -> int:
    from facilitator.event.rooms import opened_rooms
    from facilitator.report.write import write_event_report

    event = _event_file(args.event, None) if args.event else None
    refs = list(args.rooms) or (event.room_refs() if event else [])
    if not refs:
        raise UsageError("event report: name the rooms' session files or ids (or give --event "
                         "FILE with rooms = [...])")
    with opened_rooms(refs, library) as rooms:
        event = event or _event_file(None, rooms[0].file)
        title = args.title or (event.title if event else "")
        if not title:
            raise UsageError("event report: --title: give the event a title (or title = ... in "
                             "the event file)")
        written = write_event_report(rooms, title=title, out_dir=args.out, formats=args.format,
                                     event=event, lang=args.lang)
    for path in written:
        print(path)
    return EXIT_OK


def _event_map(args: argparse.Namespace, library: Library) -> int:
    from facilitator.core.event import theme_key
    from facilitator.event.file import add_theme_mapping, default_path
    from facilitator.event.rooms import opened_rooms

    with opened_rooms([args.room], library) as (room,):
        names = sorted({t.name for t in room.store.themes()})
        if theme_key(args.theme) not in {theme_key(n) for n in names}:
            raise UsageError(f"{room.file}: no theme {args.theme!r}; its themes: "
                             f"{', '.join(names) or 'none'}")
        path = args.event or default_path(room.file)
        add_theme_mapping(path, room.store.session_id, args.theme, args.onto)
    print(path)
    return EXIT_OK


def _event_watch(args: argparse.Namespace, library: Library) -> int:
    from facilitator.event.watch import WatchError, parse_link
    from facilitator.tui.event import run_watch

    event = _event_file(args.event, None) if args.event else None
    links = list(args.links) or (list(event.links) if event else [])
    if not links:
        raise UsageError("event watch: give each room's organiser link (the room's facilitator "
                         "shows it with k), or --event FILE with links = [...]")
    for link in links:  # a link that is not one is refused before anything starts
        try:
            parse_link(link)
        except WatchError as exc:
            raise UsageError(f"event watch: {exc}") from None
    title = args.title or (event.title if event else "")
    return run_watch(links, title=title, host=args.host, port=args.port,
                     interval=args.interval, lang=args.lang)


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
    "event": cmd_event,
}


def _fail(code: int, message: str) -> NoReturn:
    print(f"facilitator: {message}", file=sys.stderr)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    from facilitator.platforms import utf8_stdio

    utf8_stdio()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK

    from facilitator.core.errors import Refused
    from facilitator.core.templates import TemplateError
    from facilitator.event.file import EventFileError
    from facilitator.event.rooms import RoomError
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
    except (TemplateError, NotFound, UsageError, SessionCorrupt, SessionLinked, EventFileError,
            RoomError) as exc:
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
