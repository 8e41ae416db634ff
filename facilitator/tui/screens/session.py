"""The session screen: header with the timer, agenda, the live feed or the round view, the join
panel and the room. Every facilitator action is a store call run in a worker; the screen
changes only when the store's commit event comes back (so what you see is what is on disk)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Footer, OptionList, Static

from facilitator.collector import freeze_long_lived
from facilitator.core.errors import Reason, Refused
from facilitator.core.model import Change, Contribution, Flag, Source
from facilitator.core.templates import RoundKind, RoundSpec, localized
from facilitator.store.files import StoreError
from facilitator.tui.i18n import N_, _, decimal, group_name, loc, translate_bindings
from facilitator.tui.messages import ServerFailed, ServerReady, StoreChanged, WriteRefused
from facilitator.tui.screens.dialogs import (
    NO_THEME,
    ActionDialog,
    ActionInput,
    ContributionDialog,
    LineDialog,
    LineInput,
    LinkPicker,
    NewContribution,
    TextDialog,
    ThemePicker,
)
from facilitator.tui.screens.help import HelpScreen, key_label
from facilitator.tui.screens.join import JoinScreen
from facilitator.tui.screens.joining import JoiningDialog
from facilitator.tui.screens.organiser import OrganiserScreen
from facilitator.tui.widgets.agenda import Agenda
from facilitator.tui.widgets.feed import FeedTable, one_line, status_text
from facilitator.tui.widgets.header import RoundHeader
from facilitator.tui.widgets.join import JoinPanel
from facilitator.tui.widgets.joining import JoiningWatch
from facilitator.tui.widgets.room import RoomPanel
from facilitator.tui.widgets.round_view import RoundView, round_view

if TYPE_CHECKING:
    from facilitator.store.store import SessionStore
    from facilitator.tui.app import FacilitatorApp

log = logging.getLogger(__name__)

VIEW_FEED, VIEW_ROUND = "feed-view", "round-view"
VIEW_REFRESH_S = 0.5
"""The round view redraws at most this often while input arrives."""
FRAME_S = 1 / 30
"""Store events are gathered and shown together at most this often: a busy room commits many
times a second, and the screen only needs to catch up once per frame."""
SAVE_VIEW_AFTER_S = 3.0
"""The selection is saved this long after it last moved (and always on exit)."""
NARROW = 140
"""Below this width the QR code leaves the side (j still shows it full screen)."""


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

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", N_("Add"), id="contribution.add", tooltip=N_(
            "Add a contribution for someone without a phone (a paper card)")),
        Binding("e", "edit", N_("Edit"), id="contribution.edit", show=False),
        Binding("h", "hide", N_("Hide/restore"), id="contribution.hide"),
        Binding("y", "approve", N_("Approve"), id="contribution.approve", show=False),
        Binding("space", "mark", N_("Mark"), id="contribution.mark", show=False),
        Binding("m", "merge", N_("Merge marked into this"), id="contribution.merge"),
        Binding("u", "unmerge", N_("Unmerge"), id="contribution.unmerge", show=False),
        Binding("t", "new_theme", N_("New theme"), id="theme.new", show=False),
        Binding("T", "rename_theme", N_("Rename theme"), id="theme.rename", show=False),
        Binding("s", "sort", N_("Sort into theme"), id="theme.sort"),
        Binding("o", "toggle_submissions", N_("Open/close input"), id="round.submissions"),
        Binding("v", "toggle_voting", N_("Open/close voting"), id="round.voting"),
        Binding("r", "toggle_results", N_("Show/hide results"), id="round.results"),
        Binding("w", "switch_view", N_("Feed/round view"), id="view.switch"),
        Binding("g", "filter_group", N_("Filter by table"), id="view.filter", show=False),
        Binding("G", "filter_stakeholder", N_("Filter by stakeholder group"),
                id="view.filter_stakeholder", show=False),
        Binding("l", "link", N_("Link to bottlenecks"), id="idea.link", show=False),
        Binding("b", "bold", N_("Mark bold"), id="idea.bold", show=False),
        Binding("p", "practical", N_("Mark practical"), id="idea.practical", show=False),
        Binding("x", "action", N_("Make an action"), id="idea.action", show=False),
        Binding("n", "note", N_("Note"), id="session.note", show=False),
        Binding("d", "line", N_("Day chair's line"), id="distillation.line", show=False,
                tooltip=N_("In the closing distillation round: a line to a stakeholder side")),
        Binding("z", "pause_timer", N_("Pause/resume timer"), id="timer.pause", show=False),
        Binding("plus", "add_minute", N_("+1 minute"), id="timer.plus", show=False),
        Binding("right_square_bracket", "next_round", N_("Next round"), id="round.next"),
        Binding("left_square_bracket", "previous_round", N_("Previous round"),
                id="round.previous", show=False),
        Binding("O", "reopen_round", N_("Reopen round"), id="round.reopen", show=False),
        Binding("j", "join_screen", N_("QR full screen"), id="join.fullscreen"),
        Binding("J", "toggle_joining", N_("Close/open joining"), id="joining.toggle",
                show=False, tooltip=N_("No new device may join in this round")),
        Binding("c", "joining", N_("Joining: codes, table cards, people"),
                id="joining.dialog", show=False),
        Binding("k", "organiser", N_("Organiser link"), id="organiser.link", show=False,
                tooltip=N_("The link an organiser's event watch follows this room with: "
                           "switch it off, or make a new one")),
        Binding("question_mark,f1", "help", N_("Help"), id="help"),
        Binding("f5", "report_preview", N_("Report preview"), id="report.preview", show=False),
        Binding("f6", "export_report", N_("Export report"), id="report.export", show=False),
    ]

    def __init__(self, store: SessionStore) -> None:
        super().__init__()
        translate_bindings(self)
        self.store = store
        self.round_index = store.info.current_round
        view_state = store.info.view_state or {}
        view = view_state.get("view", VIEW_FEED)
        self.view = view if view in (VIEW_FEED, VIEW_ROUND) else VIEW_FEED
        self.table_filter = str(view_state.get("filter", ""))
        chosen = view_state.get("stakeholder_filter")
        self.stakeholder_filter: str | None = chosen if isinstance(chosen, str) else None
        """Show only this stakeholder group ("" is "not said"); None shows every group."""
        self.selected = int(view_state.get("selected", 0) or 0)
        self.linkable: set[str] = set()
        """The groups the screen may link to what they said (facilitator.core.privacy): the
        report's rule, so the projector never names a group the printed report hides."""
        self._unsubscribe: Callable[[], None] | None = None
        self._rang_for: str | None = None
        self._view_dirty = True
        self._pending: dict[str, set[int]] = {}
        """Store events not shown yet: table → ids (see :data:`FRAME_S`)."""
        self._frame_timer: Timer | None = None
        self._shown_root: dict[int, int] = {}
        """Row → the item its votes and count were last shown under (a merge or unmerge
        changes the count of the item it left, too)."""
        self._save_timer: Timer | None = None
        self._view_timer: Timer | None = None

    # -- layout ------------------------------------------------------------------------------

    @property
    def facilitator(self) -> FacilitatorApp:
        return self.app  # type: ignore[return-value]

    @property
    def spec(self) -> RoundSpec:
        return self.store.template.rounds[self.round_index]

    def compose(self) -> ComposeResult:
        yield RoundHeader(id="header")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Static(_("Agenda"), classes="panel-title")
                yield Agenda(id="agenda")
                yield Static(_("The room"), classes="panel-title")
                yield RoomPanel(id="room")
                yield JoiningWatch(self.store, id="joining")
                yield JoinPanel(compact=True, id="join-compact")
            with Vertical(id="centre"):
                yield Static(id="prompt")
                with ContentSwitcher(initial=VIEW_FEED, id="switcher"):
                    with Vertical(id=VIEW_FEED):
                        yield FeedTable(id="feed")
                        yield Static(id="detail")
                    yield RoundView(id=VIEW_ROUND)
            with Vertical(id="right"):
                yield Static(_("Join from your phone"), classes="panel-title")
                yield JoinPanel(id="join")
        yield Footer()

    def on_mount(self) -> None:
        feed = self.query_one(FeedTable)
        feed.describe = self._cells
        feed.accepts = self._accepts
        self._unsubscribe = self.store.subscribe(self._committed)
        self._refresh_everything(keep=self.selected or None)
        self.query_one(ContentSwitcher).current = self.view
        self.set_interval(0.5, self._tick)
        self.set_interval(2.0, self._refresh_join)

    def _committed(self, changes: tuple[Change, ...]) -> None:
        """Called by the store after each commit (in the commit task): a message up."""
        self.post_message(StoreChanged(changes))

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "narrow")

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    # -- showing the session ------------------------------------------------------------------

    def _cells(self, item: Contribution) -> dict[str, Text]:
        theme = self.store.theme(item.theme_id) if item.theme_id else None
        dim = "dim" if not item.visible else ""
        stakeholder = (group_name(self.store.template, item.stakeholder)
                       if item.stakeholder in self.linkable else "·" * 3)
        text = Text(one_line(item.text), style=dim, no_wrap=True, overflow="ellipsis")
        if item.source == Source.TUI.value:
            text = Text("✎ ", style="dim") + text
        ranked = self.store.ranking(item.round_id).item(item.id)
        self._shown_root[item.id] = ranked.contribution.id if ranked is not None else item.id
        own = ranked is not None and ranked.contribution.id == item.id
        votes = ""
        if own and ranked is not None and ranked.voters and self.spec.voting.rule != "none":
            votes = (decimal(ranked.mean_score, 1) if self.spec.voting.rule == "score"
                     else str(ranked.votes))
        return {
            "text": text,
            "who": Text(f"{item.table_group} · {stakeholder}" if item.table_group else stakeholder,
                        style=dim, no_wrap=True, overflow="ellipsis"),
            "theme": Text(theme.name if theme else "", style="cyan", no_wrap=True,
                          overflow="ellipsis"),
            "votes": Text(votes, justify="right", style="bold"),
            "status": status_text(item, has_action=bool(self.store.actions_for(item.id)),
                                  count=ranked.count if own and ranked is not None else 1),
        }

    def _accepts(self, item: Contribution) -> bool:
        if self.table_filter and item.table_group != self.table_filter:
            return False
        return self.stakeholder_filter is None or item.stakeholder == self.stakeholder_filter

    def stakeholder_choices(self) -> list[str]:
        """The groups the feed can be filtered by: only those it may link to what they said.
        Not the pooled ones, "prefer not to say" included: showing one part of the pool on its
        own would tell its contributions apart from the rest."""
        groups = [g.id for g in self.store.template.groups if g.id in self.linkable]
        return groups + sorted(self.linkable - set(groups))

    def _drop_unlinkable_filter(self) -> None:
        if self.stakeholder_filter is not None and self.stakeholder_filter not in self.linkable:
            self.stakeholder_filter = None

    def _refresh_everything(self, keep: int | None = None) -> None:
        self.linkable = set(self.store.disclosure().named)
        self._drop_unlinkable_filter()
        self._show_round()
        feed = self.query_one(FeedTable)
        feed.marked.clear()
        feed.load(self.store.contributions(self.spec.id, visible_only=False), keep=keep)
        self._show_detail()
        self._show_agenda()
        self._show_room()
        self._refresh_join()
        self._view_dirty = True
        self._refresh_view()
        # Thousands of rows are long-lived objects: keep them out of the garbage collector's
        # full passes, which would otherwise stall a redraw now and then.
        freeze_long_lived()

    def _show_round(self) -> None:
        info = self.store.info
        rounds = self.store.template.rounds
        state = self.store.round_state(self.spec.id)
        header = self.query_one(RoundHeader)
        header.show_round(info.title, self.round_index, len(rounds), self.spec, state)
        header.show_timer(state, self.facilitator.clock())
        prompt = Text(loc(self.spec.prompt), style="italic")
        if self.table_filter:
            prompt.append("   " + _("showing table {table} only (g)").format(
                table=self.table_filter), style="bold yellow")
        if self.stakeholder_filter is not None:
            prompt.append("   " + _("showing {group} only (G)").format(
                group=group_name(self.store.template, self.stakeholder_filter)),
                style="bold yellow")
        self.query_one("#prompt", Static).update(prompt)

    def _show_agenda(self) -> None:
        rounds = self.store.template.rounds
        self.query_one(Agenda).show(
            rounds, [self.store.round_state(r.id) for r in rounds], self.round_index)

    def _show_room(self) -> None:
        self.query_one(RoomPanel).show(self.store.template, self.store.present())

    def _refresh_join(self) -> None:
        server = self.facilitator.server
        participants = self.store.participant_count
        for panel in self.query(JoinPanel):
            if server is None or not self.facilitator.server_ready:
                problem = self.facilitator.server_problem
                panel.show(None, devices=0, participants=participants, problem=problem)
            else:
                panel.show(server.join_url, devices=server.devices_seen,
                           participants=participants,
                           others=list(getattr(server, "reachable_urls", server.candidate_urls)),
                           organiser=bool(self.store.info.organiser_secret))

    def _show_detail(self) -> None:
        detail = self.query_one("#detail", Static)
        cid = self.query_one(FeedTable).current_id
        item = self.store.contribution(cid) if cid else None
        if item is None:
            detail.update(Text(_("No contributions yet. They appear here as they arrive; "
                                 "a adds one from a paper card."), style="italic"),
                          layout=False)
            return
        text = Text()
        text.append(f"#{item.id}  ", style="bold")
        text.append(group_name(self.store.template, item.stakeholder)
                    if item.stakeholder in self.linkable else "", style="dim")
        if item.table_group:
            text.append("  " + _("table {table}").format(table=item.table_group), style="dim")
        text.append("\n")
        text.append(item.text)
        if item.original_text:
            text.append("\n" + _("first sent as: "), style="dim")
            text.append(item.original_text, style="dim")
        duplicates = [c for c in self.store.merged_into(item.id)]
        if duplicates:
            text.append("\n" + _("{n} merged into this one").format(n=len(duplicates)),
                        style="magenta")
        for link in item.links:
            target = self.store.contribution(link)
            if target is not None:
                text.append("\n⇢ ", style="blue")
                text.append(one_line(target.text))
        for action in self.store.actions_for(item.id):
            text.append("\n▶ ", style="bold green")
            text.append(action.text)
            text.append(f" — {action.owner or _('no owner yet')}", style="bold")
            if action.due:
                text.append(f" · {action.due}")
        detail.update(text, layout=False)  # fixed height: no relayout per cursor move

    def _refresh_view(self) -> None:
        self._view_timer = None
        if self.view != VIEW_ROUND or not self._view_dirty:
            return
        self._view_dirty = False
        self.query_one(RoundView).show(round_view(self.store, self.spec))

    def _tick(self) -> None:
        state = self.store.round_state(self.spec.id)
        now = self.facilitator.clock()
        self.query_one(RoundHeader).show_timer(state, now)
        if state.timer_running and state.remaining(now) <= 0 and self._rang_for != self.spec.id:
            self._rang_for = self.spec.id
            self.app.bell()
            self.notify(_("Time is up for this round."), severity="warning", markup=False)
        elif state.remaining(now) > 0 and self._rang_for == self.spec.id:
            self._rang_for = None

    # -- store events (messages up) -----------------------------------------------------------

    @on(StoreChanged)
    def _store_changed(self, message: StoreChanged) -> None:
        """Gather what changed; :meth:`_show_changes` shows it once per frame."""
        for change in message.changes:
            self._pending.setdefault(change.table, set()).update(change.ids)
        if self._frame_timer is None:
            self._frame_timer = self.set_timer(FRAME_S, self._show_changes)

    def _show_changes(self) -> None:
        """Bring the screen up to date with the store. Costs what changed, never the round:
        the vote totals and counts come from the store's live ranking."""
        self._frame_timer = None
        tables, self._pending = self._pending, {}
        if "session" in tables and self.store.info.current_round != self.round_index:
            self.round_index = self.store.info.current_round
            self.table_filter = ""
            self.stakeholder_filter = None
            self._refresh_everything()
            return
        feed = self.query_one(FeedTable)
        if "participants" in tables:
            before = self.linkable
            self.linkable = set(self.store.disclosure().named)
            self._drop_unlinkable_filter()
            self._show_room()
            if before != self.linkable:
                self._show_round()
                feed.load(self.store.contributions(self.spec.id, visible_only=False),
                          keep=feed.current_id)
        rows: set[int] = set()
        ranking = self.store.ranking(self.spec.id)
        for cid in tables.get("contributions", ()):
            item = self.store.contribution(cid)
            if item is not None and item.round_id == self.spec.id:
                rows.add(cid)
                ranked = ranking.item(cid)
                if ranked is not None:  # its root shows the count and the votes it adds up
                    rows.add(ranked.contribution.id)
                if cid in self._shown_root:  # and so did the root it was shown under
                    rows.add(self._shown_root[cid])
        for vid in tables.get("votes", ()):
            vote = self.store.vote(vid)
            if vote is not None and vote.round_id == self.spec.id:
                ranked = ranking.item(vote.contribution_id)
                rows.add(ranked.contribution.id if ranked is not None else vote.contribution_id)
        for aid in tables.get("actions", ()):
            action = self.store.action(aid)
            if action is not None and action.contribution_id:
                rows.add(action.contribution_id)
        if "themes" in tables:
            renamed = tables["themes"]
            rows.update(c.id for c in self.store.contributions(self.spec.id, visible_only=False)
                        if c.theme_id in renamed)
        for cid in sorted(rows):
            item = self.store.contribution(cid)
            if item is not None and item.round_id == self.spec.id:
                feed.upsert(item)
        if "session" in tables or "rounds" in tables:
            self._show_round()
            self._show_agenda()
        if rows:
            self._show_detail()
        if set(tables) - {"session"}:
            self._view_dirty = True
            if self.view == VIEW_ROUND and self._view_timer is None:
                self._view_timer = self.set_timer(VIEW_REFRESH_S, self._refresh_view)

    @on(ServerReady)
    @on(ServerFailed)
    def _server_changed(self) -> None:
        self._refresh_join()

    @on(WriteRefused)
    def _refused(self, message: WriteRefused) -> None:
        self.notify(message.reason, severity="error", title=_("Not done"), markup=False)

    @on(FeedTable.Highlighted, "#feed")
    def _highlighted(self) -> None:
        self._show_detail()
        self._save_view_soon()

    @on(OptionList.OptionSelected, "#agenda")
    def _agenda_selected(self, event: OptionList.OptionSelected) -> None:
        self._go(event.option_index)
        self.query_one(FeedTable).focus()

    # -- view state ---------------------------------------------------------------------------

    def view_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"view": self.view, "filter": self.table_filter,
                                 "selected": self.query_one(FeedTable).current_id or 0}
        if self.stakeholder_filter is not None:
            state["stakeholder_filter"] = self.stakeholder_filter
        return state

    def _save_view_soon(self) -> None:
        self.facilitator.last_view_state = self.view_state()  # saved on exit at the latest
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(SAVE_VIEW_AFTER_S, self._save_view)

    def _save_view(self) -> None:
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
        for cid in marked:
            item = self.store.contribution(cid)
            if item is not None:
                feed.upsert(item)

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

        self.app.push_screen(ContributionDialog(self.store.template, loc(self.spec.title), save))

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
        feed = self.query_one(FeedTable)
        cid = feed.current_id
        if cid is None:
            return
        feed.marked ^= {cid}
        item = self.store.contribution(cid)
        if item is not None:
            feed.upsert(item)
        if feed.cursor_row < feed.row_count - 1:
            feed.move_cursor(row=feed.cursor_row + 1, animate=False)

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
                   _("Merged {n} into #{id}.").format(n=len(duplicates), id=target))

    def action_unmerge(self) -> None:
        item = self._current()
        if item is None:
            return
        if not item.merged_into:
            self.notify(_("This contribution is not merged."), severity="warning", markup=False)
            return
        self.write(self.store.unmerge(item.id), _("Unmerged."))

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

            def named(name: str | None) -> None:
                if name is not None and theme is not None:
                    self.write(self.store.rename_theme(theme.id, name))

            self.app.push_screen(TextDialog(_("New name for the theme"), initial=theme.name,
                                            multiline=False), named)

        self.app.push_screen(ThemePicker(themes, title=_("Rename which theme?")), chosen)

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
                       _("{n} sorted into: {theme}").format(n=len(ids), theme=name))

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
        from facilitator.tui.widgets.header import voting_rule

        self.write(self.store.update_round(self.spec.id, voting_open=opening),
                   (_("Voting is open: {rule}.").format(rule=voting_rule(self.spec.voting))
                    if opening else _("Voting is closed.")))

    def action_toggle_results(self) -> None:
        state = self.store.round_state(self.spec.id)
        showing = not state.results_shown
        self.write(self.store.update_round(self.spec.id, results_shown=showing))
        if showing:
            self._set_view(VIEW_ROUND)

    def action_switch_view(self) -> None:
        self._set_view(VIEW_ROUND if self.view == VIEW_FEED else VIEW_FEED)

    def _set_view(self, view: str) -> None:
        self.view = view
        self.query_one(ContentSwitcher).current = view
        if view == VIEW_ROUND:
            self._view_dirty = True
            self._refresh_view()
            self.query_one(RoundView).focus()
        else:
            self.query_one(FeedTable).focus()
        self._save_view_soon()

    def action_filter_group(self) -> None:
        tables = ["", *self.store.template.table_groups]
        extra = sorted({c.table_group for c in self.store.contributions(self.spec.id)} -
                       set(tables))
        tables += extra
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
            self.notify(_("No stakeholder group can be shown on its own yet: groups under {n} "
                          "people stay anonymous.").format(
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

    def _filtered(self) -> None:
        feed = self.query_one(FeedTable)
        feed.load(self.store.contributions(self.spec.id, visible_only=False),
                  keep=feed.current_id)
        self._show_round()
        self._show_detail()
        self._save_view_soon()

    def _go(self, index: int) -> None:
        if not 0 <= index < len(self.store.template.rounds):
            return
        spec = self.store.template.rounds[index]
        if index != self.round_index or not self.store.round_state(spec.id).started:
            self.write(self.store.go_to_round(index))

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
                           _("Linked to {n} bottlenecks.").format(n=len(links)))

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
        cid = self.query_one(FeedTable).current_id
        item = self.store.contribution(cid) if cid else None

        def made(result: ActionInput | None) -> None:
            if result is not None:
                self.write(self.store.add_action(
                    result.text, owner=result.owner, due=result.due,
                    contribution_id=item.id if item else 0, round_id=self.spec.id),
                    _("Action recorded."))

        self.app.push_screen(ActionDialog(item.text if item else ""), made)

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

        def written(line: LineInput | None) -> None:
            if line is not None:
                self.write(self.store.add_note(self.spec.id, line.text,
                                               addressed_to=line.groups), _("Line recorded."))

        self.app.push_screen(LineDialog(self.store.template), written)

    # -- actions: screens ---------------------------------------------------------------------

    def _join_link(self) -> tuple[str | None, int]:
        """The join URL as of now (its code changes) and the devices joined, for the QR."""
        server = self.facilitator.server
        url = server.join_url if server is not None and self.facilitator.server_ready else None
        return url, server.devices_seen if server is not None and url else 0

    def action_join_screen(self) -> None:
        prompt = _("Scan to join: {title}").format(title=self.store.info.title)
        self.app.push_screen(JoinScreen(self._join_link, prompt))

    def action_toggle_joining(self) -> None:
        round_id = self.store.current_round.id
        closing = not self.store.round_state(round_id).joining_closed
        self.write(self.store.update_round(round_id, joining_closed=closing),
                   _("Joining is closed for this round.") if closing else _("Joining is open."))

    def action_joining(self) -> None:
        server = self.facilitator.server
        wall = server.wall_url if server is not None and self.facilitator.server_ready else None
        self.app.push_screen(JoiningDialog(self.store, wall_url=wall,
                                           print_cards=self.facilitator.print_cards))

    def action_organiser(self) -> None:
        def link() -> str | None:
            server = self.facilitator.server
            return server.organiser_url if server is not None and \
                self.facilitator.server_ready else None

        self.app.push_screen(OrganiserScreen(self.store, link), lambda _: self._refresh_join())

    def action_help(self) -> None:
        keys = [(", ".join(key_label(k) for k in found_keys),
                 b.description + (f" — {b.tooltip}" if b.tooltip else ""))
                for b, found_keys in self.own_bindings()]
        keys.append(("ctrl+p", _("Command palette: every action by name")))
        keys.append(("ctrl+q", _("Quit (asks first while a round is open)")))
        self.app.push_screen(HelpScreen(keys))

    def own_bindings(self) -> list[tuple[Binding, list[str]]]:
        """This screen's bindings (those with an id), each with all of its keys, in order."""
        found: dict[str, tuple[Binding, list[str]]] = {}
        for key, bindings in self._bindings.key_to_bindings.items():
            for binding in bindings:
                if binding.id:
                    found.setdefault(binding.id, (binding, []))[1].append(key)
        return list(found.values())

    def action_report_preview(self) -> None:
        self.facilitator.report_preview()

    def action_export_report(self) -> None:
        self.facilitator.export_report()

    def round_open(self) -> bool:
        state = self.store.round_state(self.spec.id)
        return state.submissions_open or state.voting_open

    def participants_per_group(self) -> Counter[str]:
        return Counter(p.stakeholder for p in self.store.participants())
