"""Why phones cannot connect: the preflight (``facilitator/preflight.py``) in the facilitator's
words, with what to do about each thing found. Opened with N, and once at the start when
something looks wrong. The checks run in a thread: PowerShell and netsh take a few seconds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from facilitator.preflight import Checked, Code, Finding, Level, Target, check, findings
from facilitator.tui.i18n import _

SIGNS = {Level.OK: ("✓", "bold green"), Level.INFO: ("·", "bold"),
         Level.WARNING: ("!", "bold yellow"), Level.PROBLEM: ("✗", "bold red")}


def _profiles(value: str) -> str:
    names = {"public": _("Public"), "private": _("Private"), "domain": _("Domain")}
    return " / ".join(names.get(part, part) for part in value.split(",") if part)


def words(finding: Finding) -> tuple[str, str]:
    """What was found, and what to do about it ("" when nothing), in the TUI's language."""
    v = dict(finding.values)
    if "profiles" in v:
        v["profiles"] = _profiles(v["profiles"])
    if "current" in v:
        v["current"] = _profiles(v["current"])
    match finding.code:
        case Code.ADDRESS:
            return _("Phones use {url}.").format(**v), ""
        case Code.PUBLIC_URL:
            return (_("Phones use {url}, through a proxy or tunnel: nothing here can reach it "
                      "the way a phone does.").format(**v),
                    _("Open it on your own phone to check."))
        case Code.ONLY_LOOPBACK:
            return (_("The page listens only on this laptop ({url}): no phone can reach it.")
                    .format(**v),
                    _("Connect the laptop to the venue's Wi-Fi or a phone's hotspot, then run "
                      "the session again (or choose the address with --host)."))
        case Code.ADDRESS_GONE:
            return (_("Phones are sent to {host}, which is no longer an address of this "
                      "laptop (it joined another network).").format(**v),
                    _("Quit and run the session again: it listens on the new address, and "
                      "the QR code shows it."))
        case Code.REACHED:
            return (_("This laptop reached its own page at {url} ({ms} ms).").format(**v),
                    _("That shows the page is up at the address phones use. It does not show "
                      "that a phone can reach it: a firewall always lets the laptop reach "
                      "itself, and a Wi-Fi that keeps devices apart cannot be seen from here."))
        case Code.NOT_REACHED:
            return (_("This laptop could not reach its own page at {url}: {error}.")
                    .format(**v),
                    _("The page does not answer at the address phones use: quit and run the "
                      "session again, or choose the address with --host."))
        case Code.DEVICES:
            return _("Devices joined: {n}, so phones have reached this laptop (on this "
                     "network, if they joined today).").format(**v), ""
        case Code.NO_DEVICES:
            return (_("No device has joined yet."),
                    _("Try it yourself: open {url} on your phone, on the venue's Wi-Fi (not "
                      "mobile data). If it does not load while the checks here are fine, the "
                      "Wi-Fi keeps devices apart: share a phone's hotspot (or bring a travel "
                      "router), connect the laptop to it and run the session again.")
                    .format(**v))
        case Code.NETWORK_PUBLIC:
            return (_("Windows treats the network “{name}” as Public: it lets nothing in that "
                      "no rule allows.").format(**v),
                    _("If this is the venue's network, make it Private: Settings › Network & "
                      "internet › Wi-Fi › {name} › Network profile type › Private network. A "
                      "managed laptop may not let you: then ask IT.").format(**v)
                    if finding.level is not Level.OK else "")
        case Code.NETWORK_PRIVATE:
            return (_("Windows treats the network “{name}” as {category}.").format(
                name=v["name"], category=_profiles(v["category"])), "")
        case Code.FIREWALL_OFF:
            return _("The firewall is off for this network: it blocks nothing."), ""
        case Code.POLICY_ONLY:
            return (_("Your organisation's policy decides the firewall's rules on this laptop: "
                      "a rule you allow yourself does not count."),
                    _("Ask IT for an inbound rule that allows {path} (TCP port {port}).")
                    .format(**v))
        case Code.RULE_BLOCKS:
            return (_("The firewall rule “{rule}” blocks {program} on {profiles} networks: "
                      "phones cannot connect.").format(**v),
                    _("Windows makes such a rule when its question is answered with Cancel, "
                      "and does not ask again. Removing it needs an administrator: ask IT to "
                      "remove it, or to allow {path} (TCP port {port}).").format(**v))
        case Code.RULE_ALLOWS:
            return (_("The firewall rule “{rule}” lets phones reach {program} on {profiles} "
                      "networks.").format(**v), "")
        case Code.ALLOWED_ELSEWHERE:
            return (_("The firewall lets phones reach {program} on {profiles} networks only; "
                      "this one is {current}.").format(**v),
                    _("Make this network Private (Settings › Network & internet › Wi-Fi), or "
                      "ask IT for an inbound rule for {path} (TCP port {port}).").format(**v))
        case Code.NO_RULE:
            return (_("No firewall rule lets phones reach {program} on a {current} network: "
                      "Windows blocks them.").format(**v),
                    _("When the page starts for the first time Windows asks: choose Allow (it "
                      "asks for an administrator). Without one, ask IT for an inbound rule for "
                      "{path} (TCP port {port}), or make this network Private.").format(**v))
        case Code.MAC_FIREWALL_ON:
            return (_("The macOS firewall is on."),
                    _("The first time the page starts, macOS asks whether {program} may accept "
                      "incoming connections: choose Allow. To check: System Settings › Network "
                      "› Firewall › Options.").format(**v))
        case Code.MAC_BLOCK_ALL:
            return (_("The macOS firewall blocks all incoming connections: no phone can "
                      "connect."),
                    _("System Settings › Network › Firewall › Options: switch off “Block all "
                      "incoming connections” (it asks for an administrator)."))
        case Code.MAC_APP_BLOCKED:
            return (_("The macOS firewall blocks {program}.").format(**v),
                    _("System Settings › Network › Firewall › Options: set {program} to allow "
                      "incoming connections (it asks for an administrator).").format(**v))
        case Code.LINUX_FIREWALL_ON:
            return (_("{tool} is on and may block port {port}.").format(**v),
                    _("To let phones in: {how} (it needs admin rights).").format(**v))
        case Code.UNKNOWN:
            return _("Could not check {what}: {why}.").format(
                what=_what(v["what"]), why=v["why"]), ""
    return finding.code.value, ""


def _what(name: str) -> str:
    names = {"network profile": _("the network's profile"), "firewall": _("the firewall"),
             "firewall rules": _("the firewall's rules")}
    return names.get(name, name)


def report(said: list[Finding]) -> Text:
    text = Text()
    for finding in said:
        what, advice = words(finding)
        sign, style = SIGNS[finding.level]
        if text:
            text.append("\n")
        text.append(f"{sign} ", style=style)
        text.append(what, style="bold" if finding.level is Level.PROBLEM else "")
        if advice:
            text.append("\n  " + advice, style="dim")
    return text


class PreflightScreen(ModalScreen[None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,N", "close", "Close", id="preflight.close"),
    ]

    def __init__(self, target: Callable[[], Target | None],
                 checked: Checked | None = None) -> None:
        super().__init__()
        self.target = target
        """Where the running participant page sends phones (None: it does not run)."""
        self.checked = checked

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(_("Why phones cannot connect"), classes="dialog-title")
            with VerticalScroll(classes="preflight"):
                yield Static(id="preflight-found")
            with Horizontal(classes="buttons"):
                yield Button(_("Check again"), id="again")
                yield Button(_("Close"), variant="primary", id="close")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()
        if self.checked is None:
            self.check_again()
        else:
            self.show(self.checked)

    def show(self, checked: Checked) -> None:
        self.checked = checked
        self.query_one("#preflight-found", Static).update(report(findings(checked)))
        self.query_one("#again", Button).disabled = False

    @on(Button.Pressed, "#again")
    def check_again(self) -> None:
        target = self.target()
        found = self.query_one("#preflight-found", Static)
        if target is None:
            found.update(Text(_("The participant page is not running: there is nothing to "
                                "check yet."), style="bold red"))
            return
        found.update(Text(_("Checking… (a few seconds)"), style="italic"))
        self.query_one("#again", Button).disabled = True
        self.run_worker(self._check(target), exclusive=True, exit_on_error=False)

    async def _check(self, target: Target) -> None:
        self.show(await asyncio.to_thread(check, target))

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
