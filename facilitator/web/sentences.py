"""What the participant page says when it refuses something: an HTTP status and a sentence.

Sentences are English source strings marked with :func:`N_` so Babel extracts them; they are
translated per request with the participant's catalog (``web`` domain).
"""

from __future__ import annotations

from dataclasses import dataclass

from facilitator.core.errors import Reason


def N_(message: str) -> str:
    """Mark a string for translation without translating it yet."""
    return message


@dataclass(frozen=True, slots=True)
class Answer:
    """A refusal (or confirmation) as the participant sees it."""

    status: int
    sentence: str
    """English source; translate with the participant's catalog before showing it."""
    stale: bool = False
    """The page the form came from is older than what is stored: the page's script loads it
    again (keeping what was typed) before it shows the sentence."""


REFUSALS: dict[Reason, Answer] = {
    Reason.EMPTY: Answer(400, N_("Please write something first.")),
    Reason.TOO_LONG: Answer(400, N_("That is too long. Please keep it under 500 characters.")),
    Reason.ROUND_CLOSED: Answer(409, N_("This round is closed, so nothing was sent.")),
    Reason.VOTING_CLOSED: Answer(409, N_("Voting is closed, so your vote was not saved.")),
    Reason.NOT_VOTED: Answer(409, N_("There is no voting in this round.")),
    Reason.UNKNOWN_ITEM: Answer(400, N_("That vote is not valid. Please reload the page.")),
    Reason.OWN_ITEM: Answer(400, N_("You cannot vote for your own contribution.")),
    Reason.OVER_CAP: Answer(400, N_("Too many dots on one item.")),
    Reason.OVER_BUDGET: Answer(400, N_("You used more dots than you have.")),
    Reason.OUT_OF_SCALE: Answer(400, N_("Each score must be on the scale.")),
    Reason.NOT_YOURS: Answer(403, N_("You can only change your own contributions.")),
    Reason.UNKNOWN_GROUP: Answer(400, N_("Please choose one of the groups listed.")),
    Reason.UNKNOWN_TABLE: Answer(400, N_("Please choose one of the tables listed.")),
    Reason.UNKNOWN_LANGUAGE: Answer(400, N_("Please choose one of the languages listed.")),
    Reason.NOT_FOUND: Answer(404, N_("That contribution no longer exists.")),
    Reason.NO_MORE_ITEMS: Answer(409, N_("You have already seen every item there is to vote on.")),
    Reason.NO_CODE: Answer(403, N_("To join, scan the QR code on the screen or on your table "
                                   "card.")),
    Reason.CODE_NOT_VALID: Answer(403, N_("This join code is no longer valid. Please scan the "
                                          "QR code on the screen again.")),
    Reason.JOINING_CLOSED: Answer(409, N_("Joining is closed for now. Please ask the "
                                          "facilitator.")),
    Reason.CHANGED_SINCE: Answer(409, N_("This contribution was changed after this page was "
                                         "loaded, so your change was not saved. Your text is "
                                         "kept: look at the newest version and save again."),
                                 stale=True),
    Reason.BALLOT_CHANGED: Answer(409, N_("Your vote was changed on another page after this "
                                          "one was loaded, so this vote was not saved. Look at "
                                          "your vote as it is saved now and save again."),
                                  stale=True),
}

UNKNOWN_SESSION = Answer(404, N_("This session does not exist. Please scan the QR code again."))
PAGE_NOT_FOUND = Answer(404, N_("This page does not exist."))
FORGED = Answer(403, N_("This form has expired. Please reload the page and try again."))
TOO_FAST = Answer(429, N_("You are sending too fast. Please wait a minute and try again."))
TOO_BIG = Answer(413, N_("That is too much at once, so nothing was sent."))
NOT_STORED = Answer(503, N_("Your input was not stored. Please try again."))
BUSY = Answer(503, N_("Many people are sending at once. Your text is kept: please try again in "
                      "a moment."))
ROOM_FULL = Answer(503, N_("This room is full: the laptop cannot take more phones for now. "
                           "Please share a screen with someone near you, or ask the facilitator."))
TOO_SLOW = Answer(408, N_("Your connection is too slow right now, so nothing was sent. Please "
                          "try again."))
JOIN_FIRST = Answer(403, N_("Please join first: reload the page, press Start, then try again."))
CANNOT_CHANGE = Answer(
    409,
    N_("This contribution can no longer be changed: the round is closed, voting has started, "
       "or it was merged with a similar one."),
)
UNKNOWN_BOTTLENECK = Answer(400, N_("Please choose one of the bottlenecks listed, or none."))
BAD_REQUEST = Answer(400, N_("That request is not valid. Please reload the page."))
NOT_ALLOWED = Answer(405, N_("That is not possible here."))
BROKEN = Answer(500, N_("Something went wrong. Please try again."))

SENT = Answer(200, N_("Thank you! Your contribution has arrived."))
EDITED = Answer(200, N_("Your change is saved."))
EDITED_PENDING = Answer(
    200, N_("Your change is saved. It will be shown once it is approved.")
)
WITHDRAWN = Answer(200, N_("Your contribution is withdrawn."))
VOTED = Answer(200, N_("Your vote is saved."))
ANOTHER_SET = Answer(200, N_("Here are other items to vote on."))
WELCOME = Answer(200, N_("Welcome! You can take part now."))
ORGANISER_REFUSED = Answer(
    403,
    N_("This organiser link is not valid (any more). Ask the room's facilitator for the "
       "current one."),
)

MODERATION_REFUSED = Answer(
    403,
    N_("This moderation link is not valid (any more). Ask the facilitator for the current one."),
)
NOT_THIS_LAPTOP = Answer(
    403,
    N_("This moderation page opens only on the facilitator's laptop. A colleague needs the "
       "co-moderator's link."),
)
MERGE_WHAT = Answer(400, N_("Tick the duplicates, and choose the one to keep."))

MODERATED: dict[str, str] = {
    "approve": N_("Approved."),
    "unapprove": N_("Approval taken back."),
    "hide": N_("Hidden."),
    "restore": N_("Restored."),
    "merge": N_("Merged."),
    "unmerge": N_("Taken out of the merge."),
}
"""What a moderation page says after each change."""
