"""The wall's rankings across stakeholder groups: what "carried by every group" and "where the
groups differ" (facilitator.core.groups) show on the projector when the results are revealed;
and, when the audit round's results are shown, whose voice filled the room (:func:`wall_voice`:
the audit's figures by the report's anonymity rule, never the facilitator's nudges).

The facilitator chooses the ranking with a key in the TUI (``R``); it is the round's
``RoundState.ranking``, so the wall and the facilitator's screen always show the same list.
Read from the store's live read model, which keeps both rankings per ballot: a wall render
costs the items it lists, never a pass over the round. Group names are in the wall's language;
the pool's name and every sentence are in the web catalog (wall.html).
"""

from __future__ import annotations

from dataclasses import dataclass

from babel.numbers import format_decimal, format_percent

from facilitator.core.groups import POOL, AcrossItem, AcrossRanking, Standing
from facilitator.core.templates import RoundSpec
from facilitator.session.store import SessionStore
from facilitator.web import content
from facilitator.web.content import Shown

WALL_ACROSS = 10
"""Items the wall lists per ranking across groups (and every item tied with the tenth)."""


@dataclass(frozen=True, slots=True)
class WallSupport:
    group: Shown | None
    """The group's name in the wall's language; None: the other groups together (the pool)."""
    share: str
    """"62%" in the wall's language; "–" where too few of the group saw the item."""


@dataclass(frozen=True, slots=True)
class WallAcrossItem:
    id: int
    rank: int
    tied: bool
    text: Shown
    support: tuple[WallSupport, ...]
    """Carried: every group's support; differ: the group that supports it most, then least
    (every group, when all support it as much)."""
    sampled: bool
    seen: int


@dataclass(frozen=True, slots=True)
class WallAcross:
    kind: str
    """"carried" or "differ"."""
    standing: str
    """A :class:`facilitator.core.groups.Standing` value: the wall says why there is no list."""
    groups: tuple[WallSupport, ...]
    """The groups compared (their shares are not used)."""
    items: tuple[WallAcrossItem, ...]
    more_tied: int
    waiting: int
    min_seen: int
    sampled: bool


def _support(store: SessionStore, group: str, share: float | None, lang: str) -> WallSupport:
    name = None
    if group != POOL:
        found = store.template.group(group)
        name = content.shown(found.name, lang, store.info.lang) if found else content.typed(
            group)
    return WallSupport(name, "–" if share is None else format_percent(share, locale=lang))


def _item(store: SessionStore, kind: str, entry: AcrossItem, lang: str) -> WallAcrossItem:
    by = {row.group: row for row in entry.support}
    if kind == "carried" or entry.highest == entry.lowest or not entry.value:
        rows = entry.support  # differ, every group alike: their figures say so
    else:
        rows = (by[entry.highest], by[entry.lowest])
    item = entry.item
    return WallAcrossItem(
        id=item.contribution.id, rank=entry.rank, tied=entry.tied,
        text=content.written(store, item.contribution),
        support=tuple(_support(store, row.group, row.share, lang) for row in rows),
        sampled=item.sampled, seen=item.seen)


def wall_across(store: SessionStore, spec: RoundSpec, kind: str, lang: str) -> WallAcross:
    """One ranking across groups of a round, as the wall shows it in ``lang``."""
    ranking = store.ranking(spec.id)
    found: AcrossRanking = ranking.carried(WALL_ACROSS) if kind == "carried" else \
        ranking.differ(WALL_ACROSS)
    return WallAcross(
        kind=kind, standing=found.standing.value,
        groups=tuple(_support(store, g, None, lang) for g in found.groups),
        items=tuple(_item(store, kind, entry, lang) for entry in found.items)
        if found.standing is Standing.RANKED else (),
        more_tied=found.more_tied, waiting=found.waiting, min_seen=found.min_seen,
        sampled=found.sampled)


@dataclass(frozen=True, slots=True)
class WallGroup:
    name: Shown | None
    """None: "prefer not to say"."""
    present: int
    contributions: str
    """Share of the contributions ("40%"), or "–" where withheld (a pooled group)."""
    votes_cast: str
    """Share of the votes cast, or "–"."""


@dataclass(frozen=True, slots=True)
class WallVoice:
    gini: str
    """"0.21" in the wall's language; "" while nothing has been said."""
    silent: int
    participants: int
    representation: str
    turnout: str
    groups: tuple[WallGroup, ...]
    withheld: bool
    """Some group's figures read "–" (the wall says why)."""


def wall_voice(store: SessionStore, lang: str) -> WallVoice:
    """Whose voice, as the wall shows it in ``lang``: the audit's figures (the same the report
    prints), a pooled group's shares withheld; groups nobody came for are left out."""
    audit = store.audit()
    rows, withheld = store.view.groups()

    def share(value: float | None) -> str:
        return "–" if value is None else format_percent(value, locale=lang)

    groups = []
    for row in rows:
        if not row.present:
            continue
        found = store.template.group(row.group_id)
        name = None if not row.group_id else (
            content.shown(found.name, lang, store.info.lang) if found else
            content.typed(row.group_id))
        groups.append(WallGroup(name, row.present, share(row.voice_share),
                                share(row.cast_share)))
    return WallVoice(
        gini="" if audit.gini is None else format_decimal(audit.gini, format="0.00",
                                                          locale=lang),
        silent=audit.spread.get(0, 0), participants=audit.participants,
        representation="" if audit.representation is None else share(audit.representation),
        turnout="" if audit.invited_representation is None
        else share(audit.invited_representation),
        groups=tuple(groups), withheld=bool(withheld))
