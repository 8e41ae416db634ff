"""The event report model: one picture of a day of several rooms, from their session files.

Each room keeps its own report model (facilitator.report.model, built exactly as
``facilitator report`` builds it), so whatever a room's report withholds, its part of the event
report withholds too. Across rooms this module adds only what facilitator.core.combine combines
and facilitator.core.privacy allows:

- key figures summed over the rooms;
- the top bottlenecks and ideas across rooms, each room's ranking kept (core.combine);
- every action with its owner, and each room's distillation (the day chair's lines and the
  room's tips, as its report opens with them);
- the themes of the rooms, those of one name together, with the event file's mappings;
- the rounds matched by kind, shown per room where the rooms differ;
- one "who is at the table" for the whole event: presence, contributions, voice ratio and
  missing groups per stakeholder group, with the figures of every group that some room pooled
  withheld (an event total minus the other rooms' would give that room's figure away), and
  each room's own table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from babel.dates import format_date

from facilitator.core.combine import (
    by_rank_across,
    combine_audits,
    event_groups,
    support,
    theme_key,
)
from facilitator.core.privacy import EventDisclosure, event_disclosure
from facilitator.core.results import UNDISCLOSED, Audit
from facilitator.core.templates import RoundKind, Template, localized
from facilitator.event.file import EventFile, EventFileError
from facilitator.event.rooms import Room
from facilitator.i18n import FACILITATOR_LANGUAGES, translations
from facilitator.report.model import (
    DOMAIN,
    ActionView,
    GroupRow,
    ItemView,
    LineView,
    Report,
    audit_findings,
    build_report,
    quoted_list,
)

EVENT_TOP = 10
"""How many bottlenecks and ideas the event's summary lists across rooms."""
WITHHELD = "–"
"""An event figure withheld for anonymity: not even which side of the threshold it is on (that,
too, could be subtracted from the other rooms' figures)."""
KINDS = (RoundKind.BOTTLENECK, RoundKind.IDEAS, RoundKind.AUDIT, RoundKind.OPEN,
         RoundKind.DISTILLATION)


@dataclass(slots=True)
class EventRoom:
    number: int
    session_id: str
    title: str
    place: str
    date: str
    template_title: str
    file: str
    report: Report
    """The room's own report model: its rule decides what it names and withholds."""

    @property
    def label(self) -> str:
        return f"{self.number}. {self.title}"

    @property
    def lines(self) -> list[LineView]:
        """The day chair's lines, as the room's report opens with them."""
        return self.report.lines

    @property
    def tips(self) -> list[ItemView]:
        """The room's best tips, as on its report's first page."""
        return self.report.tips


@dataclass(slots=True)
class EventItem:
    room: EventRoom
    item: ItemView


@dataclass(slots=True)
class EventAction:
    room: EventRoom
    action: ActionView


@dataclass(slots=True)
class ThemeInRoom:
    room: EventRoom
    round_title: str
    name: str
    """The theme's name in the room."""
    items: int
    votes: str
    """Dots on the theme ("" when the round is not voted with dots)."""
    top: ItemView | None
    mapped: bool = False
    """Shown here because the event file maps it onto this theme."""


@dataclass(slots=True)
class EventTheme:
    kind: str
    name: str
    places: list[ThemeInRoom]

    @property
    def items(self) -> int:
        return sum(p.items for p in self.places)

    @property
    def rooms(self) -> int:
        return len({p.room.number for p in self.places})


@dataclass(slots=True)
class KindRounds:
    """The rounds of one kind in every room (rounds are matched by kind across templates)."""

    kind: str
    label: str
    same: bool
    """Every room ran the same rounds of this kind (same titles): shown once."""
    rooms: list[tuple[EventRoom, list[str]]]


@dataclass(slots=True)
class EventReport:
    lang: str
    title: str
    dates: str
    places: list[str]
    rooms: list[EventRoom]
    participants: int
    contributions: int
    dots: int | None
    """Dots placed in every room (None: no room's rounds are dot-voted)."""
    scores: int | None
    """Scores given in every room (None: no room scores); never added to the dots."""
    top_bottlenecks: list[EventItem]
    top_ideas: list[EventItem]
    actions: list[EventAction]
    themes: list[EventTheme]
    agenda: list[KindRounds]
    groups: list[GroupRow]
    """The whole event's "who is at the table" (each room's is ``room.report.groups``)."""
    findings: list[str]
    """Every finding of the whole event's audit, each on page one."""
    withheld: list[str]
    withheld_note: str
    figures_note: str
    missing: list[str]
    anonymity_threshold: int
    event_file: str
    """The event file that was read ("" when none)."""
    mapped: int
    """Themes the event file placed with another room's."""
    audit: Audit
    disclosure: EventDisclosure

    @property
    def kind_labels(self) -> dict[str, str]:
        return {k.kind: k.label for k in self.agenda}

    @property
    def distillations(self) -> list[EventRoom]:
        return [room for room in self.rooms if room.lines or room.tips]


def build_event_report(rooms: Sequence[Room], *, title: str, event: EventFile | None = None,
                       lang: str | None = None) -> EventReport:
    """The event report of ``rooms`` (open read-only), titled ``title``; ``event`` maps themes.
    Raises :class:`EventFileError` for a mapping that names no room or theme of the event."""
    chosen = lang or rooms[0].store.info.lang
    chosen = chosen if chosen in FACILITATOR_LANGUAGES else "en"
    return _EventBuilder(rooms, title=title, event=event or EventFile(None),
                         lang=chosen).build()


class _EventBuilder:
    def __init__(self, rooms: Sequence[Room], *, title: str, event: EventFile,
                 lang: str) -> None:
        self.title = title
        self.event = event
        self.lang = lang
        self._: Callable[[str], str] = translations(DOMAIN, lang).gettext
        self.templates: list[Template] = [room.store.template for room in rooms]
        self.rooms = [self.room(n, source) for n, source in enumerate(rooms, start=1)]
        self.group_specs = {g.id: g for g in event_groups(self.templates)}

    def text(self, value: dict[str, str]) -> str:
        return localized(value, self.lang)

    def group_name(self, group_id: str) -> str:
        if group_id == UNDISCLOSED:
            return self._("Prefer not to say")
        group = self.group_specs.get(group_id)
        return self.text(group.name) if group is not None else group_id

    def room(self, number: int, source: Room) -> EventRoom:
        store = source.store
        info = store.info
        report = build_report(store, lang=self.lang)
        return EventRoom(number=number, session_id=info.session_id, title=info.title,
                         place=info.place, date=report.date,
                         template_title=report.template_title, file=str(source.file),
                         report=report)

    # -- across rooms --------------------------------------------------------------------------

    @staticmethod
    def support(room: EventRoom, item: ItemView) -> float:
        """The share of its room's participants who backed an item: what breaks ties of rank
        (as the event watch does, from the rooms' summaries)."""
        return support(item.voters, room.report.participants)

    def top(self, pick: Callable[[Report], list[ItemView]]) -> list[EventItem]:
        lists = [[EventItem(room, item) for item in pick(room.report)] for room in self.rooms]
        ordered = by_rank_across(lists, rank=lambda e: e.item.rank,
                                 support=lambda e: self.support(e.room, e.item))
        return [entry for _index, entry in ordered[:EVENT_TOP]]

    def themes(self) -> tuple[list[EventTheme], int]:
        """The rooms' themes, those of one name (or mapped onto one) together: most rooms
        first, then most contributions."""
        mapping = self.mappings()
        found: dict[tuple[str, str], EventTheme] = {}
        mapped = 0
        for room in self.rooms:
            for view in room.report.rounds:
                for theme in view.themes:
                    if not theme.sorted:
                        continue
                    onto = mapping.get((room.session_id, theme_key(theme.name)))
                    key = (view.kind, theme_key(onto or theme.name))
                    entry = found.setdefault(key, EventTheme(view.kind, onto or theme.name, []))
                    mapped += onto is not None
                    entry.places.append(ThemeInRoom(
                        room=room, round_title=view.title, name=theme.name,
                        items=len(theme.items) + theme.more, votes=theme.votes,
                        top=theme.items[0] if theme.items else None, mapped=onto is not None))
        # A theme named after another room's own keeps that room's spelling.
        for entry in found.values():
            own = next((p.name for p in entry.places if not p.mapped), None)
            if own is not None:
                entry.name = own
        ordered = sorted(found.values(), key=lambda t: (KINDS.index(RoundKind(t.kind)),
                                                         -t.rooms, -t.items, theme_key(t.name)))
        return ordered, mapped

    def mappings(self) -> dict[tuple[str, str], str]:
        """(room's session id, theme key) → the name it is shown under, from the event file;
        a mapping that names no room or no theme of that room is refused, naming its key."""
        path = self.event.path
        mapping: dict[tuple[str, str], str] = {}
        by_id = {room.session_id: room for room in self.rooms}
        for entry in self.event.themes:
            assert path is not None
            room = by_id.get(entry.room)
            if room is None:
                raise EventFileError(path, f"{entry.key}.room", (
                    f"{entry.room!r} is not one of the rooms; they are "
                    f"{', '.join(sorted(by_id))}"))
            names = {theme_key(t.name) for v in room.report.rounds for t in v.themes if t.sorted}
            if theme_key(entry.name) not in names:
                raise EventFileError(path, f"{entry.key}.name",
                                     f"room {entry.room!r} has no theme {entry.name!r}")
            mapping[(entry.room, theme_key(entry.name))] = entry.same_as
        return mapping

    def agenda(self) -> list[KindRounds]:
        labels = {
            RoundKind.BOTTLENECK: self._("Bottlenecks"),
            RoundKind.IDEAS: self._("Ideas"),
            RoundKind.AUDIT: self._("Who was at the table"),
            RoundKind.OPEN: self._("Open rounds"),
            RoundKind.DISTILLATION: self._("Distillation"),
        }
        result = []
        for kind in KINDS:
            rows = [(room, [v.title for v in room.report.rounds if v.kind == kind.value])
                    for room in self.rooms]
            if not any(titles for _room, titles in rows):
                continue
            same = all(titles == rows[0][1] for _room, titles in rows)
            result.append(KindRounds(kind.value, labels[kind], same, rows))
        return result

    # -- who was at the table ------------------------------------------------------------------

    def group_rows(self, combined: Audit, shown: EventDisclosure) -> list[GroupRow]:
        rows = []
        for figures in combined.groups:
            exact = shown.exact(figures.group_id)
            group = self.group_specs.get(figures.group_id)
            rows.append(GroupRow(
                group_id=figures.group_id,
                name=self.group_name(figures.group_id),
                expected=figures.expected,
                required=bool(group and group.must_be_present),
                missing=figures.group_id in combined.missing,
                present=figures.present,
                contributions=str(figures.contributions) if exact else WITHHELD,
                votes_won=str(figures.votes_won) if exact else WITHHELD,
                presence_share=figures.presence_share,
                voice_share=figures.voice_share if exact else None,
                votes_share=figures.votes_share if exact else None,
                pooled=not exact,
            ))
        return rows

    def withheld_note(self, names: Sequence[str]) -> str:
        if not names:
            return ""
        return self._("Withheld for anonymity across the event: the contributions, votes won "
                      "and shares of {groups}. In at least one room these groups were counted "
                      "with the small groups, and an event total, less the other rooms' "
                      "figures, would give away what that room's report withholds.").format(
                          groups=quoted_list(self._, names))

    def build(self) -> EventReport:
        _ = self._
        reports = [room.report for room in self.rooms]
        combined = combine_audits(self.templates, [r.audit for r in reports])
        shown = event_disclosure(r.disclosure for r in reports)
        groups = self.group_rows(combined, shown)
        withheld = [g.name for g in groups if g.pooled]
        participants = sum(r.participants for r in reports)
        findings = (audit_findings(combined, gettext=_, lang=self.lang,
                                   group_name=self.group_name, withheld=shown.withheld,
                                   dominance_of_withheld=False)
                    if participants else [_("Nobody has joined this session yet.")])
        themes, mapped = self.themes()
        dates = list(dict.fromkeys(
            format_date(day, format="long", locale=self.lang)
            for day in sorted({r.day for r in reports})))
        return EventReport(
            lang=self.lang,
            title=self.title,
            dates=", ".join(dates),
            places=list(dict.fromkeys(room.place for room in self.rooms if room.place)),
            rooms=self.rooms,
            participants=participants,
            contributions=sum(r.contributions for r in reports),
            dots=_total([r.dots for r in reports]),
            scores=_total([r.scores for r in reports]),
            top_bottlenecks=self.top(lambda r: r.top_bottlenecks),
            top_ideas=self.top(lambda r: r.top_ideas),
            actions=[EventAction(room, action) for room in self.rooms
                     for action in room.report.actions],
            themes=themes,
            agenda=self.agenda(),
            groups=groups,
            findings=findings,
            withheld=withheld,
            withheld_note=self.withheld_note(withheld),
            figures_note=_("“{mark}”: withheld for anonymity (see above).").format(
                mark=WITHHELD) if withheld else "",
            missing=[self.group_name(g) for g in combined.missing],
            anonymity_threshold=max(t.anonymity_threshold for t in self.templates),
            event_file=str(self.event.path) if self.event.path else "",
            mapped=mapped,
            audit=combined,
            disclosure=shown,
        )


def _total(figures: Sequence[int | None]) -> int | None:
    """The event's total of a figure the rooms have or lack (None: no room has it)."""
    known = [figure for figure in figures if figure is not None]
    return sum(known) if known else None
