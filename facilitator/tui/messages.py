"""Messages that flow up from the store, the participant server and workers to the screens."""

from __future__ import annotations

from textual.message import Message

from facilitator.core.model import Change


class StoreChanged(Message):
    """A commit landed on disk; ``changes`` says which records changed."""

    def __init__(self, changes: tuple[Change, ...]) -> None:
        super().__init__()
        self.changes = changes


class JoinLinkChanged(Message):
    """The room's join code changed (the participant server says so): a new QR code."""


class ReportReady(Message):
    """The report preview's Markdown, made off the event loop."""

    def __init__(self, markdown: str) -> None:
        super().__init__()
        self.markdown = markdown


class ReportFailed(Message):
    """The report preview could not be made; ``reason`` is shown literally."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason
