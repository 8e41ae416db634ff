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
from typing import TYPE_CHECKING, Any, NoReturn

from facilitator import __version__
from facilitator.cli_i18n import _, language_asked, ngettext, use_language

if TYPE_CHECKING:
    from facilitator.core.templates import Template
    from facilitator.event.file import EventFile
    from facilitator.session.library import Library, NotFound, Templates
    from facilitator.web.capacity import RoomCapacity
    from facilitator.web.server import ParticipantServer

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
            _("unknown format {formats}; choose from {choices}").format(
                formats=", ".join(unknown) or repr(value), choices=choices))
    return formats


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("not a port number: {value}").format(value=repr(value))) from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(_("port {port} is outside 0-65535").format(port=port))
    return port


def _interval(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("not a number of seconds: {value}").format(value=repr(value))) from None
    if not 0.2 <= seconds <= 60:
        raise argparse.ArgumentTypeError(
            _("{value} s is outside 0.2-60 s").format(value=value))
    return seconds


def _text(value: str) -> str:
    """Text typed on the command line (a title, a theme's name), cleaned as typed text is
    everywhere (control characters such as DEL removed). Bytes that are not UTF-8 (a terminal
    or script in another encoding) reach Python as lone surrogates: refused by name."""
    from facilitator.core.text import clean_text

    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise argparse.ArgumentTypeError(
            _("{value} is not UTF-8 text; type it in a terminal set to UTF-8").format(
                value=repr(value))) from None
    return clean_text(value, multiline=False)


def _tables(value: str) -> tuple[str, ...]:
    from facilitator.core.joining import MAX_TABLES, TablesProblem, TablesRefused, table_names

    try:
        return table_names(value)
    except TablesRefused as refused:
        problem = {
            TablesProblem.TOO_MANY: _("at most {n} tables").format(n=MAX_TABLES),
            TablesProblem.TWICE: _("the table {name} is named twice").format(
                name=repr(refused.name)),
            TablesProblem.TOO_LONG: _("the table name {name} is too long").format(
                name=repr(refused.name))}
        raise argparse.ArgumentTypeError(f"{value!r}: {problem[refused.problem]}") from None


def _invited(value: str) -> dict[str, int]:
    """``group=N,group=N``: how many of each stakeholder group were invited."""
    from facilitator.session.documents import MAX_ROOM_SIZE

    invited: dict[str, int] = {}
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        group, sep, count = (x.strip() for x in part.partition("="))
        if not sep or not group or not count.isdigit() or int(count) > MAX_ROOM_SIZE:
            raise argparse.ArgumentTypeError(
                _("{part}: write GROUP=N, N a number of people from 0 to {most}").format(
                    part=repr(part), most=MAX_ROOM_SIZE))
        if group in invited:
            raise argparse.ArgumentTypeError(
                _("the group {group} is named twice").format(group=repr(group)))
        invited[group] = int(count)
    return invited


def _licence(value: str) -> str:
    from facilitator.report.opendata import LICENCES

    if value not in LICENCES:
        raise argparse.ArgumentTypeError(_("unknown licence {value}; choose from {choices}").format(
            value=repr(value), choices=", ".join(LICENCES)))
    return value


def _public_url(value: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            _("{value} is not a web address; give it as http://HOST[:PORT] or https://HOST")
            .format(value=repr(value)))
    return value.rstrip("/")


SESSION_HELP = "a session: its id, the start of its id, or its file"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facilitator",
        description=_("Run a live co-creation workshop from one laptop."),
        epilog=_("Start with `facilitator demo`. Sessions are kept in --data-dir "
                 "(or $FACILITATOR_DATA_DIR)."),
    )
    parser.add_argument("--version", action="version", version=f"facilitator {__version__}")
    # --data-dir and --templates before the command or after it: every command takes them too,
    # without a default of its own (SUPPRESS), so one given before the command stays.
    shared = argparse.ArgumentParser(add_help=False)
    for options, default in ((parser, None), (shared, argparse.SUPPRESS)):
        options.add_argument("--data-dir", type=Path, default=default, metavar="DIR",
                             help=_("where sessions are kept"))
        options.add_argument("--templates", type=Path, default=default, metavar="DIR",
                             help=_("a folder of your own session templates (*.toml)"))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add_command(group: Any, name: str, **kwargs: str) -> argparse.ArgumentParser:
        """A command of ``group`` (what ``add_subparsers`` returned) that takes the shared
        options too."""
        parser: argparse.ArgumentParser = group.add_parser(name, parents=[shared], **kwargs)
        return parser

    def server_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--host", help=_("address to listen on (default: this laptop's LAN address)"))
        sub.add_argument(
            "--port", type=_port, default=DEFAULT_PORT, help=_("port (default: %(default)s)")
        )
        sub.add_argument(
            "--public-url",
            metavar="URL",
            type=_public_url,
            help=_("the address phones use, when it differs (reverse proxy, hotspot)"),
        )

    demo = add_command(commands, "demo", help=_("open a demo session filled with sample input"))
    demo.add_argument("--lang", choices=("nl", "en"),
                      help=_("language of the facilitator screens"))
    demo.add_argument("--wall", action="store_true", help=_(
        "open the wall in this laptop's browser, for the projector"))
    server_options(demo)

    run = add_command(commands, "run",
                              help=_("run a session in the terminal, with the phone page"))
    run.add_argument(
        "target",
        nargs="?",
        metavar="TEMPLATE|SESSION",
        help=_("a template starts a new session, a session id resumes one; none: the home "
               "screen"),
    )
    run.add_argument("--title", type=_text, help=_("title of a new session"))
    run.add_argument("--lang", choices=("nl", "en"),
                     help=_("language of the facilitator screens"))
    run.add_argument("--wall", action="store_true", help=_(
        "open the wall in this laptop's browser, for the projector (the room sees the wall, "
        "the terminal stays on your own screen)"))
    server_options(run)

    serve = add_command(commands, "serve",
                                help=_("only the participant server (prints the join URL)"))
    serve.add_argument("session", metavar="SESSION", help=_(SESSION_HELP))
    server_options(serve)

    new = add_command(commands, "new", help=_("create a session from a template"))
    new.add_argument("template", metavar="TEMPLATE", help=_(
        "a template's name (facilitator templates lists them) or a template file"))
    new.add_argument("--title", type=_text, help=_("session title (default: the template's)"))
    new.add_argument("--lang", choices=("nl", "en"), help=_("session language"))
    new.add_argument("--place", type=_text, default="",
                     help=_("where the session takes place"))
    new.add_argument("--tables", type=_tables, metavar="N|NAMES",
                     help=_("the tables, each with its own table card: a number (tables 1 to "
                            "N) or names separated by commas (default: the template's; 0: one "
                            "card for the room)"))
    new.add_argument("--invited", type=_invited, metavar="GROUP=N,...",
                     help=_("how many people of each stakeholder group were invited (the "
                            "audit sets who came against it), e.g. municipality=6,migrant_org=4"))

    add_command(commands, "list", help=_("list sessions"), description=_(
        "The sessions in the data folder, newest first: id, when it was made, participants, "
        "contributions and title."))
    add_command(commands, "templates", help=_("list templates (built-in and your own)"),
                description=_("The session templates you can start a session from: the "
                              "built-in ones and those in --templates."))

    report = add_command(commands, "report", help=_("write the session report"))
    report.add_argument("session", metavar="SESSION", help=_(SESSION_HELP))
    report.add_argument(
        "--format",
        type=_formats,
        default=["md", "html", "pdf"],
        help=_("comma-separated: md,html,pdf,csv (default: md,html,pdf)"),
    )
    report.add_argument("--out", type=Path, default=Path("."), help=_("folder (default: here)"))
    report.add_argument(
        "--names", action="store_true", help=_("name participants who consented to be named")
    )

    cards = add_command(commands,
        "cards", help=_("printable QR table cards (PDF), one per table, each with its own code"),
        description=_("Printable QR table cards: one A4 page per table, each with the "
                      "session's address, the table's own join code and a link that picks the "
                      "table. The address is where the session's participant page runs (or "
                      "last ran), unless --public-url, --host or --port say otherwise."))
    cards.add_argument("session", metavar="SESSION", help=_(SESSION_HELP))
    cards.add_argument("--out", type=Path, help=_("file (default: SESSION-cards.pdf)"))
    cards.add_argument(
        "--public-url", metavar="URL", type=_public_url, help=_("the address phones use")
    )
    cards.add_argument("--host", help=_("the laptop address to print (default: where the "
                                        "session runs, else this laptop's LAN address)"))
    cards.add_argument("--port", type=_port, help=_(
        "the port to print (default: where the session runs, else {port})").format(
            port=DEFAULT_PORT))

    export = add_command(commands, "export",
                                 help=_("a session as one portable JSON file (stdout)"))
    export.add_argument("session", metavar="SESSION", help=_(SESSION_HELP))
    export.add_argument("--out", type=Path, help=_("write to this file instead of stdout"))
    export.add_argument("--open-data", type=Path, metavar="DIR", help=_(
        "write an open data package (CSV files and datapackage.json) into DIR instead: "
        "anonymous, without the room's keys"))
    export.add_argument("--licence", type=_licence, default="CC-BY-4.0", help=_(
        "the open data package's licence (default: CC-BY-4.0)"))

    imp = add_command(commands, "import", help=_("add a session from an exported JSON file"))
    imp.add_argument("file", type=Path, metavar="FILE",
                     help=_("a file written by facilitator export"))

    event = add_command(commands, "event", help=_("one event, many rooms: the day's report and "
                                                "a live overview of every room"))
    event_commands = event.add_subparsers(dest="event_command", metavar="EVENT_COMMAND",
                                          required=True)
    event_report = add_command(
        event_commands, "report",
        help=_("one report of several rooms' sessions (files, exports or ids)"))
    event_report.add_argument("rooms", nargs="*", metavar="FILE_OR_SESSION",
                              help=_("the rooms; none: the event file's rooms"))
    event_report.add_argument("--title", type=_text,
                              help=_("the event's title (default: the event file's)"))
    event_report.add_argument("--out", type=Path, default=Path("."),
                              help=_("folder (default: here)"))
    event_report.add_argument("--format", type=_formats, default=list(REPORT_FORMATS),
                              help=_("comma-separated: md,html,pdf,csv (default: all four)"))
    event_report.add_argument("--event", type=Path, metavar="FILE", help=_(
        "the event file: rooms, organiser links, themes mapped (default: event.toml beside "
        "the first room's file, when there is one)"))
    event_report.add_argument("--lang", choices=("nl", "en"), help=_("language of the report"))
    event_report.add_argument("--open-data", type=Path, metavar="DIR", help=_(
        "also write the event as an open data package (CSV files and datapackage.json) into "
        "DIR"))
    event_report.add_argument("--licence", type=_licence, default="CC-BY-4.0", help=_(
        "the open data package's licence (default: CC-BY-4.0)"))

    event_map = add_command(
        event_commands, "map", help=_("show one room's theme together with another name's in "
                                      "the event report"))
    event_map.add_argument("room", metavar="FILE_OR_SESSION", help=_("the room"))
    event_map.add_argument("theme", metavar="THEME", type=_text,
                           help=_("its theme, as named in the room"))
    event_map.add_argument("--onto", required=True, metavar="NAME", type=_text,
                           help=_("the theme (of another room) to show it with"))
    event_map.add_argument("--event", type=Path, metavar="FILE", help=_(
        "the event file (default: event.toml beside the room's file)"))

    watch = add_command(
        event_commands, "watch",
        help=_("a live overview of every room, pulled from their organiser links"))
    watch.add_argument("links", nargs="*", metavar="LINK",
                       help=_("each room's organiser link (the room's TUI shows it, key k)"))
    watch.add_argument("--event", type=Path, metavar="FILE",
                       help=_("an event file whose links = [...] names the rooms"))
    watch.add_argument("--title", type=_text, help=_("the event's title"))
    watch.add_argument("--host", default="127.0.0.1", help=_(
        "address of the event wall (default: %(default)s, this laptop only)"))
    watch.add_argument("--port", type=_port, default=8090,
                       help=_("port of the event wall (default: %(default)s)"))
    watch.add_argument("--interval", type=_interval, default=2.0,
                       help=_("seconds between two pulls of a room (default: %(default)s)"))
    watch.add_argument("--lang", choices=("nl", "en"), help=_("language of the overview"))
    return parser


# -- commands ---------------------------------------------------------------------------------


def coverage_lines(template: Template) -> list[str]:
    """What ``facilitator templates`` says about a template's participant languages: the complete
    ones, then for each incomplete one the texts that lack it (or that none has it)."""
    from facilitator.core.templates import language_coverage

    coverage = language_coverage(template)
    lines = [_("languages complete: {languages}").format(languages=" ".join(coverage.complete))]
    untranslated = [lang for lang in coverage.incomplete
                    if len(coverage.missing[lang]) == coverage.texts]
    if untranslated:
        lines.append(_("not translated: {languages} (shown in the session's language)").format(
            languages=" ".join(untranslated)))
    for lang in coverage.incomplete:
        if lang not in untranslated:
            missing = coverage.missing[lang]
            lines.append(ngettext("{lang}: {n} of {total} text missing: {keys}",
                                  "{lang}: {n} of {total} texts missing: {keys}",
                                  coverage.texts).format(
                lang=lang, n=len(missing), total=coverage.texts, keys=", ".join(missing)))
    return lines


def cmd_templates(args: argparse.Namespace, library: Library, templates: Templates) -> int:
    good, bad = templates.load_all()
    for template, path in sorted(good, key=lambda item: item[0].id):
        title = template.title.get(template.default_lang, template.id)
        rounds = " → ".join(spec.id for spec in template.rounds)
        count = ngettext("{n} round", "{n} rounds", len(template.rounds)).format(
            n=len(template.rounds))
        print(f"{template.id:<22} {title}\n{'':<22} {count}: {rounds}")
        for line in coverage_lines(template):
            print(f"{'':<22} {line}")
        print(f"{'':<22} {path}")
    for error in bad:
        print(f"error: {error}", file=sys.stderr)
    return EXIT_USAGE if bad else EXIT_OK


def cmd_new(args: argparse.Namespace, library: Library, templates: Templates) -> int:
    template = templates.load(args.template)
    invited = args.invited or {}
    unknown = [g for g in invited if template.group(g) is None]
    if unknown:
        raise UsageError(_("--invited: {template} has no stakeholder group {group}; its "
                           "groups: {groups}").format(
            template=template.id, group=repr(unknown[0]),
            groups=", ".join(g.id for g in template.groups)))
    store = library.create(template, title=args.title, lang=args.lang, place=args.place,
                           tables=args.tables)

    async def finish() -> None:
        try:
            if invited:
                await store.set_invited(invited)
        finally:
            await store.close()

    asyncio.run(finish())
    print(store.session_id)
    print(store.path)
    return EXIT_OK


def cmd_list(args: argparse.Namespace, library: Library, templates: Templates) -> int:
    entries = library.entries()
    if not entries:
        print(_("No sessions yet in {folder}. Start one with `facilitator run TEMPLATE`.")
              .format(folder=library.folder))
        return EXIT_OK
    import time

    for entry in entries:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.created))
        if entry.problem:
            print(f"{entry.session_id:<36} {when}  "
                  + _("unreadable: {problem}").format(problem=entry.problem))
            continue
        print(
            f"{entry.session_id:<36} {when}  {entry.participants:>4} "
            + ngettext("participant", "participants", entry.participants)
            + f" {entry.contributions:>5} "
            + ngettext("contribution", "contributions", entry.contributions)
            + f"  {entry.title}"
        )
    print(_("contributions: those that count, as in the report and the audit (hidden ones and "
            "those awaiting approval are left out)"), file=sys.stderr)
    return EXIT_OK


def cmd_export(args: argparse.Namespace, library: Library, templates: Templates) -> int:
    if args.open_data is not None:
        return _open_data(args, library)
    data = library.export(args.session)
    if args.out:
        try:
            args.out.write_bytes(data + b"\n")
        except OSError as exc:
            raise UsageError(_("{file}: cannot write the export ({reason})").format(
                file=args.out, reason=exc.strerror)) from None
        print(args.out)
    else:
        sys.stdout.buffer.write(data + b"\n")
    return EXIT_OK


def _open_data(args: argparse.Namespace, library: Library) -> int:
    """``export --open-data DIR``: the session as an open data package."""
    from facilitator.report.opendata import write_session_package
    from facilitator.session.store import SessionStore

    store = SessionStore.open(library.resolve(args.session), read_only=True)
    try:
        path = write_session_package(store, args.open_data, licence=args.licence)
    except OSError as exc:
        raise UsageError(_("{file}: cannot write the open data package ({reason})").format(
            file=args.open_data, reason=exc.strerror or exc)) from None
    finally:
        asyncio.run(store.close())
    print(path)
    return EXIT_OK


def cmd_import(args: argparse.Namespace, library: Library, templates: Templates) -> int:
    entry = library.import_file(args.file)
    print(entry.session_id)
    print(entry.path)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, library: Library, templates: Templates) -> int:
    from facilitator.session.store import SessionStore
    from facilitator.web.capacity import raise_open_files
    from facilitator.web.server import serve_forever

    raise_open_files()  # each phone holds a connection: as many as the system allows
    store = SessionStore.open(library.resolve(args.session))
    use_language(store.info.lang)  # serve speaks the session's language, as the TUI does

    async def main() -> None:
        try:
            await serve_forever(store, host=args.host, port=args.port, public_url=args.public_url,
                                announce=lambda server: _announce(server, args.port))
        finally:
            await store.close()

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main())
    except OSError as exc:
        if exc.errno in (errno.EADDRNOTAVAIL, errno.EACCES, errno.EADDRINUSE):
            raise UsageError(_(
                "--host {host} --port {port}: cannot listen there ({reason}); pick an address "
                "of this laptop and a free port").format(
                    host=args.host or "default", port=args.port, reason=exc.strerror)
            ) from None
        raise
    return EXIT_OK


def _announce(server: ParticipantServer, port: int) -> None:
    """What ``serve`` prints once it listens: the join URL first (other tools read it), the
    wall's address second, then the room's short link and what to do when phones cannot
    reach the laptop."""
    from facilitator.core.joining import ROTATE_S
    from facilitator.web.addresses import WILDCARDS

    def say(line: str) -> None:
        print(line, flush=True)

    say(server.join_url)
    say(_("wall: {url}").format(url=server.wall_url))
    say(_("The join code in these links changes every {minutes} minutes (the room's short "
          "link now: {link}): show the wall on the projector, its QR code is always the "
          "current one. Table cards: facilitator cards {session}").format(
              minutes=f"{ROTATE_S / 60:.0f}", link=server.room_link,
              session=server.store.session_id))
    others = [url for url in server.candidate_urls if url != server.join_url]
    if server.host in WILDCARDS:
        for url in others:
            say(_("also: {url}").format(url=url))
    elif others and not server.public_url:
        say(_("other addresses of this laptop (start with --host ADDRESS or --host 0.0.0.0 "
              "to serve there):"))
        for url in others:
            say(f"  {url}")
    if server.only_loopback:
        say(_("Only this laptop can open the link (no network found, or --host 127.0.0.1). "
              "For phones: start a phone hotspot or a travel router, connect the laptop, "
              "and restart with --host 0.0.0.0, or give --public-url."))
    if server.port != port and port != 0:
        say(_("(port {asked} was taken; using {port})").format(asked=port, port=server.port))
    if server.capacity is not None:
        say(_capacity(server.capacity))


def _capacity(capacity: RoomCapacity) -> str:
    """How many phones the laptop's open-files limit carries, and what happens past it."""
    files, phones = capacity.files, f"{capacity.phones:,}"
    if files.limit is None:
        return _("No open-files limit for connections here: room for {phones} phones at "
                 "once.").format(phones=phones)
    if files.raised_from is not None:
        line = _("Open files: {limit} (raised from {before}): room for {phones} phones at once; "
                 "past that, a new phone is told the room is full.").format(
                     limit=f"{files.limit:,}", before=f"{files.raised_from:,}", phones=phones)
    else:
        line = _("Open files: {limit}: room for {phones} phones at once; past that, a new "
                 "phone is told the room is full.").format(limit=f"{files.limit:,}",
                                                           phones=phones)
    if files.at_hard_limit and capacity.phones < 2_000:
        line += " " + _("This laptop allows no more: for a bigger room, ask its administrator "
                        "to raise the hard limit of open files (ulimit -Hn).")
    return line


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
    from facilitator.web.capacity import raise_open_files

    raise_open_files()  # for the session's host, which inherits it (and raises its own)
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
            wall=args.wall,
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
    where = (_("where the session's participant page runs or last ran") if cards.recorded
             else _("as given") if args.public_url or args.host or args.port
             else _("this laptop's address: the session has not run yet"))
    print(_("cards for {address} ({where}; --host, --port or --public-url to change)").format(
        address=cards.base, where=where), file=sys.stderr)
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
        raise UsageError(_("event report: name the rooms' session files or ids (or give "
                           "--event FILE with rooms = [...])"))
    with opened_rooms(refs, library) as rooms:
        event = event or _event_file(None, rooms[0].file)
        title = args.title or (event.title if event else "")
        if not title:
            raise UsageError(_("event report: --title: give the event a title (or title = "
                               "... in the event file)"))
        written = write_event_report(rooms, title=title, out_dir=args.out, formats=args.format,
                                     event=event, lang=args.lang)
        if args.open_data is not None:
            from facilitator.report.event_report import build_event_report
            from facilitator.report.opendata import write_event_package

            report = build_event_report(rooms, title=title, event=event, lang=args.lang)
            try:
                written.append(write_event_package(report, [room.store for room in rooms],
                                                   args.open_data, licence=args.licence))
            except OSError as exc:
                raise UsageError(_("{file}: cannot write the open data package ({reason})")
                                 .format(file=args.open_data,
                                         reason=exc.strerror or exc)) from None
    for path in written:
        print(path)
    return EXIT_OK


def _event_map(args: argparse.Namespace, library: Library) -> int:
    from facilitator.core.combine import theme_key
    from facilitator.event.file import add_theme_mapping, default_path
    from facilitator.event.rooms import opened_rooms

    if not args.onto:
        raise UsageError(_("event map: --onto: give the name of the theme to show it with"))
    with opened_rooms([args.room], library) as (room,):
        names = sorted({t.name for t in room.store.themes()})
        if theme_key(args.theme) not in {theme_key(n) for n in names}:
            raise UsageError(_("{file}: no theme {theme}; its themes: {themes}").format(
                file=room.file, theme=repr(args.theme), themes=", ".join(names) or _("none")))
        path = args.event or default_path(room.file)
        add_theme_mapping(path, room.store.session_id, args.theme, args.onto)
    print(path)
    return EXIT_OK


def _event_watch(args: argparse.Namespace, library: Library) -> int:
    from facilitator.event.watch import WatchError, parse_link
    from facilitator.tui.event_watch import run_watch

    event = _event_file(args.event, None) if args.event else None
    links = list(args.links) or (list(event.links) if event else [])
    if not links:
        raise UsageError(_("event watch: give each room's organiser link (the room's "
                           "facilitator shows it with k), or --event FILE with links = [...]"))
    for link in links:  # a link that is not one is refused before anything starts
        try:
            parse_link(link)
        except WatchError as exc:
            raise UsageError(_("event watch: {problem}").format(problem=exc)) from None
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


def _not_found(exc: NotFound) -> str:
    """A name that is no session or template, in the facilitator's language."""
    choices = ", ".join(exc.choices) or "–"
    if exc.kind == "template":
        return _("no template {name}; the templates: {choices}").format(
            name=repr(exc.name), choices=choices)
    if exc.kind == "several sessions":
        return _("{name} is the start of several sessions: {choices}").format(
            name=repr(exc.name), choices=choices)
    return _("no session {name} in {folder}; `facilitator list` shows the sessions there").format(
        name=repr(exc.name), folder=exc.folder)


def _fail(code: int, message: str) -> NoReturn:
    print(f"facilitator: {message}", file=sys.stderr)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    from facilitator.platforms import utf8_stdio

    utf8_stdio()
    words = list(sys.argv[1:] if argv is None else argv)
    use_language(language_asked(words))  # the help is in it too
    parser = build_parser()
    args = parser.parse_args(words)
    if args.command is None:
        parser.print_help()
        return EXIT_OK

    from facilitator.core.errors import Refused
    from facilitator.core.templates import TemplateError
    from facilitator.event.file import EventFileError
    from facilitator.event.rooms import RoomError
    from facilitator.paths import data_dir
    from facilitator.session.files import (
        FolderNotWritable,
        SessionCorrupt,
        SessionLinked,
        SessionLocked,
        StoreError,
    )
    from facilitator.session.library import Library, NotFound, Templates

    library = Library(data_dir(args.data_dir))
    templates = Templates(args.templates)
    try:
        return COMMANDS[args.command](args, library, templates)
    except NotFound as exc:
        _fail(EXIT_USAGE, _not_found(exc))
    except (TemplateError, UsageError, SessionCorrupt, SessionLinked, EventFileError,
            RoomError) as exc:
        _fail(EXIT_USAGE, str(exc))
    except SessionLocked as exc:
        _fail(EXIT_FAILURE, _("{file}: this session is open in another facilitator process; "
                              "close that one first (only one process may write a "
                              "session).").format(file=exc.path))
    except FolderNotWritable as exc:
        _fail(EXIT_FAILURE, str(exc))
    except Refused as exc:
        _fail(EXIT_USAGE, _("refused: {reason}").format(reason=exc))
    except StoreError as exc:
        _fail(EXIT_USAGE if args.command == "import" else EXIT_FAILURE, str(exc))
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY | getattr(os, "O_BINARY", 0)), sys.stdout.fileno())
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
