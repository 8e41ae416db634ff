"""``facilitator event watch``: the organiser's live overview of every room, in the terminal,
with the event wall served beside it (facilitator.event.wall).

The rooms are pulled by facilitator.event.watch in this app's loop; every change arrives as a
message and redraws the room table and the picture across rooms. Room titles and contributions
are participant or facilitator text: always ``Text``, never markup.
"""

from __future__ import annotations

import asyncio
import logging
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from facilitator.core.groups import POOL
from facilitator.core.results import UNDISCLOSED
from facilitator.core.templates import localized
from facilitator.event.wall import EventWall
from facilitator.event.watch import (
    EventOverview,
    EventWatch,
    RoomAcross,
    RoomState,
    RoomWatch,
)
from facilitator.session.summary import RoomSummary, SummaryAcrossItem
from facilitator.tui import actions
from facilitator.tui.i18n import _, decimal, language, set_language
from facilitator.tui.widgets.across import percent, ranking_title, standing_note
from facilitator.tui.widgets.keybar import KeyBar

log = logging.getLogger(__name__)

COLUMNS = ("room", "state", "round", "timer", "people", "said", "top", "missing")


class RoomsChanged(Message):
    """Something a room said (or its silence) changed what the overview shows."""


def _loc(value: dict[str, str]) -> str:
    return localized(value, language())


def _group(summary: RoomSummary | None, group_id: str) -> str:
    if group_id == UNDISCLOSED:
        return _("not said")
    for group in summary.groups if summary is not None else ():
        if group.id == group_id and group.name:
            return _loc(group.name)
    return group_id


def state_text(room: RoomWatch) -> Text:
    if room.state is RoomState.ONLINE:
        return Text(_("online"), style="bold green")
    if room.state is RoomState.OFFLINE:
        return Text(_("offline since {time}").format(time=_clock(room.since)), style="bold red")
    if room.state is RoomState.REFUSED:
        return Text(_("link refused"), style="bold red")
    if room.state is RoomState.BROKEN:
        shown = Text(_("not a room summary"), style="bold red")
        if room.problem:  # cleaned by the watch, and shown as text
            shown.append(f" ({room.problem})", style="red")
        return shown
    return Text(_("waiting…"), style="dim")


def _clock(moment: float | None) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(moment).strftime("%H:%M:%S") if moment else "–"


def room_cells(room: RoomWatch, now: float) -> list[Text]:
    summary = room.summary
    dim = "" if room.state is RoomState.ONLINE else "dim"
    if summary is None:
        return [Text(room.link.room), state_text(room), *[Text("") for _c in COLUMNS[2:]]]
    left = room.remaining(now)
    timer = "" if left is None else (_("time is up") if left <= 0
                                     else f"{int(left) // 60}:{int(left) % 60:02d}")
    bottlenecks = [item for r in summary.rounds if r.kind.value == "bottleneck" for item in r.top]
    top = min(bottlenecks, key=lambda item: item.rank).text if bottlenecks else ""
    missing = ", ".join(_loc(g.name) for g in summary.groups if g.missing)
    return [
        Text(summary.title, style=dim, no_wrap=True, overflow="ellipsis"),
        state_text(room),
        Text(f"{summary.now.index + 1}/{summary.now.total} {_loc(summary.now.title)}",
             style=dim, no_wrap=True, overflow="ellipsis"),
        Text(timer, style=dim),
        Text(str(summary.participants), style=dim, justify="right"),
        Text(str(summary.contributions), style=dim, justify="right"),
        Text(top, style=dim, no_wrap=True, overflow="ellipsis"),
        Text(missing, style="red" if missing else "", no_wrap=True, overflow="ellipsis"),
    ]


def support_text(summary: RoomSummary, item: SummaryAcrossItem, kind: str) -> str:
    """Each group's support (carried), or the two groups furthest apart (differ)."""
    by = {row.group: row for row in item.support}
    rows = item.support if kind == "carried" or item.highest == item.lowest else [
        by[item.highest], by[item.lowest]]
    return " · ".join(f"{_bucket(summary, row.group)} {percent(row.share)}" for row in rows)


def _bucket(summary: RoomSummary, group_id: str) -> str:
    return _("Other groups together") if group_id == POOL else _group(summary, group_id)


def room_across(summary: RoomSummary, shown: RoomAcross) -> list[RenderableType]:
    """One room's rankings across its groups (the round :func:`voted_round` picks) and whose
    voice, as its summary says them."""
    parts: list[RenderableType] = [Text(summary.title, style="bold")]
    voice = summary.voice
    if voice is not None:
        said = []
        if voice.gini is not None:
            said.append(_("equality (Gini) {gini}").format(gini=decimal(voice.gini, 2)))
        if voice.representation is not None:
            said.append(_("presence lowest/highest {share}").format(
                share=percent(voice.representation)))
        if voice.invited_representation is not None:
            said.append(_("turnout lowest/highest {share}").format(
                share=percent(voice.invited_representation)))
        if said:
            parts.append(Text(_("Whose voice: ") + " · ".join(said)))
    voted = shown.round
    if voted is None or voted.carried is None or voted.differ is None:
        return parts
    for kind, found in (("carried", voted.carried), ("differ", voted.differ)):
        title = ranking_title(kind)
        parts.append(Text(f"{title} ({_loc(voted.title)})", style="underline"))
        note = standing_note(found.standing, bool(found.items), found.waiting, found.min_seen)
        if note:
            parts.append(Text(note, style="italic dim"))
        for item in found.items:
            line = Text(f"{item.rank}{'=' if item.tied else ''}. ")
            line.append(Text(item.text))
            line.append(f"  ({support_text(summary, item, kind)})", style="dim")
            parts.append(line)
    return parts


def across_view(picture: EventOverview) -> RenderableType:
    """The day across the rooms: totals, the best items (each room's ranking kept), and who is
    at the table with the event's anonymity rule."""
    parts: list[RenderableType] = [Text(_(
        "{online} of {rooms} rooms online · {p} participants · {c} contributions").format(
            online=picture.online, rooms=len(picture.rooms), p=picture.participants,
            c=picture.contributions), style="bold")]
    for title, entries in ((_("Top bottlenecks across rooms"), picture.top_bottlenecks),
                           (_("Top ideas across rooms"), picture.top_ideas)):
        parts.append(Text("\n" + title, style="bold underline"))
        if not entries:
            parts.append(Text(_("Nothing yet."), style="italic"))
        for n, entry in enumerate(entries, start=1):
            summary = picture.rooms[entry.room].summary
            line = Text(f"{n}. ")
            line.append(Text(entry.item.text))
            meta = _("rank {n} in {room}").format(
                n=entry.item.rank, room=summary.title if summary else "")
            if entry.item.group:
                meta += " · " + _group(summary, entry.item.group)
            line.append(f"  ({meta})", style="dim")
            parts.append(line)
    if picture.across:
        parts.append(Text("\n" + _("Per room: carried by every group, where the groups differ, "
                                   "whose voice"), style="bold underline"))
    for shown in picture.across:
        summary = picture.rooms[shown.room].summary
        if summary is not None:
            parts.extend(room_across(summary, shown))
    parts.append(Text("\n" + _("Who is at the table, across the rooms"), style="bold underline"))
    if picture.no_lived_experience:
        parts.append(Text(_("No refugee-led or lived-experience voice has been heard yet."),
                          style="bold red"))
    table = Table(show_header=True, header_style="dim", box=None, padding=(0, 1))
    table.add_column(_("Stakeholder group"))
    table.add_column(_("Present"), justify="right")
    table.add_column(_("Contributions"), justify="right")
    for group in picture.groups:
        name = Text(_loc(group.name) if group.name else _group(None, group.id))
        if group.missing:
            name.append(" · " + _("missing"), style="bold red")
        table.add_row(name, str(group.present),
                      "–" if group.contributions is None else str(group.contributions))
    parts.append(table)
    parts.append(Text(_("“–”: withheld, because some room counts this group with its small "
                        "groups; an event total would give that room's figure away."),
                      style="dim"))
    return Group(*parts)


class EventWatchApp(App[int]):
    TITLE = "facilitator event watch"
    CSS = """
    #event-head { height: auto; padding: 0 1; background: $boost; }
    #rooms { height: auto; max-height: 50%; }
    #across-scroll { height: 1fr; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = list(actions.bindings(actions.WATCH))

    def __init__(self, watch: EventWatch, wall: EventWall | None, *, title: str) -> None:
        super().__init__()
        self.rooms_watch = watch
        self.wall = wall
        self.event_title = title
        self.wall_problem = ""
        self._unsubscribe = watch.subscribe(self._changed)

    def _changed(self) -> None:
        self.post_message(RoomsChanged())

    def compose(self) -> ComposeResult:
        yield Static(id="event-head")
        yield DataTable(id="rooms", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="across-scroll"):
            yield Static(id="across")
        yield KeyBar(actions.WATCH)

    async def on_mount(self) -> None:
        self.theme = "textual-dark"
        table = self.query_one("#rooms", DataTable)
        labels = (_("Room"), _("State"), _("Round"), _("Timer"), _("People"),
                  _("Contributions"), _("Top bottleneck"), _("Missing"))
        for key, label in zip(COLUMNS, labels, strict=True):
            table.add_column(label, key=key)
        for n, room in enumerate(self.rooms_watch.rooms):
            table.add_row(*room_cells(room, self.rooms_watch.clock()), key=str(n))
        await self.rooms_watch.start()
        if self.wall is not None:
            try:
                await self.wall.start()
            except OSError as exc:
                self.wall_problem = _("The event wall could not start: {error}").format(
                    error=exc.strerror or exc)
                self.wall = None
        self.show()
        self.set_interval(1.0, self.show)  # timers and "offline since" move on their own

    async def on_unmount(self) -> None:
        self._unsubscribe()
        await self.rooms_watch.stop()
        if self.wall is not None:
            await self.wall.stop()

    @on(RoomsChanged)
    def _rooms_changed(self) -> None:
        self.show()

    def show(self) -> None:
        head = Text(self.event_title or _("Event watch"), style="bold")
        if self.wall is not None:
            head.append("   " + _("event wall: ") + self.wall.url)
        elif self.wall_problem:
            head.append("   " + self.wall_problem, style="bold red")
        self.query_one("#event-head", Static).update(head)
        table = self.query_one("#rooms", DataTable)
        now = self.rooms_watch.clock()
        for n, room in enumerate(self.rooms_watch.rooms):
            for key, cell in zip(COLUMNS, room_cells(room, now), strict=True):
                table.update_cell(str(n), key, cell)
        self.query_one("#across", Static).update(across_view(self.rooms_watch.overview()))

    async def action_pull(self) -> None:
        await asyncio.gather(*(self.rooms_watch.pull(room) for room in self.rooms_watch.rooms))


def run_watch(links: list[str], *, title: str, host: str, port: int, interval: float,
              lang: str | None) -> int:
    """Run the overview until the organiser quits; exit 0 (1 after a crash)."""
    set_language(lang or "nl")
    watch = EventWatch(links, interval=interval)
    wall = EventWall(watch, title=title, lang=language(), host=host, port=port)
    app = EventWatchApp(watch, wall, title=title)
    try:
        asyncio.run(app.run_async())
    except Exception:
        log.exception("event watch crashed")
        return 1
    return 0 if app.return_code in (None, 0) else int(app.return_code)
