"""The facilitator's app: the home screen or a session, the session's host (the participant
server and the store, :mod:`facilitator.host`), and :func:`run_tui`, the entry point of
``facilitator run`` and ``facilitator demo``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import webbrowser
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from rich.text import Text
from textual import on
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.command import CommandPalette
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from facilitator.collector import collector_paused
from facilitator.core.templates import Template
from facilitator.core.text import clean_text
from facilitator.session.files import StoreError
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore
from facilitator.tui import actions
from facilitator.tui.desk import ServerSeen, ServerState
from facilitator.tui.i18n import _, set_language
from facilitator.tui.messages import ReportFailed, ReportReady
from facilitator.tui.refusals import said
from facilitator.tui.resume import AS_INSTALLED, Start, resume_command, where_to_resume
from facilitator.tui.screens.dialogs import ConfirmDialog
from facilitator.tui.view_saver import save_view

if TYPE_CHECKING:
    from facilitator.host.handle import Host, HostLost
    from facilitator.preflight import Target
    from facilitator.tui.screens.home import HomeScreen

log = logging.getLogger(__name__)

SAVE_WITHIN_S = 5.0
"""How long quitting waits to save the facilitator's view before it goes on anyway."""

EXIT_OK, EXIT_CRASHED = 0, 1


def has_desktop() -> bool:
    """Whether a browser can open beside the terminal: always on Windows and macOS, elsewhere
    only under a desktop (X11 or Wayland)."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


HostFactory = Callable[[SessionStore], "Host"]
"""Makes the host of the session the app opened: :class:`facilitator.host.handle.ChildHost`
for ``facilitator run`` (:func:`child_host`); the tests make an ``InProcessHost``."""


def child_host(bind: str | None, port: int, public_url: str | None) -> HostFactory:
    """What ``facilitator run`` uses: the participant server and the session's store in a
    process of their own (:mod:`facilitator.host`), the TUI on a copy of the session."""

    def make(store: SessionStore) -> Host:
        from facilitator.host.handle import ChildHost

        return ChildHost(store, bind=bind, port=port, public_url=public_url)

    return make


def report_markdown(path: Path) -> str:
    """The report as Markdown, from a read-only open of the session file (run in a thread:
    the file on disk is always a complete document, and nothing here touches the live store).

    The garbage collector waits meanwhile: the thread allocates a whole second copy of the
    session, and a full collection over it holds the GIL long enough to stall the event loop
    (~80 ms at 5,000 contributions, against ~35 ms without). It runs again right after.
    """
    from facilitator.report import build_markdown

    with collector_paused():
        return build_markdown(SessionStore.open(path, read_only=True))


def preview_markdown(path: Path) -> str:
    """The report for the in-app preview: long tables cut short (see :func:`shorten_tables`)."""
    from facilitator.tui.screens.report import PREVIEW_TABLE_ROWS, shorten_tables

    return shorten_tables(report_markdown(path), PREVIEW_TABLE_ROWS)


class FacilitatorApp(App[int]):
    TITLE = "facilitator"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = list(actions.bindings(actions.APP))

    server_state: reactive[ServerState] = reactive(ServerState)
    """The participant server's state; the session screen watches it."""
    wall_open: reactive[bool] = reactive(False)
    """Whether the wall was opened in this laptop's browser (W, or ``run --wall``): the room
    then sees the wall on the projector, and this terminal is the facilitator's own screen.
    The session screen watches it."""

    def __init__(
        self,
        library: Library,
        templates: Templates,
        *,
        store: SessionStore | None = None,
        lang: str | None = None,
        host_factory: HostFactory | None = None,
        clock: Callable[[], float] = time.time,
        preflight: bool = False,
        open_wall: bool = False,
        start: Start = AS_INSTALLED,
    ) -> None:
        self.lang = set_language(lang or (store.info.lang if store else "nl"))
        super().__init__()
        self.library = library
        self.templates = templates
        self.store = store
        self.host_factory = host_factory
        """None: the session stays in the app's loop, without phones (the TUI benchmark)."""
        self.server: Host | None = None
        """The session's host: the participant server's links, and its state."""
        self.clock = clock
        self.last_view_state: dict[str, Any] | None = None
        """The facilitator's view as it is now (saved on quitting at the latest)."""
        self._view_saved: dict[str, Any] | None = None
        """The view as the view file holds it (None: not written in this run)."""
        self.report_formats: tuple[str, ...] = ("md", "html", "pdf")
        self.preflight = preflight
        """Check once the page listens whether phones can reach it, and show the preflight
        when something looks wrong (``facilitator run``; tests leave it off)."""
        self.open_wall_when_ready = open_wall
        """``run --wall``: open the wall in the browser once the participant page runs."""
        self.start = start
        """How the app was started: the command that resumes the session repeats it."""
        self._shut = False

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        if self.store is not None:
            self.start_session(self.store, switch=False)
        else:
            from facilitator.tui.screens.home import HomeScreen

            self.push_screen(HomeScreen(self.library, self.templates))

    @on(Worker.StateChanged)
    def handle_worker_error(self, message: Worker.StateChanged) -> None:
        """The one place where a worker that failed is reported (a store call the session's
        rules refused, a file that could not be written, a bug): the session goes on, the
        facilitator reads why in the TUI's language, a bug's traceback goes to the log. Workers
        that may fail run on the app (``app.run_worker``) so that their failure comes here;
        the worker's name, when it has one, is the notice's title."""
        error = message.worker.error
        if message.state is WorkerState.ERROR and error is not None:
            self.notify(said(error), title=message.worker.name or _("Not done"),
                        severity="error", markup=False)

    def on_home_screen_session_opened(self, message: HomeScreen.SessionOpened) -> None:
        """The home screen opened or made a session: show it and start its server."""
        self.start_session(message.store)

    # -- the session and its participant server -----------------------------------------------

    def start_session(self, store: SessionStore, *, switch: bool = True) -> None:
        """Show the session and start its host: an opening screen while the host takes the
        session, then the session's screen on the copy it follows."""
        self.store = store
        self.sub_title = store.info.title
        if self.host_factory is None:
            self._show(self._session_screen(store), switch)
            self.server_state = ServerState(problem=_("The participant page is off."))
            return
        from facilitator.tui.screens.opening import OpeningScreen

        self.server = self.host_factory(store)
        self._show(OpeningScreen(), switch)
        self.run_worker(self._host_session(self.server), group="server", exit_on_error=False)

    def _session_screen(self, store: SessionStore) -> Screen[Any]:
        from facilitator.tui.screens.session import SessionScreen

        self.store = store
        return SessionScreen(store, self)

    def _show(self, screen: Screen[Any], switch: bool) -> None:
        if switch:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    async def _host_session(self, server: Host) -> None:
        """The session into the host's process; then its screen, in place of the opening one."""
        try:
            store = await server.take_over()
        except Exception as exc:  # say why rather than leave the opening screen up
            expected = isinstance(exc, StoreError | OSError)  # could not open it, or not start
            if not expected:
                log.exception("the session could not move to its host")
            self.server = None
            self.store = None
            self.exit(EXIT_CRASHED, return_code=EXIT_CRASHED,
                      message=Text(str(exc) if expected else repr(exc)))
            return
        server.watch_lost(self._host_lost)
        self.server_state = ServerState()
        self._show(self._session_screen(store), switch=True)
        await self._start_server(server)

    def _host_lost(self, lost: HostLost) -> None:
        why = (_("The participant page stopped unexpectedly. Everything it acknowledged is "
                 "saved: quit and run the session again.") if lost.followed else
               _("The screen stopped following the session, so the participant page was "
                 "stopped. Everything it acknowledged is saved: quit and run the session "
                 "again."))
        details = [_("exit code {code}").format(code=lost.exit_code)] if lost.exit_code else []
        said = clean_text(lost.said, multiline=False)[:200]  # its log may quote a request
        if said:
            details.append(said)
        if details:
            why += f" ({': '.join(details)})"
        self.server_state = ServerState(problem=why)
        self.notify(why, severity="error", timeout=30, markup=False)

    async def _start_server(self, server: Host) -> None:
        """Wait until the server listens. One that does not start stays the app's to stop on
        quitting: in a process of its own it still holds the session."""
        try:
            await server.start()
        except ConnectionError:  # the host stopped before it listened: _host_lost says why
            return
        except ImportError as exc:
            self.server_state = ServerState(problem=_(
                "The participant page is not available: {error}").format(error=exc))
        except OSError as exc:
            self.server_state = ServerState(problem=_(
                "The participant page could not start: {error}. Another program may be using "
                "its port: close that program, or start the session again with another port "
                "number (--port 8081).").format(error=exc.strerror or exc))
            self.notify(self.server_state.problem, severity="error", timeout=15, markup=False)
        else:
            self.server_state = ServerState(ready=True)
            if self.open_wall_when_ready:
                self.open_wall_when_ready = False
                self.open_wall()
            if self.preflight:
                self.run_worker(self._preflight(), group="preflight", exit_on_error=False)

    async def _preflight(self) -> None:
        """The preflight, once, at the start: shown only when something looks wrong."""
        from facilitator.preflight import check, findings, looks_wrong
        from facilitator.tui.screens.preflight import PreflightScreen

        target = self.preflight_target()
        if target is None:
            return
        checked = await asyncio.to_thread(check, target)
        if looks_wrong(findings(checked)):
            # After the screen in hand is drawn (the session's may only just have replaced
            # the opening screen).
            self.call_after_refresh(self.push_screen,
                                    PreflightScreen(self.preflight_target, checked))

    @property
    def server_ready(self) -> bool:
        return self.server_state.ready

    @property
    def server_problem(self) -> str:
        return self.server_state.problem

    def server_url(self, kind: str) -> str | None:
        """The running participant server's ``room`` (the short link in the QR code), ``wall``,
        ``organiser``, ``moderation`` or ``comoderator`` address (None while it does not run, or
        that link is off)."""
        server = self.server
        if server is None or not self.server_state.ready:
            return None
        match kind:
            case "room":
                return server.room_link
            case "wall":
                return server.wall_url
            case "organiser":
                return server.organiser_url
            case "moderation":
                return server.moderation_url
            case "comoderator":
                return server.comoderator_url
        raise ValueError(f"no such address of the participant server: {kind!r}")

    def server_seen(self) -> ServerSeen | None:
        """What the join panel shows of the running participant server (None: not running)."""
        server = self.server
        if server is None or not self.server_state.ready:
            return None
        capacity = server.capacity
        return ServerSeen(server.room_link, tuple(server.room_links), server.devices_seen,
                          carries=capacity.phones if capacity is not None else None,
                          open_files=capacity.files.limit if capacity is not None else None)

    def watch_join_url(self, callback: Callable[[], None]) -> Callable[[], None] | None:
        """``callback`` on each new join code of the participant server (None: no server)."""
        return self.server.watch_join_url(callback) if self.server is not None else None

    def preflight_target(self) -> Target | None:
        """What the preflight checks: where the running participant page sends phones."""
        from facilitator.net import own_addresses
        from facilitator.preflight import Target

        server = self.server
        if server is None or not self.server_state.ready:
            return None
        parts = urlsplit(server.join_url)
        return Target(f"{parts.scheme}://{parts.netloc}",
                      public_url=bool(server.public_url),
                      devices=server.devices_seen, own_addresses=own_addresses())

    # -- the wall on the projector ------------------------------------------------------------

    def open_wall(self) -> None:
        """Open the wall in this laptop's browser, for the projector (the room's face: the QR
        code, the question, what arrives, the results), and say how to put it there."""
        url = self.server_url("wall")
        if url is None:
            self.notify(_("The participant page is not running yet: the wall opens once it "
                          "does."), severity="warning", markup=False)
            return
        self.run_worker(self._open_wall(url), group="wall", exit_on_error=False)

    async def open_in_browser(self, url: str) -> bool:
        """Open ``url`` in this laptop's browser, in a new window; False when none could be
        (the caller then says the address). In a console without a desktop Python's
        ``webbrowser`` would start a text browser in this very terminal: not tried there."""
        if not has_desktop():
            return False
        try:
            return await asyncio.to_thread(webbrowser.open, url, 1)
        except webbrowser.Error:
            return False

    async def _open_wall(self, url: str) -> None:
        opened = await self.open_in_browser(url)
        if not opened:
            self.notify(_("No browser could be opened from here. Open the wall in a browser "
                          "yourself, on the projector's screen: {url}").format(url=url),
                        severity="warning", timeout=60, markup=False)
            return
        self.wall_open = True
        self.notify(_("The wall is open in your browser. Move its window to the projector's "
                      "screen and make it full screen there (F11; on a Mac ctrl+cmd+F). This "
                      "terminal stays on your own screen."),
                    title=_("The wall for the projector"), timeout=30, markup=False)

    # -- the command palette and help ---------------------------------------------------------

    def commands_of(self, screen: Screen[Any]) -> list[tuple[actions.Command, Any]]:
        """The commands a screen offers, each with where it runs: the screen's own (its
        ``ACTIONS``), then the app's that work there (the report and export need a session)."""
        own: Iterable[actions.Command] = getattr(screen, "ACTIONS", ())
        found: list[tuple[actions.Command, Any]] = [(c, screen) for c in own]
        taken = {c.keys for c, _target in found}
        for command in actions.APP:
            if command.keys not in taken and self.check_action(command.action, ()) is not False:
                found.append((command, self))
        return found

    def action_command_palette(self) -> None:
        """The palette (ctrl+p), its search box in the TUI's language."""
        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]
            self.push_screen(CommandPalette(id="--command-palette",
                                            placeholder=_("Search for a command…")))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette (ctrl+p): every command of the screen, in the TUI's language, from the
        same registry as its keys (facilitator.tui.actions)."""
        for command, target in self.commands_of(screen):
            help_text = _(command.help) if command.help else ""
            keys = _("key: {key}").format(key=command.all_keys)
            yield SystemCommand(_(command.name), f"{help_text} ({keys})" if help_text else keys,
                                partial(target.run_action, command.action))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("report_preview", "export_report"):
            return self.store is not None
        return True

    def action_help(self) -> None:
        from facilitator.tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen([c for c, _target in self.commands_of(self.screen)]))

    def action_report_preview(self) -> None:
        self.report_preview()

    def action_export_report(self) -> None:
        self.export_report()

    def save_view(self, state: dict[str, Any]) -> None:
        """Keep the facilitator's view in the view file beside the session (a worker: the
        file is fsynced). Not a change of the session: nobody else hears of it."""
        self.last_view_state = state
        if self.store is None or state == self._view_saved:
            return
        self._view_saved = state
        self.run_worker(asyncio.to_thread(save_view, self.store.path, state), group="view",
                        exit_on_error=False)

    async def shutdown(self) -> None:
        """Save the view, stop the host and close the store (flushing). Idempotent."""
        if self._shut:
            return
        self._shut = True
        store = self.store
        try:
            state = self.last_view_state
            if store is not None and state is not None and state != self._view_saved:
                self._view_saved = state
                await asyncio.wait_for(asyncio.to_thread(save_view, store.path, state),
                                       SAVE_WITHIN_S)
        except (OSError, TimeoutError):
            log.exception("the view could not be saved")
        finally:
            if self.server is not None:
                try:
                    await self.server.stop()
                except Exception:  # the store must close even when the server did not stop
                    log.exception("participant server did not stop cleanly")
            if store is not None:
                await store.close()

    async def on_unmount(self) -> None:
        await self.shutdown()

    # -- quitting -----------------------------------------------------------------------------

    def round_open(self) -> bool:
        if self.store is None:
            return False
        state = self.store.round_state(self.store.current_round.id)
        return state.submissions_open or state.voting_open

    async def action_quit(self) -> None:
        if isinstance(self.screen, ConfirmDialog):
            return
        if not self.round_open():
            self.exit(EXIT_OK)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit(EXIT_OK)

        command = resume_command(self.library, self.store, self.start) if self.store else ""
        self.push_screen(ConfirmDialog(
            _("The round is still open. Quit anyway? Everything is saved, and this command "
              "picks up where you left off:\n{command}").format(command=command),
            yes=_("Quit"), no=_("Stay")), answered)

    # -- the report ---------------------------------------------------------------------------

    def report_preview(self) -> None:
        """Show the report preview: the screen at once ("preparing…"), the Markdown when a
        thread has made it from a read-only open of the session file (a large session takes
        a few hundred ms, which must not stall the phones or the participant server)."""
        if self.store is None:
            return
        try:
            from facilitator.report import build_markdown  # noqa: F401  (is it installed?)
        except ImportError:
            self.notify(_("The report is not available in this installation."),
                        severity="error", markup=False)
            return
        from facilitator.tui.screens.report import ReportScreen

        screen = ReportScreen()
        self.push_screen(screen)
        self.run_worker(self._preview(self.store.path, screen), group="report",
                        exit_on_error=False)

    async def _preview(self, path: Path, screen: Screen[Any]) -> None:
        try:
            markdown = await asyncio.to_thread(preview_markdown, path)
        except Exception as exc:  # a report problem must not end the session
            log.exception("report preview failed")
            reason = str(exc) or type(exc).__name__
            screen.post_message(ReportFailed(reason))
            self.notify(_("The report could not be made: {error}").format(error=reason),
                        severity="error", markup=False)
            return
        screen.post_message(ReportReady(markdown))

    def export_report(self) -> None:
        if self.store is None:
            return
        path = self.store.path
        out_dir = self.library.data_dir / "reports" / self.store.session_id
        self.notify(_("Writing the report…"), timeout=3, markup=False)
        self.run_worker(self._export(path, out_dir), group="report", exit_on_error=False)

    async def _export(self, path: Path, out_dir: Path) -> None:
        try:
            from facilitator.report import write_report

            written = await asyncio.to_thread(
                write_report, path, formats=list(self.report_formats), out_dir=out_dir,
                names=False)
        except Exception as exc:  # shown to the facilitator; the session goes on
            log.exception("report export failed")
            self.notify(_("The report could not be written: {error}").format(error=exc),
                        severity="error", timeout=10, markup=False)
            return
        self.notify(_("Report written:") + "\n" + "\n".join(str(p) for p in written),
                    timeout=15, markup=False)

    def print_cards(self) -> None:
        """Write the table cards (PDF) beside the report: the address the participant page
        runs on (the server records it in the session), each table's code as issued now."""
        if self.store is None:
            return
        session_id = self.store.session_id
        out = self.library.data_dir / "reports" / session_id / f"{session_id}-cards.pdf"
        self.notify(_("Printing the table cards…"), timeout=3, markup=False)
        self.run_worker(self._print_cards(self.store.path, out), group="report",
                        exit_on_error=False)

    async def _print_cards(self, path: Path, out: Path) -> None:
        try:
            from facilitator.report import write_cards

            cards = await asyncio.to_thread(write_cards, path, out)
        except Exception as exc:  # shown to the facilitator; the session goes on
            log.exception("printing the table cards failed")
            self.notify(_("The table cards could not be written: {error}").format(error=exc),
                        severity="error", timeout=10, markup=False)
            return
        self.notify(_("Table cards for {address}:").format(address=cards.base) + "\n"
                    + str(cards.path), timeout=15, markup=False)


def run_tui(
    *,
    library: Library,
    templates: Templates,
    session: Path | None,
    template: Template | None,
    title: str | None,
    lang: str | None,
    host: str | None,
    port: int,
    public_url: str | None,
    wall: bool = False,
) -> int:
    """Run the app: resume ``session``, start a new one from ``template``, or the home screen;
    ``wall``: open the wall in the browser once the participant page runs. Returns the exit
    code: 0, or 1 when the app crashed."""
    store: SessionStore | None = None
    if session is not None:
        store = SessionStore.open(session)
    elif template is not None:
        store = library.create(template, title=title, lang=lang)
    app = FacilitatorApp(library, templates, store=store, lang=lang,
                         host_factory=child_host(host, port, public_url), open_wall=wall,
                         preflight=True, start=Start.here(host, port, public_url))
    del store  # the app hands it to the host and keeps its copy: no second copy in memory

    async def main() -> None:
        try:
            await app.run_async()
        finally:
            await app.shutdown()

    try:
        asyncio.run(main())
    except Exception:
        log.exception("the app crashed")
        code: int | None = EXIT_CRASHED
    else:
        code = app.return_code
    if app.store is not None:
        print(where_to_resume(library, app.store, app.start), flush=True)
    return EXIT_CRASHED if code is None else code

