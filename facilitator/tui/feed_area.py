"""The feed as the session screen runs it: which contributions the filters let through (a
table, a stakeholder group), which rows a change of the store touches, and the marks.

The screen owns the widgets and shows what this says; this holds the feed's state and the
rules, so the screen does not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from facilitator.core.model import Contribution
from facilitator.session.store import SessionStore
from facilitator.tui.shown import FeedRows
from facilitator.tui.widgets.feed import FeedTable


class FeedArea:
    def __init__(self, store: SessionStore, rows: FeedRows, feed: Callable[[], FeedTable],
                 view_state: Mapping[str, Any]) -> None:
        self.store = store
        self.rows = rows
        self._feed = feed
        self.table_filter = str(view_state.get("filter", ""))
        """Show only this table's contributions ("": every table)."""
        chosen = view_state.get("stakeholder_filter")
        self.stakeholder_filter: str | None = chosen if isinstance(chosen, str) else None
        """Show only this stakeholder group ("" is "prefer not to say"); None: every group."""
        self._theme_rows: dict[int, set[int]] = {}
        """Theme → the feed's rows in it (a renamed theme redraws those)."""

    @property
    def feed(self) -> FeedTable:
        return self._feed()

    def view_state(self) -> dict[str, Any]:
        """The filters and the cursor, as the session's view keeps them."""
        state: dict[str, Any] = {"filter": self.table_filter,
                                 "selected": self.feed.current_id or 0}
        if self.stakeholder_filter is not None:
            state["stakeholder_filter"] = self.stakeholder_filter
        return state

    # -- filters ------------------------------------------------------------------------------

    def accepts(self, item: Contribution) -> bool:
        if self.table_filter and item.table_group != self.table_filter:
            return False
        return self.stakeholder_filter is None or item.stakeholder == self.stakeholder_filter

    def stakeholder_choices(self) -> list[str]:
        """The groups the feed can be narrowed to. On a screen that may be projected only those
        that may be named: showing one part of the pool on its own, "prefer not to say"
        included, would tell its contributions apart from the rest. On the facilitator's own
        screen (P) every group that is present or expected."""
        if self.rows.projected:
            named = self.rows.named
            groups = [g.id for g in self.store.template.groups if g.id in named]
            return groups + sorted(named - set(groups))
        present = self.store.present()
        groups = [g.id for g in self.store.template.groups]
        return groups + sorted(set(present) - set(groups))

    def drop_hidden_filter(self) -> bool:
        """Forget a stakeholder filter this screen may no longer narrow to (True if so)."""
        if self.stakeholder_filter is not None and \
                self.stakeholder_filter not in self.stakeholder_choices():
            self.stakeholder_filter = None
            return True
        return False

    def clear_filters(self) -> None:
        self.table_filter = ""
        self.stakeholder_filter = None

    def next_table(self) -> None:
        tables = ["", *self.store.info.tables]
        position = tables.index(self.table_filter) if self.table_filter in tables else 0
        self.table_filter = tables[(position + 1) % len(tables)]

    def next_group(self) -> bool:
        """The next stakeholder group, then all of them; False when none can be chosen."""
        choices: list[str | None] = [None, *self.stakeholder_choices()]
        if len(choices) == 1:
            return False
        position = (choices.index(self.stakeholder_filter)
                    if self.stakeholder_filter in choices else 0)
        self.stakeholder_filter = choices[(position + 1) % len(choices)]
        return True

    # -- rows ---------------------------------------------------------------------------------

    def load(self, round_id: str, keep: int | None = None) -> None:
        """The round's contributions that the filters let through, marks cleared."""
        feed = self.feed
        feed.marked.clear()
        self._theme_rows.clear()
        ids = []
        for item in self.store.contributions(round_id, visible_only=False):
            if self.accepts(item):
                ids.append(item.id)
                self._theme_rows.setdefault(item.theme_id, set()).add(item.id)
        feed.load(ids, keep=keep)

    def refilter(self, round_id: str) -> None:
        """The rows again after a filter changed; the cursor stays where it can."""
        feed = self.feed
        feed.load([c.id for c in self.store.contributions(round_id, visible_only=False)
                   if self.accepts(c)], keep=feed.current_id)

    def changed_rows(self, tables: Mapping[str, set[int]], round_id: str) -> set[int]:
        """The feed's rows the changed records show on (new ones are added here)."""
        feed = self.feed
        rows: set[int] = set()
        shown: list[int] = []
        for cid in sorted(tables.get("contributions", ())):
            item = self.store.contribution(cid)
            if item is None or item.round_id != round_id:
                continue
            if self.accepts(item):
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

    # -- marks --------------------------------------------------------------------------------

    def targets(self) -> list[int]:
        """The marked contributions, else the one under the cursor."""
        feed = self.feed
        if feed.marked:
            return sorted(feed.marked)
        current = feed.current_id
        return [current] if current else []

    def toggle_mark(self) -> bool:
        """Mark or unmark the one under the cursor (False: there is none)."""
        feed = self.feed
        cid = feed.current_id
        if cid is None:
            return False
        feed.marked ^= {cid}
        feed.changed([cid])
        return True

    def clear_marks(self) -> None:
        feed = self.feed
        marked, feed.marked = feed.marked, set()
        feed.changed(marked)
