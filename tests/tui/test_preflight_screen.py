"""The preflight on the facilitator's screen: N opens it, it words what was found with what to
do, and a session that starts where phones cannot connect shows it by itself, once."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Static
from tui_helpers import in_process_host, plain, settle

from facilitator import preflight
from facilitator.preflight import Checked, Firewall, Network, Reach, Rule, Target
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.screens import preflight as screen_module
from facilitator.tui.screens.preflight import PreflightScreen
from facilitator.tui.screens.session import SessionScreen

SIZE = (160, 45)
PHONES_REACH = "http://192.168.1.20:8080"
"""The participant page's address as phones are told it (``--public-url``)."""
PYTHON = r"C:\Users\Jan\AppData\Local\Programs\Python\Python313\python.exe"


def blocked_on_windows(target: Target) -> Checked:
    """What a managed Windows laptop on a venue's Wi-Fi shows after Cancel was pressed."""
    return Checked(
        target, Reach(f"{target.base}/healthz", True, 3.0),
        networks=(Network("Gemeente-Gast", "Wi-Fi", "public"),),
        firewall=Firewall(("public",), True, True, False),
        rules=(Rule("python.exe", True, False, frozenset({"public"}), PYTHON, "TCP", "Any"),),
        port=8080, program=PYTHON)


def found(app: Any) -> str:
    return plain(app.screen.query_one("#preflight-found", Static))


async def test_n_words_what_was_found_and_what_to_do(
    make_app: Any, session: SessionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[Target] = []

    def check(target: Target) -> Checked:
        asked.append(target)
        return blocked_on_windows(target)

    monkeypatch.setattr(screen_module, "check", check)
    app = make_app(session, public_url=PHONES_REACH)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("N")
        await settle(pilot)
        assert isinstance(app.screen, PreflightScreen)
        assert asked[0].base == PHONES_REACH and asked[0].devices == 7
        shown = " ".join(found(app).split())
        assert "Phones are sent to 192.168.1.20" in shown or "Phones use" in shown
        assert "reached its own page" in shown and "cannot be seen from here" in shown
        assert "“Gemeente-Gast” as Public" in shown and "Private network" in shown
        assert "policy decides" in shown
        assert "The firewall rule “python.exe” blocks python.exe on Public networks" in shown
        assert "ask IT to remove it" in shown and "TCP port 8080" in shown
        await pilot.click("#again")
        await settle(pilot)
        assert len(asked) == 2
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SessionScreen)


@pytest.mark.parametrize("wrong", [True, False])
async def test_shown_at_the_start_only_when_something_looks_wrong(
    library: Library, templates: Templates, session: SessionStore,
    monkeypatch: pytest.MonkeyPatch, wrong: bool
) -> None:


    def check(target: Target) -> Checked:
        if wrong:
            return blocked_on_windows(target)
        # The address is this laptop's, it answers, and nothing is in the way.
        mine = Target(target.base, False, target.devices, frozenset({"192.168.1.20"}))
        return Checked(mine, Reach(f"{target.base}/healthz", True, 2.0), port=8080)

    monkeypatch.setattr(preflight, "check", check)
    app = FacilitatorApp(library, templates, store=session, lang="en",
                         host_factory=in_process_host(public_url=PHONES_REACH), preflight=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, rounds=6)
        assert isinstance(app.screen, PreflightScreen) is wrong


async def test_a_real_check_of_a_page_on_loopback(
    library: Library, templates: Templates, session: SessionStore
) -> None:
    """No stand-ins: the page listens on 127.0.0.1, which the check finds it reaches, and says
    no phone can (the system's own firewall checks run as they would on this machine)."""
    app = FacilitatorApp(library, templates, store=session, lang="nl",
                         host_factory=in_process_host())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("N")
        for _ in range(100):  # the checks run in a thread: commands take a moment
            await settle(pilot)
            if "Controleren" not in found(app):
                break
        shown = " ".join(found(app).split())
        assert "luistert alleen op deze laptop" in shown
        assert "bereikte zijn eigen pagina" in shown
