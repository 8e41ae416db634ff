"""The session screen: header with the timer, agenda, the live feed or the round's results, the
join panel and the room.

Attributes down, messages up: the screen holds what each area shows in a reactive attribute
(plain data from :mod:`facilitator.tui.shown`, built from the store and its read model) and
binds it to the widget of that area (``data_bind``); widgets send messages up (the agenda's
choice, the feed's cursor). The store's commit events arrive as messages, are gathered, and
shown at most once per frame: each changed table names the areas it touches (:data:`AREAS`),
each area is worked out once, and only rows that changed are redrawn. Every facilitator action
is a store call run in a worker; the screen changes only when the commit comes back (what you
see is what is on disk). Keys, the key bar, the help and the palette come from one registry
(facilitator.tui.actions).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Static

from facilitator.collector import freeze_long_lived
from facilitator.core.clock import format_clock, parse_clock
from facilitator.core.errors import Reason, Refused
from facilitator.core.joining import Burst, BurstWatch
from facilitator.core.model import Action, Change, Contribution, Flag, Note, Source, held_on
from facilitator.core.templates import RoundKind, RoundSpec, localized
from facilitator.qr import terminal_modules
from facilitator.store.files import StoreError
from facilitator.store.store import MAX_TIMER_MINUTES
from facilitator.tui import actions
from facilitator.tui.i18n import _, group_name, loc, ngettext
from facilitator.tui.messages import JoinLinkChanged, StoreChanged, WriteRefused
from facilitator.tui.screens.dialogs import (
    NO_THEME,
    ActionDialog,
    ActionInput,
    ConfirmDialog,
    ContributionDialog,
    DetailsDialog,
    LineDialog,
    LineInput,
    LinkPicker,
    NewContribution,
    Picker,
    SessionDetails,
    TextDialog,
    ThemeDialog,
    ThemeEdit,
    ThemePicker,
)
from facilitator.tui.screens.join import JoinScreen
from facilitator.tui.screens.joining import JoiningDialog
from facilitator.tui.screens.organiser import OrganiserScreen
from facilitator.tui.shown import (
    FeedRows,
    agenda_rows,
    detail_shown,
    joining_shown,
    room_rows,
    round_change,
    round_line,
    view_status,
)
from facilitator.tui.throttle import Throttle
from facilitator.tui.widgets.agenda import Agenda, AgendaRow
from facilitator.tui.widgets.detail import ContributionDetail, DetailShown
from facilitator.tui.widgets.feed import FeedTable, one_line
from facilitator.tui.widgets.header import RoundHeader, RoundLine, voting_rule
from facilitator.tui.widgets.join import JoinPanel, JoinShown, side_scale, side_width
from facilitator.tui.widgets.joining import BURST_SHOWN_S, JoiningShown, JoiningWatch, burst_line
from facilitator.tui.widgets.keybar import KeyBar
from facilitator.tui.widgets.room import RoomPanel, RoomRow
from facilitator.tui.widgets.round_view import RoundView, round_view
from facilitator.tui.widgets.viewbar import ViewBar, ViewStatus

if TYPE_CHECKING:
    from facilitator.store.store import SessionStore
    from facilitator.tui.app import FacilitatorApp, ServerState

log = logging.getLogger(__name__)

VIEW_FEED, VIEW_ROUND = "feed-view", "round-view"
VIEW_REFRESH_S = 0.5
"""The results redraw at most this often while input arrives."""
FRAME_S = 1 / 30
"""Store events are shown together at most this often: a busy room commits many times a
second, and the screen only needs to catch up once per frame."""
PANELS_S = 0.25
"""The panels that count what arrives (the room, the join counts, the joining watch, the view
bar's totals) are brought up to date at most this often. In a join burst they change with every
device; redrawn four times a second they read the same, and the feed and the keys keep the
frames."""
PANEL_AREAS = frozenset({"room", "join", "joining", "status"})
SAVE_VIEW_AFTER_S = 3.0
"""The selection is saved this long after it last moved (and always on exit)."""
TYPICAL_LINK = "http://192.168.100.100:8080/r/" + "x" * 10
"""What the side panel is sized for before the participant page runs."""

AREAS: dict[str, frozenset[str]] = {
    "session": frozenset({"round", "agenda", "join", "joining"}),
    "rounds": frozenset({"round", "agenda", "joining", "status", "results"}),
    "participants": frozenset({"room", "join", "joining", "named", "results"}),
    "contributions": frozenset({"status", "results"}),
    "votes": frozenset({"results"}),
    "samples": frozenset({"results"}),
    "themes": frozenset({"results"}),
    "actions": frozenset({"results"}),
    "notes": frozenset({"results"}),
}
"""Which areas of the screen a change of each table touches (the rows of the feed are found
from the changed records themselves)."""


def refusal_text(exc: Exception) -> str:
    if isinstance(exc, Refused):
        texts = {
            Reason.EMPTY: _("Nothing was typed."),
            Reason.TOO_LONG: _("That text is too long."),
            Reason.NOT_FOUND: _("That no longer exists."),
            Reason.ROUND_CLOSED: _("This round does not take input now."),
            Reason.VOTING_CLOSED: _("Voting is closed."),
        }
        return texts.get(exc.reason, _("Refused: {reason}").format(reason=exc.reason.value))
    return str(exc)


class SessionScreen(Screen[None]):
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

    def __init__(self, store: SessionStore) -> None:
        super().__init__()
        self.store = store
        self.round_index = store.info.current_round
        view_state = store.info.view_state or {}
        opens_on = VIEW_ROUND if store.current_round.kind is RoundKind.AUDIT else VIEW_FEED
        view = view_state.get("view", opens_on)
        self.set_reactive(SessionScreen.view, view if view in (VIEW_FEED, VIEW_ROUND)
                          else opens_on)
        self.table_filter = str(view_state.get("filter", ""))
        chosen = view_state.get("stakeholder_filter")
        self.stakeholder_filter: str | None = chosen if isinstance(chosen, str) else None
        """Show only this stakeholder group ("" is "prefer not to say"); None: every group."""
        self.projected = True
        """Whether this screen may be on the projector (P says it is not): then the feed is
        never narrowed to a group the report would not name."""
        self.selected = int(view_state.get("selected", 0) or 0)
        self.rows = FeedRows(store)
        self.arrivals = BurstWatch()
        """New devices as they join (a burst of them is called out)."""
        self._burst_seen_at = 0.0
        self._burst: Burst | None = None
        self._theme_rows: dict[int, set[int]] = {}
        """Theme → the feed's rows in it (a renamed theme redraws those)."""
        self._rang_for: str | None = None
        self._question = ""
        """The round's question as shown above the feed."""
        self._unsubscribe: list[Callable[[], None]] = []
        self._watching_server = False
        self._pending: dict[str, set[int]] = {}
        """Store events not shown yet: table → ids (see :data:`FRAME_S`)."""
        self._frame = Throttle(self, FRAME_S, self._show_changes)
        self._panels_pending: set[str] = set()
        self._panels = Throttle(self, PANELS_S, self._show_panels)
        self._results_dirty = True
        self._results = Throttle(self, VIEW_REFRESH_S, self._show_results)
        self._save_timer: Timer | None = None
        self._view_moved_at = 0.0

    # -- layout ------------------------------------------------------------------------------

    @property
    def facilitator(self) -> FacilitatorApp:
        return self.app  # type: ignore[return-value]

    @property
    def spec(self) -> RoundSpec:
        return self.store.template.rounds[self.round_index]

    def compose(self) -> ComposeResult:
        yield RoundHeader(id="header").data_bind(SessionScreen.round_line, SessionScreen.now)
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Static(_("Agenda"), classes="panel-title")
                yield Agenda(id="agenda").data_bind(rows=SessionScreen.agenda_rows)
                yield Static(_("The room"), classes="panel-title")
                yield RoomPanel(id="room").data_bind(rows=SessionScreen.room_rows)
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
        self.query_one(FeedTable).source = self.rows
        self._unsubscribe.append(self.store.subscribe(self._committed))
        self.watch(self.facilitator, "server_state", self._server_changed)
        self.watch(self.facilitator, "wall_open", self._wall_opened)
        self.watch(self.query_one(FeedTable), "highlighted", self._highlighted, init=False)
        self.now = self.facilitator.clock()
        self._show_round(keep=self.selected or None)
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

    def _show_round(self, keep: int | None = None) -> None:
        """Everything, for the round now current (on opening and on a round change)."""
        self.rows.named = self.store.disclosure().named
        self._drop_hidden_filter()
        feed = self.query_one(FeedTable)
        feed.marked.clear()
        self._theme_rows.clear()
        ids = []
        for item in self.store.contributions(self.spec.id, visible_only=False):
            if self._accepts(item):
                ids.append(item.id)
                self._theme_rows.setdefault(item.theme_id, set()).add(item.id)
        feed.load(ids, keep=keep)
        self.query_one(KeyBar).leave_out(self._keys_elsewhere())
        for area in ("round", "agenda", "room", "join", "joining", "status", "detail"):
            self._show(area)
        self._results_dirty = True
        self._show_results()
        # Thousands of rows are long-lived objects: keep them out of the garbage collector's
        # full passes, which would otherwise stall a redraw now and then.
        freeze_long_lived()

    def _keys_elsewhere(self) -> frozenset[str]:
        """The day's keys that do nothing in this round (the key bar leaves them out)."""
        spec = self.spec
        elsewhere = set()
        if not spec.participants_submit:
            elsewhere.add("round.submissions")
        if spec.voting.rule == "none":
            elsewhere.add("round.voting")
        if spec.kind is not RoundKind.DISTILLATION:
            elsewhere.add("distillation.line")
        if not spec.moderated:
            elsewhere.add("contribution.approve")
        return frozenset(elsewhere)

    def _show(self, area: str) -> None:
        getattr(self, f"_area_{area}")()

    def _area_round(self) -> None:
        self.round_line = round_line(self.store, self.round_index, projected=self.projected,
                                     wall=self.facilitator.wall_open)
        question = loc(self.spec.prompt)
        if question != self._question:
            # Another round's question: the area takes its height (a timer's tick does not
            # come here with a new question, so it never costs a layout of the screen).
            self._question = question
            self.query_one("#prompt", Static).update(Text(question))

    def _area_agenda(self) -> None:
        self.agenda_rows = agenda_rows(self.store, self.round_index)

    def _area_room(self) -> None:
        self.room_rows = room_rows(self.store)

    def _area_join(self) -> None:
        shown_link = self.join.url if self.join is not None else None
        app = self.facilitator
        server = app.server
        participants = self.store.participant_count
        if server is None or not app.server_state.ready:
            self.join = JoinShown(None, devices=0, participants=participants,
                                  problem=app.server_state.problem)
        else:
            capacity = getattr(server, "capacity", None)
            self.join = JoinShown(
                server.room_link, devices=server.devices_seen, participants=participants,
                others=tuple(server.room_links),
                organiser=bool(self.store.info.organiser_secret), wall=app.wall_open,
                carries=capacity.phones if capacity is not None else None,
                open_files=capacity.files.limit if capacity is not None else None)
        if self.join.url != shown_link:  # another link may need another size of code
            self._size_join()

    def _area_joining(self) -> None:
        self.joining = joining_shown(self.store, self._burst)

    def _area_named(self) -> None:
        named = self.store.disclosure().named
        if named != self.rows.named:  # a group may now be named, or no longer
            self.rows.named = named
            if self._drop_hidden_filter():
                self._filtered()
            self.query_one(FeedTable).changed_all()
            self._area_detail()

    def _area_status(self) -> None:
        self.status = view_status(self.store, self.spec, results=self.view == VIEW_ROUND,
                                  marked=len(self.query_one(FeedTable).marked),
                                  table=self.table_filter, group=self.stakeholder_filter)

    def _area_detail(self) -> None:
        feed = self.query_one(FeedTable)
        cid = feed.current_id
        item = self.store.contribution(cid) if cid else None
        self.detail = detail_shown(self.store, item,
                                   self.rows.named if self.projected else None,
                                   len(feed.marked - {cid}) if cid else 0)

    def _area_results(self) -> None:
        self._results_dirty = True
        if self.view == VIEW_ROUND:
            self._results.ask()

    def _show_results(self) -> None:
        if self.view != VIEW_ROUND or not self._results_dirty:
            return
        self._results_dirty = False
        self.query_one(RoundView).results = round_view(self.store, self.spec)

    def _tick(self) -> None:
        now = self.facilitator.clock()
        self.now = now
        state = self.store.round_state(self.spec.id)
        if state.timer_running and state.remaining(now) <= 0 and self._rang_for != self.spec.id:
            self._rang_for = self.spec.id
            self.app.bell()
            self.notify(_("Time is up for this round."), severity="warning", markup=False)
        elif state.remaining(now) > 0 and self._rang_for == self.spec.id:
            self._rang_for = None
        if self._burst is not None and self._watch_burst():
            self._panels_soon({"joining"})

    def _watch_burst(self) -> bool:
        """Whether the burst shown changed (a new one, a bigger one, or one that ended)."""
        now = time.monotonic()
        burst = self.arrivals.burst(now)
        if burst is not None:
            if self._burst is None:  # a new burst: make sure the facilitator notices
                self.app.bell()
                self.notify(burst_line(burst), title=_("Many new devices at once"),
                            severity="warning", timeout=10, markup=False)
            if self._burst is None or burst.devices >= self._burst.devices:
                self._burst = burst  # the largest count of this burst
            self._burst_seen_at = now
        elif self._burst is not None and now - self._burst_seen_at > BURST_SHOWN_S:
            self._burst = None
        else:
            return False
        return True

    # -- store events (messages up) -----------------------------------------------------------

    @on(StoreChanged)
    def _store_changed(self, message: StoreChanged) -> None:
        """Gather what changed; :meth:`_show_changes` shows it once per frame."""
        for change in message.changes:
            self._pending.setdefault(change.table, set()).update(change.ids)
            if change.table == "participants" and change.inserted:
                now = time.monotonic()
                for participant_id in change.ids:
                    participant = self.store.participant_by_id(participant_id)
                    if participant is not None:
                        self.arrivals.joined(now, participant.joined_with)
        self._frame.ask()

    def _show_changes(self) -> None:
        """Bring the screen up to date with the store. Costs what changed, never the round:
        the vote totals and counts come from the store's live read model."""
        tables, self._pending = self._pending, {}
        if "session" in tables and self.store.info.current_round != self.round_index:
            self._entered(self.store.info.current_round)
            return
        areas: set[str] = set()
        for table in tables:
            areas |= AREAS.get(table, frozenset())
        for area in ("named", "round", "agenda", "results"):
            if area in areas:
                self._show(area)
        self._panels_soon(areas & PANEL_AREAS)
        rows = self._changed_rows(tables)
        if rows:
            self.query_one(FeedTable).changed(rows)
            current = self.query_one(FeedTable).current_id
            if current in rows:
                self._area_detail()

    def _panels_soon(self, areas: set[str]) -> None:
        self._panels_pending |= areas
        if self._panels_pending:
            self._panels.ask()

    def _show_panels(self) -> None:
        areas, self._panels_pending = self._panels_pending, set()
        if "joining" in areas:
            self._watch_burst()
        for area in ("room", "join", "joining", "status"):
            if area in areas:
                self._show(area)

    def _changed_rows(self, tables: dict[str, set[int]]) -> set[int]:
        """The feed's rows the changed records show on (new ones are added here)."""
        feed = self.query_one(FeedTable)
        round_id = self.spec.id
        rows: set[int] = set()
        shown: list[int] = []
        for cid in sorted(tables.get("contributions", ())):
            item = self.store.contribution(cid)
            if item is None or item.round_id != round_id:
                continue
            if self._accepts(item):
                shown.append(cid)  # a new row, or one the filter shows again
                self._theme_rows.setdefault(item.theme_id, set()).add(cid)
            else:
                feed.remove_row(cid)
        feed.add(shown)
        rows |= self.rows.touched_by(tables.get("contributions", ()), round_id)
        ranking = self.store.ranking(round_id)
        for vid in tables.get("votes", ()):
            vote = self.store.vote(vid)
            if vote is not None and vote.round_id == round_id:
                ranked = ranking.item(vote.contribution_id)
                rows.add(ranked.contribution.id if ranked is not None else vote.contribution_id)
        for aid in tables.get("actions", ()):
            action = self.store.action(aid)
            if action is not None and action.contribution_id:
                rows.add(action.contribution_id)
        for theme_id in tables.get("themes", ()):
            rows |= self._theme_rows.get(theme_id, set())
        return rows

    def _entered(self, index: int) -> None:
        """Another round is current: everything anew, on the view the round opens on."""
        self.round_index = index
        self.table_filter = ""
        self.stakeholder_filter = None
        state = self.store.round_state(self.spec.id)
        self.set_reactive(SessionScreen.view, VIEW_ROUND if (
            self.spec.kind is RoundKind.AUDIT or state.results_shown) else VIEW_FEED)
        self.query_one(ContentSwitcher).current = self.view
        self._show_round()
        self._focus_view()

    def _server_changed(self, state: ServerState) -> None:
        server = self.facilitator.server
        if state.ready and server is not None and not self._watching_server:
            self._watching_server = True
            self._unsubscribe.append(server.watch_join_url(self._join_link_changed))
        self._area_join()

    @on(JoinLinkChanged)
    def _join_link(self) -> None:
        self._area_join()

    @on(WriteRefused)
    def _refused(self, message: WriteRefused) -> None:
        self.notify(message.reason, severity="error", title=_("Not done"), markup=False)

    def _highlighted(self) -> None:
        self._area_detail()
        self._save_view_soon()

    @on(Agenda.RoundChosen)
    def _agenda_chosen(self, message: Agenda.RoundChosen) -> None:
        self._go(message.index)

    @on(Agenda.Left)
    def _agenda_left(self) -> None:
        self._focus_view()

    # -- view state ---------------------------------------------------------------------------

    def view_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"view": self.view, "filter": self.table_filter,
                                 "selected": self.query_one(FeedTable).current_id or 0}
        if self.stakeholder_filter is not None:
            state["stakeholder_filter"] = self.stakeholder_filter
        return state

    def _save_view_soon(self) -> None:
        """Save the view once it has stood still for :data:`SAVE_VIEW_AFTER_S`. A key held
        down moves the cursor many times a second: each move only notes the time, and the one
        timer waits on until the moves stop."""
        self.facilitator.last_view_state = self.view_state()  # saved on exit at the latest
        self._view_moved_at = time.monotonic()
        if self._save_timer is None:
            self._save_timer = self.set_timer(SAVE_VIEW_AFTER_S, self._save_view)

    def _save_view(self) -> None:
        still_for = time.monotonic() - self._view_moved_at
        if still_for < SAVE_VIEW_AFTER_S:
            self._save_timer = self.set_timer(SAVE_VIEW_AFTER_S - still_for, self._save_view)
            return
        self._save_timer = None
        state = self.view_state()
        if state != self.store.info.view_state:
            self.write(self.store.update_session(view_state=state))

    # -- writing ------------------------------------------------------------------------------

    def write(self, work: Awaitable[Any], done: str | None = None) -> None:
        """Run a store change in a worker; a refusal comes back as a message."""

        async def run() -> None:
            try:
                await work
            except (Refused, StoreError) as exc:
                self.post_message(WriteRefused(refusal_text(exc)))
            except Exception as exc:  # a bug must not end a live session: show it, log it
                log.exception("facilitator action failed")
                self.post_message(WriteRefused(str(exc) or type(exc).__name__))
            else:
                if done:
                    self.notify(done, timeout=3, markup=False)

        self.run_worker(run(), group="write", exit_on_error=False)

    def _current(self) -> Contribution | None:
        cid = self.query_one(FeedTable).current_id
        item = self.store.contribution(cid) if cid else None
        if item is None:
            self.notify(_("Choose a contribution first."), severity="warning", markup=False)
        return item

    def _targets(self) -> list[int]:
        feed = self.query_one(FeedTable)
        if feed.marked:
            return sorted(feed.marked)
        current = feed.current_id
        return [current] if current else []

    def _clear_marks(self) -> None:
        feed = self.query_one(FeedTable)
        marked, feed.marked = feed.marked, set()
        feed.changed(marked)
        self._area_status()
        self._area_detail()

    # -- filters ------------------------------------------------------------------------------

    def _accepts(self, item: Contribution) -> bool:
        if self.table_filter and item.table_group != self.table_filter:
            return False
        return self.stakeholder_filter is None or item.stakeholder == self.stakeholder_filter

    def stakeholder_choices(self) -> list[str]:
        """The groups the feed can be narrowed to. On a screen that may be projected only those
        that may be named: showing one part of the pool on its own, "prefer not to say"
        included, would tell its contributions apart from the rest. On the facilitator's own
        screen (P) every group that is present or expected."""
        if self.projected:
            named = self.rows.named
            groups = [g.id for g in self.store.template.groups if g.id in named]
            return groups + sorted(named - set(groups))
        present = self.store.present()
        groups = [g.id for g in self.store.template.groups]
        return groups + sorted(set(present) - set(groups))

    def _drop_hidden_filter(self) -> bool:
        if self.stakeholder_filter is not None and \
                self.stakeholder_filter not in self.stakeholder_choices():
            self.stakeholder_filter = None
            return True
        return False

    def _filtered(self) -> None:
        feed = self.query_one(FeedTable)
        feed.load([c.id for c in self.store.contributions(self.spec.id, visible_only=False)
                   if self._accepts(c)], keep=feed.current_id)
        self._area_status()
        self._area_detail()
        self._save_view_soon()

    # -- actions: contributions ---------------------------------------------------------------

    def action_add(self) -> None:
        round_id = self.spec.id

        async def save(card: NewContribution) -> str | None:
            try:
                await self.store.add_contribution(
                    round_id, card.text, source=Source.TUI, stakeholder=card.stakeholder,
                    table_group=card.table_group)
            except (Refused, StoreError) as exc:
                return refusal_text(exc)
            except Exception as exc:  # a bug must not end a live session: show it, log it
                log.exception("adding a paper card failed")
                return str(exc) or type(exc).__name__
            return None

        self.app.push_screen(ContributionDialog(self.store.template, loc(self.spec.title), save,
                                                tables=self.store.info.tables))

    def action_edit(self) -> None:
        item = self._current()
        if item is None:
            return

        def edited(text: str | None) -> None:
            if text is not None and text != item.text:
                self.write(self.store.edit_contribution(item.id, text))

        self.app.push_screen(TextDialog(_("Edit contribution #{id}").format(id=item.id),
                                        initial=item.text), edited)

    def action_hide(self) -> None:
        self._toggle("hidden", _("Hidden."), _("Restored."))

    def action_approve(self) -> None:
        self._toggle("approved", _("Approved: it can reach the wall."), _("Approval taken back."))

    def _toggle(self, field: str, set_message: str, cleared_message: str) -> None:
        """Set a yes/no field on the marked contributions (or the one under the cursor); clear
        it instead when all of them have it already."""
        ids = self._targets()
        if not ids:
            return
        items = [c for c in (self.store.contribution(i) for i in ids) if c is not None]
        value = not all(getattr(c, field) for c in items)
        self._clear_marks()
        self.write(self.store.update_contributions(ids, **{field: value}),
                   set_message if value else cleared_message)

    def action_mark(self) -> None:
        """Mark or unmark the one under the cursor; the cursor stays, so the facilitator sees
        what they marked (the detail and the line above the feed say what m will do)."""
        feed = self.query_one(FeedTable)
        cid = feed.current_id
        if cid is None:
            return
        feed.marked ^= {cid}
        feed.changed([cid])
        self._area_status()
        self._area_detail()

    def action_merge(self) -> None:
        feed = self.query_one(FeedTable)
        target = feed.current_id
        duplicates = [c for c in feed.marked if c != target]
        if target is None or not duplicates:
            self.notify(_("Mark the duplicates with space, then put the cursor on the one to "
                          "keep and press m."), severity="warning", markup=False)
            return
        self._clear_marks()
        self.write(self.store.merge(target, duplicates),
                   ngettext("Merged {n} into #{id}.", "Merged {n} into #{id}.",
                            len(duplicates)).format(n=len(duplicates), id=target))

    def action_unmerge(self) -> None:
        """Undo a merge from either card: on a duplicate, take it out; on the one others were
        merged into, take them all out."""
        item = self._current()
        if item is None:
            return
        if item.merged_into:
            self.write(self.store.unmerge(item.id), _("Unmerged."))
            return
        duplicates = self.store.merged_into(item.id)
        if not duplicates:
            self.notify(_("Nothing is merged into this contribution, and it is not merged "
                          "into another."), severity="warning", markup=False)
            return

        async def unmerge_all() -> None:
            for duplicate in duplicates:
                await self.store.unmerge(duplicate.id)

        self.write(unmerge_all(), ngettext("Took {n} out of #{id}.", "Took {n} out of #{id}.",
                                           len(duplicates)).format(n=len(duplicates),
                                                                   id=item.id))

    # -- actions: themes ----------------------------------------------------------------------

    def _themes(self) -> list[tuple[int, str]]:
        return [(t.id, t.name) for t in self.store.themes(self.spec.id)]

    def _themes_or_warn(self) -> list[tuple[int, str]]:
        """The round's themes; when there are none, say how to make one."""
        themes = self._themes()
        if not themes:
            self.notify(_("This round has no themes yet (t makes one)."),
                        severity="warning", markup=False)
        return themes

    def action_new_theme(self) -> None:
        lang = self.store.info.lang  # a theme is session content: in the session's language
        taken = {name for _id, name in self._themes()}
        suggested = [name for t in self.spec.themes
                     if (name := localized(t, lang)) not in taken]

        def named(name: str | None) -> None:
            if name is not None:
                self.write(self.store.add_theme(self.spec.id, name),
                           _("Theme added: {name}").format(name=name))

        self.app.push_screen(
            TextDialog(_("Name of the new theme"), initial=suggested[0] if suggested else "",
                       multiline=False), named)

    def action_rename_theme(self) -> None:
        themes = self._themes_or_warn()
        if not themes:
            return

        def chosen(theme_id: int | None) -> None:
            theme = self.store.theme(theme_id) if theme_id else None
            if theme is None:
                return

            def edited(edit: ThemeEdit | None) -> None:
                if edit is None or theme is None:
                    return
                if edit.remove:
                    self.write(self.store.remove_theme(theme.id),
                               _("Theme removed: {name}. Its contributions have no theme "
                                 "now.").format(name=theme.name))
                elif edit.name != theme.name:
                    self.write(self.store.rename_theme(theme.id, edit.name))

            self.app.push_screen(ThemeDialog(theme.name), edited)

        self.app.push_screen(ThemePicker(themes, title=_("Rename or remove which theme?"),
                                         none=False), chosen)

    def action_sort(self) -> None:
        ids = self._targets()
        if not ids:
            self.notify(_("Choose a contribution first."), severity="warning", markup=False)
            return
        themes = self._themes_or_warn()
        if not themes:
            return

        def chosen(theme_id: int | None) -> None:
            if theme_id is None:
                return
            self._clear_marks()
            theme = self.store.theme(theme_id) if theme_id != NO_THEME else None
            name = theme.name if theme is not None else _("no theme")
            self.write(self.store.update_contributions(ids, theme_id=theme_id),
                       ngettext("{n} sorted into: {theme}", "{n} sorted into: {theme}",
                                len(ids)).format(n=len(ids), theme=name))

        self.app.push_screen(ThemePicker(themes), chosen)

    # -- actions: the round -------------------------------------------------------------------

    def action_toggle_submissions(self) -> None:
        if not self.spec.participants_submit:
            self.notify(_("In this round only the facilitator adds input."),
                        severity="warning", markup=False)
            return
        state = self.store.round_state(self.spec.id)
        if not state.started:  # the first o starts the round: input open, timer running
            self.write(self.store.go_to_round(self.round_index), _("The round has started."))
            return
        opening = not state.submissions_open
        self.write(self.store.update_round(self.spec.id, submissions_open=opening),
                   _("Input is open.") if opening else _("Input is closed."))

    def action_toggle_voting(self) -> None:
        if self.spec.voting.rule == "none":
            self.notify(_("This round is not voted on."), severity="warning", markup=False)
            return
        state = self.store.round_state(self.spec.id)
        opening = not state.voting_open
        self.write(self.store.update_round(self.spec.id, voting_open=opening),
                   (_("Voting is open: {rule}.").format(rule=voting_rule(self.spec.voting))
                    if opening else _("Voting is closed.")))

    def action_switch_view(self) -> None:
        """The feed, or the round's results. The screen is what the room sees on the
        projector, so showing the results is recorded as the round's results being shown."""
        self.view = VIEW_ROUND if self.view == VIEW_FEED else VIEW_FEED
        showing = self.view == VIEW_ROUND
        if self.store.round_state(self.spec.id).results_shown != showing:
            self.write(self.store.update_round(self.spec.id, results_shown=showing))

    def watch_view(self, view: str) -> None:
        self.query_one(ContentSwitcher).current = view
        if view == VIEW_ROUND:
            self._results_dirty = True
            self._show_results()
        self._focus_view()
        self._area_status()
        self._save_view_soon()

    def _focus_view(self) -> None:
        if self.view == VIEW_ROUND:
            self.query_one(RoundView).focus()
        else:
            self.query_one(FeedTable).focus()

    def action_focus_agenda(self) -> None:
        self.query_one(Agenda).enter()

    def action_toggle_projected(self) -> None:
        self._set_projected(not self.projected)
        if self.projected:
            said = _("This screen is on the projector: the feed is narrowed only to groups "
                     "that may be named.")
            if self.facilitator.wall_open:
                said += " " + _("The wall is open as well: is this terminal really what the "
                                "room sees?")
        elif self.facilitator.wall_open:
            said = _("The room sees the wall; this terminal is your own screen: G narrows "
                     "the feed to any group. P again before it goes on the projector.")
        else:
            said = _("Your own screen, not projected: G narrows the feed to any group. "
                     "P again before it goes on the projector.")
        self.notify(said, timeout=8, markup=False)

    def _set_projected(self, projected: bool) -> None:
        self.projected = projected
        self.rows.projected = projected
        if self._drop_hidden_filter():
            self._filtered()
        else:
            self.query_one(FeedTable).changed_all()
            self._area_detail()
        self._area_round()

    def _wall_opened(self, opened: bool) -> None:
        """The wall is on the projector now: this terminal is the facilitator's own screen."""
        if opened and self.projected:
            self._set_projected(False)
        self._area_join()

    def action_open_wall(self) -> None:
        self.facilitator.open_wall()

    def action_filter_group(self) -> None:
        tables = ["", *self.store.info.tables]
        position = tables.index(self.table_filter) if self.table_filter in tables else 0
        self.table_filter = tables[(position + 1) % len(tables)]
        self._filtered()
        self.notify(_("Showing table {table}.").format(table=self.table_filter)
                    if self.table_filter else _("Showing all tables."), timeout=2,
                    markup=False)

    def action_filter_stakeholder(self) -> None:
        """Cycle the feed through the stakeholder groups (then back to all of them)."""
        choices: list[str | None] = [None, *self.stakeholder_choices()]
        if len(choices) == 1:
            self.notify(_("No stakeholder group can be shown on its own on a screen that may "
                          "be projected: groups under {n} people stay anonymous. On your own "
                          "screen, P first.").format(
                              n=self.store.template.anonymity_threshold),
                        severity="warning", markup=False)
            return
        position = (choices.index(self.stakeholder_filter)
                    if self.stakeholder_filter in choices else 0)
        self.stakeholder_filter = choices[(position + 1) % len(choices)]
        self._filtered()
        self.notify(_("Showing stakeholder group: {group}.").format(
                        group=group_name(self.store.template, self.stakeholder_filter))
                    if self.stakeholder_filter is not None
                    else _("Showing all stakeholder groups."), timeout=2, markup=False)

    def _go(self, index: int) -> None:
        """Go to round ``index`` once the facilitator said yes (what stays open is said)."""
        if not 0 <= index < len(self.store.template.rounds):
            return
        spec = self.store.template.rounds[index]
        if index == self.round_index and self.store.round_state(spec.id).started:
            self._focus_view()
            return

        def answered(yes: bool | None) -> None:
            self._focus_view()
            if yes:
                self.write(self.store.go_to_round(index))

        self.app.push_screen(ConfirmDialog(round_change(self.store, self.round_index, index),
                                           yes=_("Go"), no=_("Stay")), answered)

    def action_next_round(self) -> None:
        if self.round_index + 1 >= len(self.store.template.rounds):
            self.notify(_("This is the last round."), severity="warning", markup=False)
            return
        self._go(self.round_index + 1)

    def action_previous_round(self) -> None:
        if self.round_index == 0:
            self.notify(_("This is the first round."), severity="warning", markup=False)
            return
        self._go(self.round_index - 1)

    def action_reopen_round(self) -> None:
        fields: dict[str, Any] = {"results_shown": False}
        if self.spec.participants_submit:
            fields["submissions_open"] = True
        self.write(self.store.update_round(self.spec.id, **fields), _("Round reopened."))
        if self.view == VIEW_ROUND:
            self.view = VIEW_FEED

    def action_pause_timer(self) -> None:
        state = self.store.round_state(self.spec.id)
        if not state.started:
            self.write(self.store.go_to_round(self.round_index), _("The round has started."))
            return
        self.write(self.store.set_timer(self.spec.id, running=not state.timer_running))

    def action_add_minute(self) -> None:
        self.write(self.store.set_timer(self.spec.id, add_minutes=1.0), _("One minute added."))

    # -- actions: ideas, actions and notes ----------------------------------------------------

    def action_link(self) -> None:
        item = self._current()
        if item is None:
            return
        bottleneck_rounds = [r.id for r in self.store.template.rounds
                             if r.kind is RoundKind.BOTTLENECK and r.id != item.round_id]
        choices = [(c.id, one_line(c.text)) for rid in bottleneck_rounds
                   for c in self.store.contributions(rid)]
        if not choices:
            self.notify(_("There are no bottlenecks to link to yet."),
                        severity="warning", markup=False)
            return

        def linked(links: tuple[int, ...] | None) -> None:
            if links is not None:
                self.write(self.store.update_contributions([item.id], links=links),
                           ngettext("Linked to {n} bottleneck.", "Linked to {n} bottlenecks.",
                                    len(links)).format(n=len(links)))

        self.app.push_screen(LinkPicker(choices, item.links), linked)

    def _flag(self, flag: Flag) -> None:
        item = self._current()
        if item is not None:
            self.write(self.store.toggle_flag(item.id, flag))

    def action_bold(self) -> None:
        self._flag(Flag.BOLD)

    def action_practical(self) -> None:
        self._flag(Flag.PRACTICAL)

    def action_action(self) -> None:
        """An action from the idea under the cursor; on an idea that has one, that action to
        correct or remove (never a second by mistake). With no idea under the cursor, the
        round's actions that came from no idea, or a new one."""
        cid = self.query_one(FeedTable).current_id
        item = self.store.contribution(cid) if cid else None
        existing = (self.store.actions_for(item.id) if item is not None else
                    [a for a in self.store.actions()
                     if a.round_id == self.spec.id and not a.contribution_id])

        def edit(action: Action | None) -> None:
            def done(result: ActionInput | None) -> None:
                if result is None:
                    return
                if action is None:
                    self.write(self.store.add_action(
                        result.text, owner=result.owner, due=result.due,
                        contribution_id=item.id if item else 0, round_id=self.spec.id),
                        _("Action recorded."))
                elif result.remove:
                    self.write(self.store.remove_action(action.id), _("Action removed."))
                else:
                    self.write(self.store.edit_action(action.id, result.text,
                                                      owner=result.owner, due=result.due),
                               _("Action corrected."))

            self.app.push_screen(ActionDialog(item.text if item else "", action=action), done)

        if not existing or (item is not None and len(existing) == 1):
            edit(existing[0] if existing else None)
            return

        def chosen(action_id: int | None) -> None:
            if action_id is not None:
                edit(self.store.action(action_id) if action_id else None)

        choices = [(0, _("A new action…"))]
        choices += [(a.id, f"{one_line(a.text)} — {a.owner or _('no owner yet')}")
                    for a in existing]
        self.app.push_screen(Picker(choices, title=_("Correct which action?"), wide=True),
                             chosen)

    def action_note(self) -> None:
        def written(text: str | None) -> None:
            if text is not None:
                self.write(self.store.add_note(self.spec.id, text), _("Note saved."))

        self.app.push_screen(TextDialog(_("Facilitator note for this round")), written)

    def action_line(self) -> None:
        if self.spec.kind is not RoundKind.DISTILLATION:
            self.notify(_("Lines to a stakeholder side belong in the closing distillation "
                          "round."), severity="warning", markup=False)
            return

        def edit(line: Note | None) -> None:
            def written(result: LineInput | None) -> None:
                if result is None:
                    return
                if line is None:
                    self.write(self.store.add_note(self.spec.id, result.text,
                                                   addressed_to=result.groups),
                               _("Line recorded."))
                elif result.remove:
                    self.write(self.store.remove_note(line.id),
                               _("Line removed: the phones and the wall no longer show it."))
                else:
                    self.write(self.store.edit_line(line.id, result.text,
                                                    addressed_to=result.groups),
                               _("Line corrected: the phones and the wall show it as it is "
                                 "now."))

            self.app.push_screen(LineDialog(self.store.template, line=line), written)

        lines = self.store.lines(self.spec.id)
        if not lines:
            edit(None)
            return

        def chosen(note_id: int | None) -> None:
            if note_id is not None:
                edit(next((n for n in lines if n.id == note_id), None))

        template = self.store.template
        choices = [(0, _("A new line…"))]
        choices += [(n.id, _("To {groups}").format(
                        groups=", ".join(group_name(template, g) for g in n.addressed_to))
                     + ": " + one_line(n.text)) for n in lines]
        self.app.push_screen(Picker(choices, title=_("Write a new line, or correct one"),
                                    wide=True), chosen)

    # -- actions: screens ---------------------------------------------------------------------

    def action_join_screen(self) -> None:
        self.app.push_screen(JoinScreen(self.store, _("Scan to join: {title}").format(
            title=self.store.info.title)))

    def action_toggle_joining(self) -> None:
        round_id = self.store.current_round.id
        closing = not self.store.round_state(round_id).joining_closed
        self.write(self.store.update_round(round_id, joining_closed=closing),
                   _("Joining is closed for this round.") if closing else _("Joining is open."))

    def action_joining(self) -> None:
        self.app.push_screen(JoiningDialog(self.store))

    def _unless_projected(self, question: str, show: Callable[[], object]) -> None:
        """``show`` at once on the facilitator's own screen; on one that may be what the room
        sees, only once the facilitator says yes to ``question``."""
        if not self.projected:
            show()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                show()

        self.app.push_screen(ConfirmDialog(
            question + "\n" + _("(W puts the wall on the projector; P says this screen is your "
                                "own.)"), yes=_("Show it"), no=_("Not now")), answered)

    def action_organiser(self) -> None:
        self._unless_projected(
            _("This screen may be on the projector, and the organiser link is a secret: "
              "whoever reads it can follow this room. Show it here?"),
            lambda: self.app.push_screen(OrganiserScreen(self.store),
                                         lambda _: self._area_join()))

    def action_moderate(self) -> None:
        """The round's contributions in this laptop's browser, right-to-left text shown right
        (the moderation page, facilitator/web/moderation.py)."""
        url = self.facilitator.server_url("moderation")
        if url is None:
            self.notify(_("The participant page is not running, so neither is the moderation "
                          "page."), severity="warning", markup=False)
            return
        self._unless_projected(
            _("This screen may be on the projector, and the moderation page shows hidden "
              "contributions and those waiting for approval too. Open it here?"),
            lambda: self.run_worker(self._moderate(f"{url}?round={self.spec.id}"),
                                    group="browser", exit_on_error=False))

    async def _moderate(self, url: str) -> None:
        if await self.facilitator.open_in_browser(url):
            self.notify(_("Opened in the browser: {url}").format(url=url), markup=False,
                        timeout=8)
        else:
            self.notify(_("No browser could be opened from here: open {url} in a browser on "
                          "this laptop.").format(url=url), severity="warning", timeout=30,
                        markup=False)

    def action_network_check(self) -> None:
        from facilitator.tui.screens.preflight import PreflightScreen

        self.app.push_screen(PreflightScreen())

    def action_comoderator(self) -> None:
        from facilitator.tui.screens.comoderator import ComoderatorScreen

        self._unless_projected(
            _("This screen may be on the projector, and the co-moderator link is a secret: "
              "whoever reads it can change what the room sees. Show it here?"),
            lambda: self.app.push_screen(ComoderatorScreen(self.store)))

    # -- actions: corrections (the timer, the session's details) ------------------------------

    def action_less_minute(self) -> None:
        self.write(self.store.set_timer(self.spec.id, add_minutes=-1.0), _("One minute less."))

    def action_set_time(self) -> None:
        """Set the time left on the round's timer (running or paused, it stays so)."""
        state = self.store.round_state(self.spec.id)
        left = max(0.0, state.remaining(self.facilitator.clock()))

        def check(typed: str) -> str | None:
            seconds = parse_clock(typed)
            if seconds is None or seconds > MAX_TIMER_MINUTES * 60:
                return _("Type the minutes left (5), or minutes and seconds (2:30).")
            return None

        def chosen(typed: str | None) -> None:
            seconds = parse_clock(typed) if typed is not None else None
            if seconds is not None:
                self.write(self.store.set_timer(self.spec.id, left_minutes=seconds / 60),
                           _("Time left: {time}.").format(time=format_clock(seconds)))

        self.app.push_screen(TextDialog(_("Time left in this round (minutes, or minutes:seconds)"),
                                        initial=format_clock(left), multiline=False,
                                        check=check), chosen)

    def action_details(self) -> None:
        """The session's title, place and date, as the report prints them."""
        store = self.store
        rounds = [store.round_state(spec.id) for spec in store.template.rounds]
        ran_on = held_on(dataclasses.replace(store.info, held_on=""), rounds)

        def chosen(details: SessionDetails | None) -> None:
            if details is not None:
                self.write(store.set_details(title=details.title, place=details.place,
                                             held_on=details.held_on),
                           _("Saved: the report shows the session as you set it."))

        self.app.push_screen(DetailsDialog(store.info, ran_on), chosen)
