"""Flows on the feed's contributions: a paper card (a), an edit (e), hide (h) and approve (y),
undoing a merge (u), links to bottlenecks (l), the idea's flags (b, p), and the round's themes
(t, T, and s to sort into one)."""

from __future__ import annotations

from facilitator.core.model import Flag, Source
from facilitator.core.templates import RoundKind, localized
from facilitator.tui.i18n import _, loc, ngettext
from facilitator.tui.refusals import said
from facilitator.tui.screens.dialogs import (
    NO_THEME,
    ContributionDialog,
    LinkPicker,
    NewContribution,
    TextDialog,
    ThemeDialog,
    ThemeEdit,
    ThemePicker,
)
from facilitator.tui.screens.flows import Flows
from facilitator.tui.widgets.feed import one_line


class ContributionFlows(Flows):
    def add(self) -> None:
        """A paper card: the dialog stores it and closes only once it is on disk; refused, it
        stays open with the typed text and says why."""
        round_id = self.spec.id

        async def save(card: NewContribution) -> str | None:
            try:
                await self.store.add_contribution(
                    round_id, card.text, source=Source.TUI, stakeholder=card.stakeholder,
                    table_group=card.table_group)
            except Exception as exc:  # a bug must not end a live session: said, and logged
                return said(exc)
            return None

        self.session.app.push_screen(ContributionDialog(
            self.store.template, loc(self.spec.title), save, tables=self.store.info.tables))

    def edit(self) -> None:
        item = self.session.current()
        if item is None:
            return

        def edited(text: str | None) -> None:
            if text is not None and text != item.text:
                self.session.write(self.store.edit_contribution(item.id, text))

        self.session.app.push_screen(TextDialog(
            _("Edit contribution #{id}").format(id=item.id), initial=item.text), edited)

    def hide(self) -> None:
        self._toggle("hidden", _("Hidden."), _("Restored."))

    def approve(self) -> None:
        self._toggle("approved", _("Approved: it can reach the wall."),
                     _("Approval taken back."))

    def _toggle(self, field: str, set_message: str, cleared_message: str) -> None:
        """Set a yes/no field on the marked contributions (or the one under the cursor); clear
        it instead when all of them have it already."""
        ids = self.session.targets()
        if not ids:
            return
        items = [c for c in (self.store.contribution(i) for i in ids) if c is not None]
        value = not all(getattr(c, field) for c in items)
        self.session.clear_marks()
        self.session.write(self.store.update_contributions(ids, **{field: value}),
                           set_message if value else cleared_message)

    def unmerge(self) -> None:
        """Undo a merge from either card: on a duplicate, take it out; on the one others were
        merged into, take them all out."""
        item = self.session.current()
        if item is None:
            return
        if item.merged_into:
            self.session.write(self.store.unmerge(item.id), _("Unmerged."))
            return
        duplicates = self.store.merged_into(item.id)
        if not duplicates:
            self.session.notify(_("Nothing is merged into this contribution, and it is not "
                                  "merged into another."), severity="warning", markup=False)
            return

        async def unmerge_all() -> None:
            for duplicate in duplicates:
                await self.store.unmerge(duplicate.id)

        self.session.write(unmerge_all(), ngettext(
            "Took {n} out of #{id}.", "Took {n} out of #{id}.",
            len(duplicates)).format(n=len(duplicates), id=item.id))

    def link(self) -> None:
        item = self.session.current()
        if item is None:
            return
        bottleneck_rounds = [r.id for r in self.store.template.rounds
                             if r.kind is RoundKind.BOTTLENECK and r.id != item.round_id]
        choices = [(c.id, one_line(c.text)) for rid in bottleneck_rounds
                   for c in self.store.contributions(rid)]
        if not choices:
            self.session.notify(_("There are no bottlenecks to link to yet."),
                                severity="warning", markup=False)
            return

        def linked(links: tuple[int, ...] | None) -> None:
            if links is not None:
                self.session.write(
                    self.store.update_contributions([item.id], links=links),
                    ngettext("Linked to {n} bottleneck.", "Linked to {n} bottlenecks.",
                             len(links)).format(n=len(links)))

        self.session.app.push_screen(LinkPicker(choices, item.links), linked)

    def flag(self, flag: Flag) -> None:
        item = self.session.current()
        if item is not None:
            self.session.write(self.store.toggle_flag(item.id, flag))

    # -- themes -------------------------------------------------------------------------------

    def _themes(self) -> list[tuple[int, str]]:
        return [(t.id, t.name) for t in self.store.themes(self.spec.id)]

    def _themes_or_warn(self) -> list[tuple[int, str]]:
        """The round's themes; when there are none, say how to make one."""
        themes = self._themes()
        if not themes:
            self.session.notify(_("This round has no themes yet (t makes one)."),
                                severity="warning", markup=False)
        return themes

    def new_theme(self) -> None:
        lang = self.store.info.lang  # a theme is session content: in the session's language
        taken = {name for _id, name in self._themes()}
        suggested = [name for t in self.spec.themes
                     if (name := localized(t, lang)) not in taken]

        def named(name: str | None) -> None:
            if name is not None:
                self.session.write(self.store.add_theme(self.spec.id, name),
                                   _("Theme added: {name}").format(name=name))

        self.session.app.push_screen(
            TextDialog(_("Name of the new theme"), initial=suggested[0] if suggested else "",
                       multiline=False), named)

    def rename_theme(self) -> None:
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
                    self.session.write(self.store.remove_theme(theme.id),
                                       _("Theme removed: {name}. Its contributions have no "
                                         "theme now.").format(name=theme.name))
                elif edit.name != theme.name:
                    self.session.write(self.store.rename_theme(theme.id, edit.name))

            self.session.app.push_screen(ThemeDialog(theme.name), edited)

        self.session.app.push_screen(ThemePicker(
            themes, title=_("Rename or remove which theme?"), none=False), chosen)

    def sort(self) -> None:
        ids = self.session.targets()
        if not ids:
            self.session.notify(_("Choose a contribution first."), severity="warning",
                                markup=False)
            return
        themes = self._themes_or_warn()
        if not themes:
            return

        def chosen(theme_id: int | None) -> None:
            if theme_id is None:
                return
            self.session.clear_marks()
            theme = self.store.theme(theme_id) if theme_id != NO_THEME else None
            name = theme.name if theme is not None else _("no theme")
            self.session.write(self.store.update_contributions(ids, theme_id=theme_id),
                               ngettext("{n} sorted into: {theme}", "{n} sorted into: {theme}",
                                        len(ids)).format(n=len(ids), theme=name))

        self.session.app.push_screen(ThemePicker(themes), chosen)
