"""Flows that record what a round leads to: an action from an idea (x), a facilitator's note
(n), and in the distillation round a line to a stakeholder side (d). Each corrects or removes
what was written before rather than adding a second one by mistake."""

from __future__ import annotations

from facilitator.core.model import Action, Note
from facilitator.core.templates import RoundKind
from facilitator.tui.i18n import _, group_name
from facilitator.tui.screens.dialogs import (
    ActionDialog,
    ActionInput,
    LineDialog,
    LineInput,
    Picker,
    TextDialog,
)
from facilitator.tui.screens.flows import Flows
from facilitator.tui.widgets.feed import one_line


class OutcomeFlows(Flows):
    def action(self) -> None:
        """An action from the idea under the cursor; on an idea that has one, that action to
        correct or remove (never a second by mistake). With no idea under the cursor, the
        round's actions that came from no idea, or a new one."""
        cid = self.session.current_id
        item = self.store.contribution(cid) if cid else None
        existing = (self.store.actions_for(item.id) if item is not None else
                    [a for a in self.store.actions()
                     if a.round_id == self.spec.id and not a.contribution_id])

        def edit(action: Action | None) -> None:
            def done(result: ActionInput | None) -> None:
                if result is None:
                    return
                if action is None:
                    self.session.write(self.store.add_action(
                        result.text, owner=result.owner, due=result.due,
                        contribution_id=item.id if item else 0, round_id=self.spec.id),
                        _("Action recorded."))
                elif result.remove:
                    self.session.write(self.store.remove_action(action.id),
                                       _("Action removed."))
                else:
                    self.session.write(self.store.edit_action(
                        action.id, result.text, owner=result.owner, due=result.due),
                        _("Action corrected."))

            self.session.app.push_screen(ActionDialog(item.text if item else "",
                                                      action=action), done)

        if not existing or (item is not None and len(existing) == 1):
            edit(existing[0] if existing else None)
            return

        def chosen(action_id: int | None) -> None:
            if action_id is not None:
                edit(self.store.action(action_id) if action_id else None)

        choices = [(0, _("A new action…"))]
        choices += [(a.id, f"{one_line(a.text)} — {a.owner or _('no owner yet')}")
                    for a in existing]
        self.session.app.push_screen(
            Picker(choices, title=_("Correct which action?"), wide=True), chosen)

    def note(self) -> None:
        def written(text: str | None) -> None:
            if text is not None:
                self.session.write(self.store.add_note(self.spec.id, text), _("Note saved."))

        self.session.app.push_screen(TextDialog(_("Facilitator note for this round")), written)

    def line(self) -> None:
        if self.spec.kind is not RoundKind.DISTILLATION:
            self.session.notify(_("Lines to a stakeholder side belong in the closing "
                                  "distillation round."), severity="warning", markup=False)
            return

        def edit(line: Note | None) -> None:
            def written(result: LineInput | None) -> None:
                if result is None:
                    return
                if line is None:
                    self.session.write(self.store.add_note(self.spec.id, result.text,
                                                           addressed_to=result.groups),
                                       _("Line recorded."))
                elif result.remove:
                    self.session.write(self.store.remove_note(line.id),
                                       _("Line removed: the phones and the wall no longer "
                                         "show it."))
                else:
                    self.session.write(self.store.edit_line(line.id, result.text,
                                                            addressed_to=result.groups),
                                       _("Line corrected: the phones and the wall show it as "
                                         "it is now."))

            self.session.app.push_screen(LineDialog(self.store.template, line=line), written)

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
        self.session.app.push_screen(
            Picker(choices, title=_("Write a new line, or correct one"), wide=True), chosen)
