"""Why a change was refused. The web answers each with a status and a translated sentence."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    ROUND_CLOSED = "round_closed"
    """The round does not take submissions now (or the participant may not edit any more)."""
    VOTING_CLOSED = "voting_closed"
    NOT_VOTED = "not_voted"
    UNKNOWN_ITEM = "unknown_item"
    OWN_ITEM = "own_item"
    OVER_CAP = "over_cap"
    OVER_BUDGET = "over_budget"
    OUT_OF_SCALE = "out_of_scale"
    NOT_YOURS = "not_yours"
    UNKNOWN_GROUP = "unknown_group"
    UNKNOWN_TABLE = "unknown_table"
    UNKNOWN_LANGUAGE = "unknown_language"
    NOT_FOUND = "not_found"
    NO_MORE_ITEMS = "no_more_items"
    """A device asked for another set of items to vote on, and there is none to give."""
    NOT_DISTILLATION = "not_distillation"
    """A line addressed to a stakeholder side belongs in a distillation round."""
    NO_CODE = "no_code"
    """A new device came without a join code (a link from outside the room)."""
    CODE_NOT_VALID = "code_not_valid"
    """A new device's join code admits nobody now: expired, from a revoked card, or made up."""
    JOINING_CLOSED = "joining_closed"
    """The facilitator closed joining for the round: no new device may join."""
    NOT_A_DATE = "not_a_date"
    """A date the facilitator typed (a due date, the day of the session) is not a date."""
    NOT_A_NUMBER = "not_a_number"
    """A number the facilitator gave (the people invited of a group) is not a count of
    people."""
    CHANGED_SINCE = "changed_since"
    """An edit from a page that showed an older text than the one stored now (another tab, the
    back button, or the facilitator changed it): saving it would silently undo that change."""
    BALLOT_CHANGED = "ballot_changed"
    """A ballot from a page older than the device's last saved ballot in the round: saving it
    would silently undo the newer one."""


class Refused(Exception):
    """A change the session's rules do not allow. Nothing was stored."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail
