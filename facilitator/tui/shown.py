"""What the session screen shows, from the store and its read model (facilitator.core.readmodel):
one function per area of the screen, each returning the plain data its widget takes. The screen
holds these in reactive attributes and hands them down; nothing here draws, and nothing here
passes over a round (the feed's cells are asked one row at a time, as rows are drawn)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from facilitator.core.joining import Burst
from facilitator.core.model import Contribution, RoundState, Source
from facilitator.core.templates import RoundKind, RoundSpec
from facilitator.core.text import right_to_left
from facilitator.session.store import SessionStore
from facilitator.tui.desk import ServerSeen, ServerState
from facilitator.tui.i18n import _, decimal, due_label, group_name, loc, ngettext
from facilitator.tui.widgets.across import percent
from facilitator.tui.widgets.agenda import AgendaRow
from facilitator.tui.widgets.detail import ActionLine, DetailShown
from facilitator.tui.widgets.feed import RTL_SIGN, one_line, status_text
from facilitator.tui.widgets.header import RoundLine
from facilitator.tui.widgets.join_panel import JoinShown
from facilitator.tui.widgets.joining_watch import JoiningShown
from facilitator.tui.widgets.room import RoomRow
from facilitator.tui.widgets.viewbar import ViewStatus
from facilitator.tui.widgets.voice import VoiceShown


def round_count(kind: RoundKind, n: int) -> str:
    """How many a round holds, in its own words."""
    if kind is RoundKind.BOTTLENECK:
        return ngettext("{n} bottleneck", "{n} bottlenecks", n).format(n=n)
    if kind is RoundKind.IDEAS:
        return ngettext("{n} idea", "{n} ideas", n).format(n=n)
    if kind is RoundKind.DISTILLATION:
        return ngettext("{n} tip", "{n} tips", n).format(n=n)
    if kind is RoundKind.AUDIT:
        return ngettext("{n} answer", "{n} answers", n).format(n=n)
    return ngettext("{n} contribution", "{n} contributions", n).format(n=n)


def round_line(store: SessionStore, index: int, *, projected: bool,
               wall: bool = False) -> RoundLine:
    spec = store.template.rounds[index]
    return RoundLine(store.info.title, index, len(store.template.rounds), spec,
                     store.round_state(spec.id), projected, wall)


def agenda_rows(store: SessionStore, current: int) -> tuple[AgendaRow, ...]:
    return tuple(
        AgendaRow(loc(spec.title), spec.kind.value,
                  int(store.round_state(spec.id).duration_s // 60),
                  store.round_state(spec.id).started, index == current)
        for index, spec in enumerate(store.template.rounds))


def room_rows(store: SessionStore) -> tuple[RoomRow, ...]:
    counts = store.present()
    template = store.template
    rows = [RoomRow(group_name(template, g.id), counts.get(g.id, 0),
                    missing=counts.get(g.id, 0) == 0 and (g.expected or g.must_be_present),
                    required=g.must_be_present, expected=g.expected)
            for g in template.groups]
    known = {g.id for g in template.groups}
    rows += [RoomRow(group_name(template, gid), n, expected=False)
             for gid, n in sorted(counts.items()) if gid not in known and n]
    return tuple(rows)


def voice_shown(store: SessionStore, *, private: bool) -> VoiceShown:
    """Whose voice (the audit's figures) and the groups to nudge. ``private``: the screen is
    the facilitator's own, so a pooled group may be named in a nudge (SessionView.nudges)."""
    audit = store.audit()
    return VoiceShown(
        gini=audit.gini, silent=audit.spread.get(0, 0), participants=audit.participants,
        representation="" if audit.representation is None else percent(audit.representation),
        turnout="" if audit.invited_representation is None
        else percent(audit.invited_representation),
        quiet=tuple(group_name(store.template, nudge.group_id)
                    for nudge in store.view.nudges(private=private)))


def view_status(store: SessionStore, spec: RoundSpec, *, results: bool, marked: int,
                table: str, group: str | None) -> ViewStatus:
    ranking = store.ranking(spec.id)
    return ViewStatus(
        results=results, count=round_count(spec.kind, ranking.shown), hidden=ranking.hidden,
        waiting=ranking.waiting, moderated=spec.moderated, marked=marked, table=table,
        group=group_name(store.template, group) if group is not None else None)


def join_shown(store: SessionStore, server: ServerSeen | None, state: ServerState, *,
               wall: bool) -> JoinShown:
    """The join panels: the running server's link and counts, or why there is none."""
    participants = store.participant_count
    if server is None:
        return JoinShown(None, devices=0, participants=participants, problem=state.problem)
    return JoinShown(server.room_link, devices=server.devices, participants=participants,
                     others=server.room_links, organiser=bool(store.info.organiser_secret),
                     wall=wall, carries=server.carries, open_files=server.open_files)


def joining_shown(store: SessionStore, burst: Burst | None) -> JoiningShown:
    return JoiningShown(store.participant_count, store.info.room_size,
                        store.round_state(store.current_round.id).joining_closed, burst)


def detail_shown(store: SessionStore, item: Contribution | None, named: frozenset[str] | None,
                 marked: int) -> DetailShown | None:
    """``named``: the groups that may be named on this screen (None: every group, on the
    facilitator's own screen)."""
    if item is None:
        return None
    links = tuple(one_line(target.text) for link in item.links
                  if (target := store.contribution(link)) is not None)
    actions = tuple(ActionLine(a.text, a.owner, due_label(a.due) if a.due else "")
                    for a in store.actions_for(item.id))
    return DetailShown(
        id=item.id, text=item.text,
        group=group_name(store.template, item.stakeholder)
        if named is None or item.stakeholder in named else "",
        table=item.table_group, original=item.original_text, merged_into=item.merged_into,
        duplicates=len(store.merged_into(item.id)), links=links, actions=actions,
        marked=marked, rtl=right_to_left(item.text))


class FeedRows:
    """The feed's row source: a contribution's cells from the store and the live ranking, by
    the one anonymity rule (``named``: the groups that may be linked to what they said), which
    holds for what the room sees: on the facilitator's own screen (``projected`` False) every
    contribution shows its group, as the paper card it was typed from did."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store
        self.named: frozenset[str] = frozenset()
        self.projected = True
        self.root_of: dict[int, int] = {}
        """Row → the item its votes and count were last shown under (a merge or unmerge
        changes the count of the item it left, too)."""

    def cells(self, contribution_id: int) -> dict[str, Text]:
        store = self.store
        item = store.contribution(contribution_id)
        if item is None:
            return {}
        spec = store.template.round(item.round_id)
        theme = store.theme(item.theme_id) if item.theme_id else None
        dim = "dim" if not item.visible else ""
        stakeholder = (group_name(store.template, item.stakeholder)
                       if item.stakeholder in self.named or not self.projected else "·" * 3)
        text = Text(one_line(item.text), style=dim, no_wrap=True, overflow="ellipsis")
        if right_to_left(item.text):
            text = Text.assemble((f"{RTL_SIGN} ", "bold magenta"), text, no_wrap=True,
                                 overflow="ellipsis")
        if item.source == Source.TUI.value:
            text = Text("✎ ", style="dim") + text
        ranked = store.ranking(item.round_id).item(item.id)
        self.root_of[item.id] = ranked.contribution.id if ranked is not None else item.id
        own = ranked is not None and ranked.contribution.id == item.id
        votes = ""
        if own and ranked is not None and ranked.voters and spec.voting.rule != "none":
            votes = (decimal(ranked.mean_score, 1) if spec.voting.rule == "score"
                     else str(ranked.votes))
        return {
            "text": text,
            "who": Text(f"{item.table_group} · {stakeholder}" if item.table_group else stakeholder,
                        style=dim, no_wrap=True, overflow="ellipsis"),
            "theme": Text(theme.name if theme else "", style="cyan", no_wrap=True,
                          overflow="ellipsis"),
            "votes": Text(votes, justify="right", style="bold"),
            "status": status_text(item, has_action=bool(store.actions_for(item.id)),
                                  count=ranked.count if own and ranked is not None else 1),
        }

    def touched_by(self, contribution_ids: Iterable[int], round_id: str) -> set[int]:
        """The rows a change of these contributions shows on: each, the item it now counts
        towards, and the one it was shown under."""
        rows: set[int] = set()
        ranking = self.store.ranking(round_id)
        for cid in contribution_ids:
            item = self.store.contribution(cid)
            if item is None or item.round_id != round_id:
                continue
            rows.add(cid)
            ranked = ranking.item(cid)
            if ranked is not None:
                rows.add(ranked.contribution.id)
            if cid in self.root_of:
                rows.add(self.root_of[cid])
        return rows


def round_change(store: SessionStore, current: int, index: int) -> str:
    """What going to round ``index`` does, for the facilitator to confirm: phones follow, the
    round left keeps what is open in it, the round reached starts or comes back as it was."""
    rounds = store.template.rounds
    here, there = rounds[current], rounds[index]
    going = (_("Go to round {n}, “{title}”?") if index > current
             else _("Go back to round {n}, “{title}”?")).format(n=index + 1,
                                                                 title=loc(there.title))
    lines = [going, _("The phones and the wall move there.")]
    left = store.round_state(here.id)
    if index != current:
        lines.append(_("Round {n} keeps its state for when you come back: {state}.").format(
            n=current + 1, state=state_words(here, left)))
    state = store.round_state(there.id)
    if not state.started:
        themes = [loc(t) for t in there.themes]
        lines.append(_("Round {n} starts: input opens and its timer runs.").format(n=index + 1)
                     if there.participants_submit else
                     _("Round {n} starts and its timer runs.").format(n=index + 1))
        if themes:
            lines.append(_("Its themes from the template are ready: {themes}.").format(
                themes=", ".join(themes)))
    else:
        lines.append(_("Round {n} comes back as you left it: {state}.").format(
            n=index + 1, state=state_words(there, state)))
    lines.append(_("y: go · n or escape: stay"))
    return "\n".join(lines)


def state_words(spec: RoundSpec, state: RoundState) -> str:
    words = []
    if spec.participants_submit:
        words.append(_("input open") if state.submissions_open else _("input closed"))
    if spec.voting.rule != "none":
        words.append(_("voting open") if state.voting_open else _("voting closed"))
    return ", ".join(words) or _("nothing open")
