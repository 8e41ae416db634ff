"""What the facilitator reads when a change was not made: one sentence per refusal reason, in the
TUI's language, and one for a session file that could not be used or written.

The participant page words the same reasons for phones (``web/sentences.py``, ``REFUSALS``): one
mapping per face, each complete (a test checks that every :class:`Reason` has its sentence
here). Nothing of an exception's own text is shown: the store's messages are English and name
files, and a bug's message is for the log.
"""

from __future__ import annotations

import logging

from facilitator.core.errors import Reason, Refused
from facilitator.session.files import (
    FolderNotWritable,
    SessionCorrupt,
    SessionLocked,
    StoreError,
    WriteFailed,
)
from facilitator.tui.i18n import N_, _

REFUSALS: dict[Reason, str] = {
    Reason.EMPTY: N_("Nothing was typed."),
    Reason.TOO_LONG: N_("That text is too long."),
    Reason.ROUND_CLOSED: N_("This round does not take input now."),
    Reason.VOTING_CLOSED: N_("Voting is closed."),
    Reason.NOT_VOTED: N_("This round is not voted on."),
    Reason.UNKNOWN_ITEM: N_("That item cannot be voted on."),
    Reason.OWN_ITEM: N_("Nobody may vote for their own contribution in this round."),
    Reason.OVER_CAP: N_("Too many dots on one item."),
    Reason.OVER_BUDGET: N_("More dots than the round gives."),
    Reason.OUT_OF_SCALE: N_("That score is not on the round's scale."),
    Reason.NOT_YOURS: N_("That contribution is another participant's."),
    Reason.UNKNOWN_GROUP: N_("That is not one of the session's stakeholder groups."),
    Reason.UNKNOWN_TABLE: N_("That is not one of the session's tables."),
    Reason.UNKNOWN_LANGUAGE: N_("That language is not offered."),
    Reason.NOT_FOUND: N_("That no longer exists."),
    Reason.NO_MORE_ITEMS: N_("There are no other items to vote on."),
    Reason.NOT_DISTILLATION: N_("Lines to a stakeholder side belong in the closing "
                                "distillation round."),
    Reason.NO_CODE: N_("A new device needs the room's code or a table card's."),
    Reason.CODE_NOT_VALID: N_("That join code admits nobody now."),
    Reason.JOINING_CLOSED: N_("Joining is closed for this round."),
    Reason.NOT_A_DATE: N_("That is not a date."),
    Reason.NOT_A_NUMBER: N_("That is not a number of people."),
    Reason.CHANGED_SINCE: N_("It was changed meanwhile: look at it as it is now and try "
                             "again."),
    Reason.BALLOT_CHANGED: N_("That vote was changed meanwhile: look at it as it is now and "
                              "try again."),
}
"""Why the session's rules refused a change, as the facilitator reads it (English source; ``_``
translates it where it is shown)."""

log = logging.getLogger(__name__)


def expected(exc: BaseException) -> bool:
    """Whether ``exc`` is a refusal or a file problem (said, not logged as a bug)."""
    return isinstance(exc, Refused | StoreError)


def refusal(exc: BaseException) -> str:
    """The sentence for a change that was not made, in the TUI's language."""
    if isinstance(exc, Refused):
        return _(REFUSALS[exc.reason])
    if isinstance(exc, WriteFailed):
        return _("The session's file could not be written (is the disk full, or read-only?): "
                 "nothing was changed.")
    if isinstance(exc, SessionLocked):
        return _("This session is open in another facilitator window: close that one first.")
    if isinstance(exc, SessionCorrupt):
        said = _("The session's file {file} cannot be read ({problem}); it was left "
                 "untouched.").format(file=exc.path, problem=exc.problem)
        if exc.backup.exists():
            said += " " + _("The last good copy is {backup}.").format(backup=exc.backup)
        return said
    if isinstance(exc, FolderNotWritable):
        return _("Nothing can be written in the folder {folder}: choose another with "
                 "--data-dir.").format(folder=exc.path)
    if isinstance(exc, StoreError):
        return _("The session's file {file} cannot be used now: nothing was changed.").format(
            file=exc.path)
    if isinstance(exc, OSError):
        return _("A file could not be read or written ({error}): nothing was changed.").format(
            error=exc.strerror or type(exc).__name__)
    return _("Something went wrong, so this was not done ({error}); the log has the "
             "details.").format(error=type(exc).__name__)


def said(exc: BaseException) -> str:
    """:func:`refusal`, with the traceback in the log when ``exc`` is a bug rather than a
    refusal. What the app's worker-error handler and the dialogs that keep what was typed
    show."""
    if not expected(exc):
        log.error("a facilitator action failed", exc_info=exc)
    return refusal(exc)
