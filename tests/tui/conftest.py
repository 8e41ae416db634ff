"""Fixtures for the TUI: an app on a real SessionStore in a tmp data dir, handed to its host
as ``facilitator run`` hands it (here in the test's own loop: the store the test writes to is
the host's, the screen shows its copy), and a frozen clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from tui_helpers import FROZEN_NOW, in_process_host, record_notifications, started_when_run

from facilitator.core.model import Source
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore
from facilitator.tui.app import FacilitatorApp


@pytest.fixture
def make_app(library: Library, templates: Templates) -> Callable[..., FacilitatorApp]:
    def make(store: SessionStore | None = None, *, lang: str | None = "en",
             server: bool = True, clock: Callable[[], float] | None = None,
             public_url: str | None = None) -> FacilitatorApp:
        clock = clock or (lambda: FROZEN_NOW)
        hosting = in_process_host(public_url=public_url, clock=clock) if server else None
        app = FacilitatorApp(library, templates, store=store, lang=lang, host_factory=hosting,
                             clock=clock)
        record_notifications(app)
        started_when_run(app)
        return app

    return make


@pytest.fixture
async def session(store: SessionStore) -> SessionStore:
    """The kennisatelier session at its bottleneck round, with a few participants."""
    await store.go_to_round(1)
    for n, group in enumerate(["municipality"] * 3 + ["refugee_led"] * 3 + ["funder"]):
        await store.join(f"device-{n}", lang="nl", stakeholder=group,
                         table_group="AB"[n % 2])
    return store


Add = Callable[..., Awaitable[Any]]


@pytest.fixture
def add(session: SessionStore) -> Add:
    async def add(text: str, *, device: str = "device-0", round_id: str | None = None,
                  source: Source = Source.WEB) -> Any:
        return await session.add_contribution(round_id or session.current_round.id, text,
                                              author=device if source is Source.WEB else "",
                                              source=source)

    return add
