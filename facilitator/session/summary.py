"""A room's read-only summary for the organiser: what ``facilitator event watch`` pulls.

It lives beside the store, not in ``facilitator/event`` or ``facilitator/web``: the room's
server builds and serves it, the organiser's watch reads it back, and the two faces do not
import each other.

The room's participant server answers it on the organiser link (``/o/<secret>``, see
facilitator.web.app). It is built from the store's live read model (rankings, themes, the audit,
which groups may be named) and kept as bytes until the next commit (:class:`SummaryCache`), so a
request costs the same at 20 contributions and at 20,000. It follows the room's anonymity rule
(facilitator.core.privacy): an item carries its stakeholder group only when the room may name
it, and a pooled group's contributions and votes won are left out.

The same pydantic models read the summary back on the organiser's laptop, where a room is a
stranger on the network: anything that is not a summary is refused (extra keys, wrong types,
lists longer than a summary has, a number that is not finite or out of range), and every string
is cleaned (``clean_text``: no terminal escapes reach the organiser's screen or the wall).
"""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Literal

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from facilitator.core.groups import AcrossRanking, Standing, ranked_across
from facilitator.core.model import Change
from facilitator.core.privacy import Disclosure
from facilitator.core.ranked import RankedItem
from facilitator.core.templates import RoundKind, RoundSpec
from facilitator.core.text import clean_text
from facilitator.session.documents import LATEST_TIME, Ref, Seconds, Time
from facilitator.session.store import SessionStore

FORMAT = "facilitator-room-summary"
VERSION = 2
"""2: the rankings across groups and whose voice (a version 1 summary, from a room not yet
updated, is read with those left empty)."""
TOP = 5
"""Items per round in the summary (best first)."""
ACROSS_LISTED = 2 * TOP
"""Items a ranking across groups lists at most: the best five and the items tied with the
fifth, as the read model lists them (facilitator.core.groups)."""
MAX_GROUPS = 60
THEMES = 12
"""Themes per round in the summary (most voted first)."""
RECENT_ACTIONS = 5

MAX_COUNT = 10**9
"""More people, items or votes than any room has: a figure above it is not a room's."""


def _clean(text: str) -> str:
    return clean_text(text)


def _clean_line(text: str) -> str:
    return clean_text(text, multiline=False)


Text = Annotated[str, Field(max_length=2000), AfterValidator(_clean)]
Id = Annotated[str, Field(max_length=100), AfterValidator(_clean_line)]
Names = Annotated[dict[Id, Text], Field(max_length=10)]
"""A template text per language."""
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Votes = Annotated[float, Field(ge=0.0, le=MAX_COUNT)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SummaryItem(_Part):
    id: Ref
    text: Text
    rank: Count
    votes: Votes
    """Dots received, or the mean score."""
    voters: Count
    seen: Count = 0
    sampled: bool = False
    theme: Text = ""
    group: Id = ""
    """The stakeholder group's id, only when the room may name it."""


class SummaryTheme(_Part):
    name: Text
    items: Count
    votes: Count


class SummarySupport(_Part):
    group: Id
    """A group the room may name, or ``_pool`` (the other groups together)."""
    share: Share | None
    """The group's smoothed support; None where too few of it saw the item."""


class SummaryAcrossItem(_Part):
    id: Ref
    text: Text
    rank: Count
    tied: bool
    value: Share
    """Carried: the product of the groups' support; differ: the largest gap."""
    support: Annotated[list[SummarySupport], Field(max_length=MAX_GROUPS + 1)]
    highest: Id
    lowest: Id

    @model_validator(mode="after")
    def _groups_supported(self) -> SummaryAcrossItem:
        """The groups furthest apart are among the groups whose support is given."""
        groups = {row.group for row in self.support}
        if self.highest not in groups or self.lowest not in groups:
            raise ValueError("highest and lowest must be groups of its support")
        return self


class SummaryAcross(_Part):
    """One ranking across groups of a round (facilitator.core.groups.AcrossRanking)."""

    standing: Standing
    groups: Annotated[list[Id], Field(max_length=MAX_GROUPS + 1)]
    items: Annotated[list[SummaryAcrossItem], Field(max_length=ACROSS_LISTED)]
    more_tied: Count
    waiting: Count
    min_seen: Count
    sampled: bool


class SummaryRound(_Part):
    id: Id
    kind: RoundKind
    title: Names
    voting: Literal["dots", "score", "none"]
    shown: Count
    top: Annotated[list[SummaryItem], Field(max_length=TOP)]
    themes: Annotated[list[SummaryTheme], Field(max_length=THEMES)]
    ranking: Literal["votes", "carried", "differ"] = "votes"
    """The ranking the room's results show (the facilitator's choice)."""
    carried: SummaryAcross | None = None
    """"Carried by every group" (None: a round without a vote, or a version 1 summary)."""
    differ: SummaryAcross | None = None


class SummaryGroup(_Part):
    id: Id
    name: Names
    expected: bool
    required: bool
    lived_experience: bool
    present: Count
    contributions: Count | None
    """None: withheld (a pooled group)."""
    votes_won: Count | None
    missing: bool
    votes_cast: Count | None = None
    """Votes its members cast; None: withheld (a pooled group), or a version 1 summary."""
    invited: Count | None = None
    """People invited, as the room's facilitator said (None: not said)."""


class SummaryVoice(_Part):
    """Whose voice (the audit's figures, facilitator.core.results.Audit)."""

    gini: Share | None
    """Equality of contributions over the people present (None: nothing said yet)."""
    silent: Count
    """Participants who sent nothing."""
    representation: Share | None
    """The lowest expected group's presence against the highest's."""
    invited_representation: Share | None
    """The lowest turnout against the highest, where numbers invited were said."""


class SummaryNow(_Part):
    index: Count
    total: Count
    round_id: Id
    kind: RoundKind
    title: Names
    started: bool
    submissions_open: bool
    voting_open: bool
    results_shown: bool
    running: bool
    remaining_s: Seconds | None
    """Seconds left when the summary was built (``built_at``, the room's clock)."""


class SummaryLine(_Part):
    text: Text
    to: Annotated[list[Id], Field(max_length=20)]


class SummaryAction(_Part):
    text: Text
    owner: Text
    due: Id


class RoomSummary(_Part):
    format: Literal["facilitator-room-summary"]
    version: Literal[1, 2]
    session_id: Id
    title: Text
    place: Text
    template_id: Id
    template_title: Names
    lang: Id
    threshold: Count
    built_at: Time
    participants: Count
    contributions: Count
    actions: Count
    now: SummaryNow
    rounds: Annotated[list[SummaryRound], Field(max_length=50)]
    groups: Annotated[list[SummaryGroup], Field(max_length=MAX_GROUPS)]
    named: Annotated[list[Id], Field(max_length=MAX_GROUPS)]
    pooled: Annotated[list[Id], Field(max_length=MAX_GROUPS)]
    flags: Annotated[list[tuple[Id, Id]], Field(max_length=100)]
    lines: Annotated[list[SummaryLine], Field(max_length=50)]
    recent_actions: Annotated[list[SummaryAction], Field(max_length=RECENT_ACTIONS)]
    voice: SummaryVoice | None = None
    """None: a version 1 summary."""

    def disclosure(self) -> Disclosure:
        """The room's rule as the room applied it."""
        return Disclosure(self.threshold, frozenset(self.named), frozenset(self.pooled))


class NotASummary(ValueError):
    """What a room answered is not a room summary."""


def read_summary(body: bytes) -> RoomSummary:
    """A summary as a room sent it, checked strictly (no "5" for 5, no 1 for true) and with
    every string cleaned; :class:`NotASummary` says where it is wrong."""
    try:
        return RoomSummary.model_validate_json(body, strict=True)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])  # keys the room sent, too
        raise NotASummary(f"{where}: {error['msg']}" if where else error["msg"]) from None


def _item(spec: RoundSpec, item: RankedItem, store: SessionStore, shown: Disclosure
          ) -> SummaryItem:
    contribution = item.contribution
    theme = store.theme(contribution.theme_id) if contribution.theme_id else None
    votes = float(item.votes) if spec.voting.rule == "dots" else (
        item.mean_score if spec.voting.rule == "score" else 0.0)
    return SummaryItem(
        id=contribution.id, text=contribution.text, rank=item.rank, votes=votes,
        voters=item.voters, seen=item.seen, sampled=item.sampled,
        theme=theme.name if theme is not None else "",
        group=contribution.stakeholder if shown.may_name(contribution.stakeholder) else "")


def _across(found: AcrossRanking) -> SummaryAcross:
    return SummaryAcross(
        standing=found.standing, groups=list(found.groups),
        items=[SummaryAcrossItem(
            id=entry.item.contribution.id, text=entry.item.contribution.text, rank=entry.rank,
            tied=entry.tied, value=min(1.0, entry.value),
            support=[SummarySupport(group=row.group, share=row.share) for row in entry.support],
            highest=entry.highest, lowest=entry.lowest) for entry in found.items],
        more_tied=found.more_tied, waiting=found.waiting, min_seen=found.min_seen,
        sampled=found.sampled)


def build_summary(store: SessionStore, now: float | None = None) -> RoomSummary:
    """The room as the organiser may see it, from the live read model: the current round, each
    round's best items and themes, who is at the table (by the room's anonymity rule), the day
    chair's lines and the newest actions. Costs what it returns: a few items per round, the
    themes and the groups, never a pass over the contributions or the votes."""
    now = time.time() if now is None else now
    template = store.template
    info = store.info
    shown = store.disclosure()
    audit = store.audit()
    rounds = []
    lines = []
    for spec in template.rounds:
        ranking = store.ranking(spec.id)
        themes = [SummaryTheme(name=group.theme.name, items=group.size, votes=group.votes)
                  for group in ranking.theme_groups(store.themes(spec.id), 0)
                  if group.theme is not None and group.size][:THEMES]
        voted = ranked_across(spec)
        rounds.append(SummaryRound(
            id=spec.id, kind=spec.kind, title=spec.title, voting=spec.voting.rule,
            shown=ranking.shown, themes=themes,
            top=[_item(spec, item, store, shown) for item in ranking.top(TOP)],
            ranking=store.round_state(spec.id).ranking,  # type: ignore[arg-type]
            carried=_across(ranking.carried(TOP)) if voted else None,
            differ=_across(ranking.differ(TOP)) if voted else None))
        if spec.kind is RoundKind.DISTILLATION:
            lines += [SummaryLine(text=note.text, to=list(note.addressed_to))
                      for note in store.lines(spec.id)]
    groups = []
    for figures in audit.groups:
        group = template.group(figures.group_id)
        withheld = shown.withheld(figures.group_id)
        groups.append(SummaryGroup(
            id=figures.group_id,
            name=group.name if group is not None else {},
            expected=figures.expected,
            required=bool(group and group.must_be_present),
            lived_experience=bool(group and group.lived_experience),
            present=figures.present,
            contributions=None if withheld else figures.contributions,
            votes_won=None if withheld else figures.votes_won,
            missing=figures.group_id in audit.missing,
            votes_cast=None if withheld else figures.votes_cast,
            invited=figures.invited))
    spec = store.current_round
    state = store.round_state(spec.id)
    actions = sorted(store.actions(), key=lambda a: a.id)
    return RoomSummary(
        format=FORMAT, version=VERSION, session_id=info.session_id, title=info.title,
        place=info.place, template_id=template.id, template_title=template.title,
        lang=info.lang, threshold=template.anonymity_threshold, built_at=now,
        participants=store.participant_count, contributions=audit.contributions,
        actions=len(actions),
        now=SummaryNow(
            index=info.current_round, total=len(template.rounds), round_id=spec.id,
            kind=spec.kind, title=spec.title, started=state.started,
            submissions_open=state.submissions_open, voting_open=state.voting_open,
            results_shown=state.results_shown, running=state.timer_running,
            remaining_s=max(-LATEST_TIME, min(LATEST_TIME, state.remaining(now)))
            if state.started else None),
        rounds=rounds,
        groups=groups,
        named=sorted(shown.named),
        pooled=sorted(shown.pooled),
        flags=[(flag.value, group_id) for flag, group_id in audit.flags],
        lines=lines,
        recent_actions=[SummaryAction(text=a.text, owner=a.owner, due=a.due)
                        for a in actions[-RECENT_ACTIONS:]],
        voice=SummaryVoice(gini=audit.gini, silent=audit.spread.get(0, 0),
                           representation=audit.representation,
                           invited_representation=audit.invited_representation),
    )


class SummaryCache:
    """The room's summary as bytes, built again only after a commit changed the session.

    Its ETag names this process and the commit count, so an organiser's laptop that already
    has the latest gets a 304 without a byte of it, and a room that restarted never answers 304
    to a summary of its earlier life."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store
        self._run = secrets.token_hex(4)
        self._commits = 0
        self._built: tuple[int, str, bytes] | None = None
        self._unsubscribe = store.subscribe(self._changed)

    def _changed(self, changes: tuple[Change, ...]) -> None:
        self._commits += 1

    def current(self) -> tuple[str, bytes]:
        """(ETag, JSON) of the summary as of the last commit."""
        if self._built is None or self._built[0] != self._commits:
            body = orjson.dumps(build_summary(self.store).model_dump(mode="json"))
            self._built = (self._commits, f'"{self._run}-{self._commits}"', body)
        return self._built[1], self._built[2]

    def close(self) -> None:
        self._unsubscribe()


__all__ = ["NotASummary", "RoomSummary", "SummaryCache", "build_summary",
           "read_summary"]
