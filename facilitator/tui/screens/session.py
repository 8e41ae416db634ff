"""The session screen: header with the timer, agenda, the live feed or the round's results, the
join panel and the room.

Attributes down, messages up: the screen holds what each area shows in a reactive attribute
(plain data from :mod:`facilitator.tui.shown`, built from the store and its read model) and
binds it to the widget of that area (``data_bind``); widgets send messages up (the agenda's
choice, the feed's cursor). The store's commit events arrive as messages, are gathered
(:class:`facilitator.tui.store_events.StoreEvents`) and shown at most once per frame: each
changed table names the areas it touches (:data:`facilitator.tui.store_events.AREAS`), each area
is worked out once, and only rows that changed are redrawn. What a key asks and stores is a
flow (:mod:`facilitator.tui.screens.flows`); every change is a store call run in a worker, and the
screen changes only when the commit comes back (what you see is what is on disk). Keys, the key
bar, the help and the palette come from one registry (facilitator.tui.actions). What the screen
needs of the app comes in as a :class:`facilitator.tui.desk.Desk`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Static

from facilitator.collector import freeze_long_lived
from facilitator.core.groups import ranked_across
from facilitator.core.model import Change, Contribution
from facilitator.core.templates import RoundKind, RoundSpec
from facilitator.qr import terminal_modules
from facilitator.session.store import SessionStore
from facilitator.tui import actions
from facilitator.tui.desk import Desk, ServerState
from facilitator.tui.feed_area import FeedArea
from facilitator.tui.i18n import _, group_name, loc, ngettext
from facilitator.tui.messages import JoinLinkChanged, StoreChanged
from facilitator.tui.screens.flows.contributions import ContributionFlows
from facilitator.tui.screens.flows.keys import SessionKeys
from facilitator.tui.screens.flows.links import LinkFlows
from facilitator.tui.screens.flows.outcomes import OutcomeFlows
from facilitator.tui.screens.flows.round import RoundFlows
from facilitator.tui.shown import (
    FeedRows,
    agenda_rows,
    detail_shown,
    join_shown,
    joining_shown,
    room_rows,
    round_line,
    view_status,
    voice_shown,
)
from facilitator.tui.store_events import PANEL_AREAS, Area, StoreEvents, areas_of
from facilitator.tui.throttle import Throttle
from facilitator.tui.view_saver import ViewSaver, saved_view
from facilitator.tui.widgets.across import next_ranking, ranking_title
from facilitator.tui.widgets.agenda import Agenda, AgendaRow
from facilitator.tui.widgets.detail import ContributionDetail, DetailShown
from facilitator.tui.widgets.feed import FeedTable
from facilitator.tui.widgets.header import RoundHeader, RoundLine
from facilitator.tui.widgets.join_panel import JoinPanel, JoinShown, side_scale, side_width
from facilitator.tui.widgets.joining_watch import Arrivals, JoiningShown, JoiningWatch, burst_line
from facilitator.tui.widgets.keybar import KeyBar
from facilitator.tui.widgets.room import RoomPanel, RoomRow
from facilitator.tui.widgets.round_view import RoundView, round_view
from facilitator.tui.widgets.viewbar import ViewBar, ViewStatus
from facilitator.tui.widgets.voice import VoicePanel, VoiceShown

VIEW_FEED, VIEW_ROUND = "feed-view", "round-view"
VIEW_REFRESH_S = 0.5
"""The results redraw at most this often while input arrives."""
TYPICAL_LINK = "http://192.168.100.100:8080/r/" + "x" * 10
"""What the side panel is sized for before the participant page runs."""


class SessionScreen(SessionKeys, Screen[None]):
    CSS_PATH = "session.tcss"
    AUTO_FOCUS = "#feed"
    ACTIONS: ClassVar[tuple[actions.Command, ...]] = actions.SESSION
    BINDINGS: ClassVar[list[BindingType]] = list(actions.bindings(actions.SESSION))

    # What each area shows, handed down with data_bind. They are data for the widgets, not
    # something the screen draws: a change repaints the widget bound to it, never the screen.
    round_line: reactive[RoundLine | None] = reactive(None, repaint=False)
    now: reactive[float] = reactive(0.0, repaint=False)
    agenda_rows: reactive[tuple[AgendaRow, ...]] = reactive((), repaint=False)
    room_rows: reactive[tuple[RoomRow, ...]] = reactive((), repaint=False)
    join: reactive[JoinShown | None] = reactive(None, repaint=False)
    join_scale: reactive[int] = reactive(1, repaint=False)
    """The side panel's QR code size for this terminal (0: no whole code fits beside the feed:
    the left column points to j)."""
    joining: reactive[JoiningShown | None] = reactive(None, repaint=False)
    status: reactive[ViewStatus | None] = reactive(None, repaint=False)
    detail: reactive[DetailShown | None] = reactive(None, always_update=True, repaint=False)
    view: reactive[str] = reactive(VIEW_FEED, init=False, repaint=False)
    voice: reactive[VoiceShown | None] = reactive(None, repaint=False)

    def __init__(self, store: SessionStore, desk: Desk) -> None:
        super().__init__()
        self.store = store
        self.desk = desk
        self.round_index = store.info.current_round
        view_state = saved_view(store)
        opens_on = VIEW_ROUND if store.current_round.kind is RoundKind.AUDIT else VIEW_FEED
        view = view_state.get("view", opens_on)
        self.set_reactive(SessionScreen.view, view if view in (VIEW_FEED, VIEW_ROUND)
                          else opens_on)
        self.projected = True
        """Whether this screen may be on the projector (P says it is not): then the feed is
        never narrowed to a group the report would not name."""
        self.selected = int(view_state.get("selected", 0) or 0)
        self.rows = FeedRows(store)
        self.feed_area = FeedArea(store, self.rows, lambda: self.feed, view_state)
        self.arrivals = Arrivals()
        """New devices as they join (a burst of them is called out)."""
        self.contributions = ContributionFlows(self)
        self.outcomes = OutcomeFlows(self)
        self.rounds = RoundFlows(self)
        self.links = LinkFlows(self)
        self._rang_for: str | None = None
        self._question = ""
        """The round's question as shown above the feed."""
        self._unsubscribe: list[Callable[[], None]] = []
        self._watching_server = False
        self.events = StoreEvents(self, show_changes=self._show_changes,
                                  show_panels=self._show_panels)
        self._results_dirty = True
        self._results = Throttle(self, VIEW_REFRESH_S, self._show_results)
        self.view_saver = ViewSaver(self, desk, self.view_state)
        self._shows: dict[Area, Callable[[], None]] = {
            Area.ROUND: self._show_round_line, Area.AGENDA: self._show_agenda,
            Area.ROOM: self._show_room, Area.JOIN: self.show_join,
            Area.JOINING: self._show_joining, Area.NAMED: self._show_named,
            Area.STATUS: self._show_status, Area.DETAIL: self._show_detail,
            Area.RESULTS: self._show_results_soon, Area.VOICE: self._show_voice,
        }
        """What brings each area up to date."""

    # -- layout and the areas' widgets --------------------------------------------------------

    @property
    def spec(self) -> RoundSpec:
        return self.store.template.rounds[self.round_index]

    @property
    def feed(self) -> FeedTable:
        return self.query_one(FeedTable)

    @property
    def round_view(self) -> RoundView:
        return self.query_one(RoundView)

    @property
    def current_id(self) -> int | None:
        return self.feed.current_id

    def compose(self) -> ComposeResult:
        yield RoundHeader(id="header").data_bind(SessionScreen.round_line, SessionScreen.now)
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Static(_("Agenda"), classes="panel-title")
                yield Agenda(id="agenda").data_bind(rows=SessionScreen.agenda_rows)
                yield Static(_("The room"), classes="panel-title")
                yield RoomPanel(id="room").data_bind(rows=SessionScreen.room_rows)
                yield VoicePanel(id="voice").data_bind(SessionScreen.voice)
                yield JoiningWatch(id="joining").data_bind(SessionScreen.joining)
                yield JoinPanel(compact=True, id="join-compact").data_bind(SessionScreen.join)
            with Vertical(id="centre"):
                yield Static(id="prompt")
                yield ViewBar(id="view-bar").data_bind(SessionScreen.status)
                with ContentSwitcher(initial=self.view, id="switcher"):
                    with Vertical(id=VIEW_FEED):
                        yield FeedTable(id="feed")
                        yield ContributionDetail(id="detail").data_bind(SessionScreen.detail)
                    yield RoundView(id=VIEW_ROUND)
            with Vertical(id="right"):
                yield Static(_("Join from your phone"), classes="panel-title")
                yield JoinPanel(id="join").data_bind(SessionScreen.join,
                                                     scale=SessionScreen.join_scale)
        yield KeyBar([*self.ACTIONS, *actions.APP], first=actions.DAY)

    def on_mount(self) -> None:
        self.feed.source = self.rows
        self._unsubscribe.append(self.store.subscribe(self._committed))
        # The app's reactives, watched by name: the screen never imports the app.
        self.watch(self.app, "server_state", self._server_changed)
        self.watch(self.app, "wall_open", self._wall_opened)
        self.watch(self.feed, "highlighted", self._highlighted, init=False)
        self.now = self.desk.clock()
        self._show_everything(keep=self.selected or None)
        self.set_interval(0.5, self._tick)

    def _committed(self, changes: tuple[Change, ...]) -> None:
        """Called by the store after each commit (in the commit task): a message up."""
        self.post_message(StoreChanged(changes))

    def _join_link_changed(self) -> None:
        """Called by the participant server when the room's join code changes."""
        self.post_message(JoinLinkChanged())

    def on_resize(self) -> None:
        self._size_join()

    def _size_join(self) -> None:
        """The side panel as wide as the QR code it draws, as large as the screen allows
        beside a readable feed; none when even the smallest does not fit (a cut code does not
        scan)."""
        link = self.join.url if self.join is not None and self.join.url else TYPICAL_LINK
        modules = terminal_modules(link)
        scale = side_scale(modules, *self.size)
        self.set_class(scale == 0, "narrow")
        if scale:
            self.query_one("#right").styles.width = side_width(modules, scale)
        self.join_scale = scale

    def on_unmount(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()

    # -- what each area shows ----------------------------------------------------------------

    def _show_everything(self, keep: int | None = None) -> None:
        """Every area, for the round now current (on opening and on a round change)."""
        self.rows.named = self.store.disclosure().named
        self.feed_area.drop_hidden_filter()
        self.feed_area.load(self.spec.id, keep=keep)
        self.query_one(KeyBar).leave_out(actions.idle_in(self.spec))
        for area in (Area.ROUND, Area.AGENDA, Area.ROOM, Area.JOIN, Area.JOINING, Area.STATUS,
                     Area.DETAIL, Area.VOICE):
            self._shows[area]()
        self._results_dirty = True
        self._show_results()
        # Thousands of rows are long-lived objects: keep them out of the garbage collector's
        # full passes, which would otherwise stall a redraw now and then.
        freeze_long_lived()

    def _show_round_line(self) -> None:
        self.round_line = round_line(self.store, self.round_index, projected=self.projected,
                                     wall=self.desk.wall_open)
        question = loc(self.spec.prompt)
        if question != self._question:
            # Another round's question: the area takes its height (a timer's tick does not
            # come here with a new question, so it never costs a layout of the screen).
            self._question = question
            self.query_one("#prompt", Static).update(Text(question))

    def _show_agenda(self) -> None:
        self.agenda_rows = agenda_rows(self.store, self.round_index)

    def _show_room(self) -> None:
        self.room_rows = room_rows(self.store)

    def show_join(self) -> None:
        shown_link = self.join.url if self.join is not None else None
        self.join = join_shown(self.store, self.desk.server_seen(), self.desk.server_state,
                               wall=self.desk.wall_open)
        if self.join.url != shown_link:  # another link may need another size of code
            self._size_join()

    def _show_voice(self) -> None:
        self.voice = voice_shown(self.store, private=not self.projected)

    def _show_joining(self) -> None:
        self.joining = joining_shown(self.store, self.arrivals.shown)

    def _show_named(self) -> None:
        named = self.store.disclosure().named
        if named != self.rows.named:  # a group may now be named, or no longer
            self.rows.named = named
            if self.feed_area.drop_hidden_filter():
                self._filtered()
            self.feed.changed_all()
            self._show_detail()

    def _show_status(self) -> None:
        self.status = view_status(self.store, self.spec, results=self.view == VIEW_ROUND,
                                  marked=len(self.feed.marked),
                                  table=self.feed_area.table_filter,
                                  group=self.feed_area.stakeholder_filter)

    def _show_detail(self) -> None:
        feed = self.feed
        cid = feed.current_id
        item = self.store.contribution(cid) if cid else None
        self.detail = detail_shown(self.store, item,
                                   self.rows.named if self.projected else None,
                                   len(feed.marked - {cid}) if cid else 0)

    def _show_results_soon(self) -> None:
        self._results_dirty = True
        if self.view == VIEW_ROUND:
            self._results.ask()

    def _show_results(self) -> None:
        if self.view != VIEW_ROUND or not self._results_dirty:
            return
        self._results_dirty = False
        self.round_view.results = round_view(self.store, self.spec)

    def _tick(self) -> None:
        now = self.desk.clock()
        self.now = now
        state = self.store.round_state(self.spec.id)
        if state.timer_running and state.remaining(now) <= 0 and self._rang_for != self.spec.id:
            self._rang_for = self.spec.id
            self.app.bell()
            self.notify(_("Time is up for this round."), severity="warning", markup=False)
        elif state.remaining(now) > 0 and self._rang_for == self.spec.id:
            self._rang_for = None
        if self.arrivals.shown is not None and self._follow_burst():
            self.events.panels_soon({Area.JOINING})

    def _follow_burst(self) -> bool:
        """Whether the burst shown changed; a new one is called out (the bell and a notice)."""
        changed, began = self.arrivals.follow(time.monotonic())
        if began and self.arrivals.shown is not None:
            self.app.bell()
            self.notify(burst_line(self.arrivals.shown), title=_("Many new devices at once"),
                        severity="warning", timeout=10, markup=False)
        return changed

    # -- store events (messages up) -----------------------------------------------------------

    @on(StoreChanged)
    def _store_changed(self, message: StoreChanged) -> None:
        """Gather what changed; :meth:`_show_changes` shows it once per frame."""
        for change in message.changes:
            if change.table == "participants" and change.inserted:
                now = time.monotonic()
                for participant_id in change.ids:
                    participant = self.store.participant_by_id(participant_id)
                    if participant is not None:
                        self.arrivals.joined(now, participant.joined_with)
        self.events.gather(message.changes)

    def _show_changes(self, tables: dict[str, set[int]]) -> None:
        """Bring the screen up to date with the store. Costs what changed, never the round:
        the vote totals and counts come from the store's live read model."""
        if "session" in tables and self.store.info.current_round != self.round_index:
            self._entered(self.store.info.current_round)
            return
        areas = areas_of(tables)
        for area in (Area.NAMED, Area.ROUND, Area.AGENDA, Area.RESULTS):
            if area in areas:
                self._shows[area]()
        self.events.panels_soon(areas & PANEL_AREAS)
        rows = self.feed_area.changed_rows(tables, self.spec.id)
        if rows:
            self.feed.changed(rows)
            if self.feed.current_id in rows:
                self._show_detail()

    def _show_panels(self, areas: frozenset[Area]) -> None:
        if Area.JOINING in areas:
            self._follow_burst()
        for area in (Area.ROOM, Area.JOIN, Area.JOINING, Area.STATUS, Area.VOICE):
            if area in areas:
                self._shows[area]()

    def _entered(self, index: int) -> None:
        """Another round is current: everything anew, on the view the round opens on."""
        self.round_index = index
        self.feed_area.clear_filters()
        state = self.store.round_state(self.spec.id)
        self.set_reactive(SessionScreen.view, VIEW_ROUND if (
            self.spec.kind is RoundKind.AUDIT or state.results_shown) else VIEW_FEED)
        self.query_one(ContentSwitcher).current = self.view
        self._show_everything()
        self.focus_view()

    def _server_changed(self, state: ServerState) -> None:
        if state.ready and not self._watching_server:
            stop = self.desk.watch_join_url(self._join_link_changed)
            if stop is not None:
                self._watching_server = True
                self._unsubscribe.append(stop)
        self.show_join()

    @on(JoinLinkChanged)
    def _join_link(self) -> None:
        self.show_join()

    def _highlighted(self) -> None:
        self._show_detail()
        self.view_saver.soon()

    @on(Agenda.RoundChosen)
    def _agenda_chosen(self, message: Agenda.RoundChosen) -> None:
        self.rounds.go(message.index)

    @on(Agenda.Left)
    def _agenda_left(self) -> None:
        self.focus_view()

    # -- view state ---------------------------------------------------------------------------

    def view_state(self) -> dict[str, Any]:
        return {"view": self.view, **self.feed_area.view_state()}

    # -- what the flows use -------------------------------------------------------------------

    def write(self, work: Awaitable[Any], done: str | None = None) -> None:
        """Run a store change in a worker of the app; ``done`` is said once it is on disk. A
        refusal or a failure is reported by the app (``handle_worker_error``)."""

        async def run() -> None:
            await work
            if done:
                self.notify(done, timeout=3, markup=False)

        self.app.run_worker(run(), group="write", exit_on_error=False)

    def current(self) -> Contribution | None:
        cid = self.feed.current_id
        item = self.store.contribution(cid) if cid else None
        if item is None:
            self.notify(_("Choose a contribution first."), severity="warning", markup=False)
        return item

    def targets(self) -> list[int]:
        return self.feed_area.targets()

    def clear_marks(self) -> None:
        self.feed_area.clear_marks()
        self._show_status()
        self._show_detail()

    def focus_view(self) -> None:
        if self.view == VIEW_ROUND:
            self.round_view.focus()
        else:
            self.feed.focus()

    def show_feed(self) -> None:
        if self.view == VIEW_ROUND:
            self.view = VIEW_FEED

    # -- filters ------------------------------------------------------------------------------

    def _filtered(self) -> None:
        self.feed_area.refilter(self.spec.id)
        self._show_status()
        self._show_detail()
        self.view_saver.soon()

    def action_filter_group(self) -> None:
        self.feed_area.next_table()
        self._filtered()
        table = self.feed_area.table_filter
        self.notify(_("Showing table {table}.").format(table=table) if table
                    else _("Showing all tables."), timeout=2, markup=False)

    def action_filter_stakeholder(self) -> None:
        """Cycle the feed through the stakeholder groups (then back to all of them)."""
        if not self.feed_area.next_group():
            self.notify(_("No stakeholder group can be shown on its own on a screen that may "
                          "be projected: groups under {n} people stay anonymous. On your own "
                          "screen, P first.").format(
                              n=self.store.template.anonymity_threshold),
                        severity="warning", markup=False)
            return
        self._filtered()
        group = self.feed_area.stakeholder_filter
        self.notify(_("Showing stakeholder group: {group}.").format(
                        group=group_name(self.store.template, group))
                    if group is not None else _("Showing all stakeholder groups."),
                    timeout=2, markup=False)

    # -- the view and the projector -----------------------------------------------------------

    def action_switch_view(self) -> None:
        """The feed, or the round's results. The screen is what the room sees on the
        projector, so showing the results is recorded as the round's results being shown."""
        self.view = VIEW_ROUND if self.view == VIEW_FEED else VIEW_FEED
        showing = self.view == VIEW_ROUND
        if self.store.round_state(self.spec.id).results_shown != showing:
            self.write(self.store.update_round(self.spec.id, results_shown=showing))

    def action_next_ranking(self) -> None:
        """The results' next ranking (widgets/across.py): the wall shows the same."""
        if not ranked_across(self.spec):
            self.notify(_("This round has no vote, so one list only."), markup=False)
            return
        shown = next_ranking(self.store.round_state(self.spec.id).ranking)
        self.write(self.store.update_round(self.spec.id, ranking=shown), ranking_title(shown))
        if self.view == VIEW_FEED:
            self.action_switch_view()

    def watch_view(self, view: str) -> None:
        self.query_one(ContentSwitcher).current = view
        if view == VIEW_ROUND:
            self._results_dirty = True
            self._show_results()
        self.focus_view()
        self._show_status()
        self.view_saver.soon()

    def action_focus_agenda(self) -> None:
        self.query_one(Agenda).enter()

    def action_toggle_projected(self) -> None:
        self._set_projected(not self.projected)
        if self.projected:
            said = _("This screen is on the projector: the feed is narrowed only to groups "
                     "that may be named.")
            if self.desk.wall_open:
                said += " " + _("The wall is open as well: is this terminal really what the "
                                "room sees?")
        elif self.desk.wall_open:
            said = _("The room sees the wall; this terminal is your own screen: G narrows "
                     "the feed to any group. P again before it goes on the projector.")
        else:
            said = _("Your own screen, not projected: G narrows the feed to any group. "
                     "P again before it goes on the projector.")
        self.notify(said, timeout=8, markup=False)

    def _set_projected(self, projected: bool) -> None:
        self.projected = projected
        self.rows.projected = projected
        if self.feed_area.drop_hidden_filter():
            self._filtered()
        else:
            self.feed.changed_all()
            self._show_detail()
        self._show_round_line()
        self._show_voice()

    def _wall_opened(self, opened: bool) -> None:
        """The wall is on the projector now: this terminal is the facilitator's own screen."""
        if opened and self.projected:
            self._set_projected(False)
        self.show_join()

    def action_open_wall(self) -> None:
        self.desk.open_wall()

    # -- marks and merging (the feed's own) ---------------------------------------------------

    def action_mark(self) -> None:
        """Mark or unmark the one under the cursor; the cursor stays, so the facilitator sees
        what they marked (the detail and the line above the feed say what m will do)."""
        if self.feed_area.toggle_mark():
            self._show_status()
            self._show_detail()

    def action_merge(self) -> None:
        feed = self.feed
        target = feed.current_id
        duplicates = [c for c in feed.marked if c != target]
        if target is None or not duplicates:
            self.notify(_("Mark the duplicates with space, then put the cursor on the one to "
                          "keep and press m."), severity="warning", markup=False)
            return
        self.clear_marks()
        self.write(self.store.merge(target, duplicates),
                   ngettext("Merged {n} into #{id}.", "Merged {n} into #{id}.",
                            len(duplicates)).format(n=len(duplicates), id=target))
