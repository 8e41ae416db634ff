"""The preflight: each system command's output read from a recorded one (tests/fixtures/
preflight, English and Dutch where Windows translates it), what the facts mean, the laptop's
request to its own page against a real server, and commands that hang or are missing."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from facilitator import preflight
from facilitator.preflight import (
    Checked,
    Code,
    Firewall,
    Level,
    Network,
    Rule,
    Target,
    findings,
    looks_wrong,
    parse_connection_profiles,
    parse_current_profile,
    parse_firewall_rules,
    parse_firewalld_state,
    parse_nft_ruleset,
    parse_socketfilterfw,
    parse_ufw_conf,
    rules_for,
)

FIXTURES = Path(__file__).parent / "fixtures" / "preflight"
PYTHON = r"C:\Users\Jan\AppData\Local\Programs\Python\Python313\python.exe"


def recorded(name: str) -> str:
    return (FIXTURES / name).read_bytes().decode("utf-8")


# -- Windows -----------------------------------------------------------------------------------


def test_the_network_profile_from_powershell() -> None:
    assert parse_connection_profiles(recorded("windows-profile-public.json")) == [
        Network("Gemeente-Gast", "Wi-Fi", "public")]
    assert parse_connection_profiles(recorded("windows-profile-two.json")) == [
        Network("Zaal 3 Wi-Fi", "Wi-Fi", "private"),
        Network("gemeente.local", "Ethernet 2", "domain")]
    assert parse_connection_profiles("") == []


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_firewall_of_a_managed_laptop(language: str) -> None:
    firewall = parse_current_profile(recorded(f"windows-currentprofile-{language}.txt"))
    assert firewall == Firewall(("public",), on=True, blocks_inbound=True, local_rules=False)


def test_a_firewall_switched_off() -> None:
    firewall = parse_current_profile(recorded("windows-currentprofile-off-en.txt"))
    assert firewall == Firewall(("private",), on=False, blocks_inbound=True, local_rules=True)
    assert parse_current_profile("The requested operation requires elevation.\r\n") is None


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_rules_for_this_program(language: str) -> None:
    rules = parse_firewall_rules(recorded(f"windows-rules-{language}.txt"))
    assert rules is not None and len(rules) == 7
    mine = rules_for(rules, {preflight._normal(PYTHON)}, 8080)
    # The two Block rules Windows made when its question was cancelled on a Public network,
    # and an Allow rule for Private networks; the disabled old one does not count.
    assert [(r.allow, sorted(r.profiles), r.protocol) for r in mine] == [
        (False, ["public"], "TCP"), (False, ["public"], "UDP"), (True, ["private"], "TCP")]
    # A rule for any program on a port counts for that port only.
    on_port = rules_for(rules, set(), 8443)
    assert [r.name for r in on_port] == ["Intranet dashboard"]
    assert on_port[0].profiles == {"domain"}
    assert rules_for(rules, set(), 8080) == []


def test_rules_in_a_language_not_read_here_are_not_guessed() -> None:
    german = "\r\n".join(["", "Regelname:".ljust(38) + "python.exe", "-" * 70,
                          "Aktiviert:".ljust(38) + "Ja", "Aktion:".ljust(38) + "Blockieren", ""])
    assert parse_firewall_rules(german) is None
    assert parse_firewall_rules("") == []


def _checked(**facts: object) -> Checked:
    target = Target("http://192.168.1.23:8080", public_url=False, devices=0,
                    own_addresses=frozenset({"192.168.1.23"}))
    values = {"target": target, "reach": preflight.Reach("http://192.168.1.23:8080/healthz",
                                                         True, 4.0),
              "port": 8080, "program": PYTHON, **facts}
    return Checked(**values)  # type: ignore[arg-type]


def _codes(checked: Checked) -> list[tuple[Code, Level]]:
    return [(f.code, f.level) for f in findings(checked)]


def test_a_block_rule_on_a_public_network_is_the_problem() -> None:
    rules = parse_firewall_rules(recorded("windows-rules-nl.txt"))
    assert rules is not None
    checked = _checked(
        networks=tuple(parse_connection_profiles(recorded("windows-profile-public.json"))),
        firewall=parse_current_profile(recorded("windows-currentprofile-nl.txt")),
        rules=tuple(rules_for(rules, {preflight._normal(PYTHON)}, 8080)))
    said = findings(checked)
    codes = [(f.code, f.level) for f in said]
    assert (Code.NETWORK_PUBLIC, Level.WARNING) in codes
    assert (Code.POLICY_ONLY, Level.WARNING) in codes  # rules of one's own do not count
    assert codes.count((Code.RULE_BLOCKS, Level.PROBLEM)) == 2
    block = next(f for f in said if f.code is Code.RULE_BLOCKS)
    assert block.values["program"] == "python.exe" and block.values["rule"] == "python.exe"
    assert looks_wrong(said)


def test_no_rule_and_an_allow_rule_elsewhere() -> None:
    public = (Network("Gemeente-Gast", "Wi-Fi", "public"),)
    on = Firewall(("public",), True, True, True)
    allow_private = Rule("python.exe", True, True, frozenset({"private"}), PYTHON, "TCP", "Any")
    assert (Code.ALLOWED_ELSEWHERE, Level.PROBLEM) in _codes(
        _checked(networks=public, firewall=on, rules=(allow_private,)))
    assert (Code.NO_RULE, Level.PROBLEM) in _codes(
        _checked(networks=public, firewall=on, rules=()))
    # The same rule on a Private network: phones may come in.
    private = (Network("Zaal 3", "Wi-Fi", "private"),)
    said = _codes(_checked(networks=private, firewall=Firewall(("private",), True, True, True),
                           rules=(allow_private,)))
    assert (Code.RULE_ALLOWS, Level.OK) in said and not any(
        level is Level.PROBLEM for _, level in said)


def test_a_firewall_that_is_off_blocks_nothing() -> None:
    said = _codes(_checked(networks=(Network("Thuis", "Wi-Fi", "public"),),
                           firewall=Firewall(("public",), False, True, True), rules=()))
    assert (Code.FIREWALL_OFF, Level.OK) in said and (Code.NETWORK_PUBLIC, Level.OK) in said
    assert not any(level is Level.PROBLEM for _, level in said)


# -- the address and the laptop's own request --------------------------------------------------


def test_the_address_and_what_the_request_proves() -> None:
    loopback = Target("http://127.0.0.1:8080", False, 0, frozenset({"192.168.1.23"}))
    assert _codes(Checked(loopback))[0] == (Code.ONLY_LOOPBACK, Level.PROBLEM)
    moved = Target("http://10.0.0.5:8080", False, 0, frozenset({"192.168.1.23"}))
    assert _codes(Checked(moved))[0] == (Code.ADDRESS_GONE, Level.PROBLEM)
    tunnel = Target("https://zaal3.example.org", True, 0, frozenset())
    assert _codes(Checked(tunnel))[0] == (Code.PUBLIC_URL, Level.INFO)
    said = _codes(_checked(reach=preflight.Reach("http://192.168.1.23:8080/healthz", False,
                                                  error="Connection refused")))
    assert said[:3] == [(Code.ADDRESS, Level.OK), (Code.NOT_REACHED, Level.PROBLEM),
                        (Code.NO_DEVICES, Level.INFO)]
    joined = Target("http://192.168.1.23:8080", False, 12, frozenset({"192.168.1.23"}))
    assert (Code.DEVICES, Level.OK) in _codes(_checked(target=joined))


async def test_the_laptop_reaches_its_own_page(store: object) -> None:
    """Against the real participant server: its /healthz answers at the address it listens
    on; an address where nothing listens is said plainly, and quickly."""
    import asyncio

    from facilitator.web.server import ParticipantServer

    server = ParticipantServer(store, host="127.0.0.1", port=0)  # type: ignore[arg-type]
    await server.start()
    try:
        got = await asyncio.to_thread(preflight.reach, server.base_url)
        assert got.ok and got.url == f"{server.base_url}/healthz" and got.millis < 3000
    finally:
        await server.stop()
    started = time.monotonic()
    gone = await asyncio.to_thread(preflight.reach, server.base_url)
    assert not gone.ok and gone.error and time.monotonic() - started < preflight.REACH_S + 1


# -- macOS and Linux ---------------------------------------------------------------------------


def test_the_macos_application_firewall() -> None:
    mac = parse_socketfilterfw(recorded("macos-globalstate-on.txt"),
                               recorded("macos-blockall-off.txt"),
                               recorded("macos-app-permitted.txt"))
    assert (mac.on, mac.block_all, mac.app_blocked) == (True, False, False)
    mac = parse_socketfilterfw(recorded("macos-globalstate-on.txt"),
                               recorded("macos-blockall-on.txt"),
                               recorded("macos-app-blocked.txt"))
    assert (mac.on, mac.block_all, mac.app_blocked) == (True, True, True)
    mac = parse_socketfilterfw(recorded("macos-globalstate-off.txt"),
                               recorded("macos-blockall-old.txt"), "")
    assert (mac.on, mac.block_all, mac.app_blocked) == (False, False, None)
    assert _codes(_checked(mac=preflight.MacFirewall(True, True, False)))[-1] == \
        (Code.MAC_BLOCK_ALL, Level.PROBLEM)


def test_linux_firewalls_read_without_root() -> None:
    assert parse_ufw_conf(recorded("linux-ufw.conf")) is True
    assert parse_ufw_conf("ENABLED=no\n") is False
    assert parse_ufw_conf("# nothing\n") is None
    assert parse_firewalld_state("running\n") is True
    assert parse_firewalld_state("not running\n") is False
    assert parse_nft_ruleset(recorded("linux-nft-ruleset.txt"), 8080) is True
    assert parse_nft_ruleset(recorded("linux-nft-ruleset.txt").replace(
        "tcp dport 22 accept", "tcp dport { 22, 8080 } accept"), 8080) is False
    assert parse_nft_ruleset("", 8080) is False


# -- the commands themselves -------------------------------------------------------------------


def test_a_command_that_hangs_is_given_up_on() -> None:
    started = time.monotonic()
    ran = preflight.run([sys.executable, "-c", "import time; time.sleep(30)"], timeout=1.0)
    assert time.monotonic() - started < 10
    assert "did not answer within 1 s" in ran.problem


def test_a_missing_or_failing_command_is_a_fact() -> None:
    assert "is not on this computer" in preflight.run(["no-such-command-here"]).problem
    failed = preflight.run([sys.executable, "-c",
                            "import sys; sys.stderr.write('Access is denied.'); sys.exit(5)"])
    assert failed.problem.endswith("stopped with exit code 5: Access is denied.")


def test_check_on_windows_with_nothing_answering(monkeypatch: pytest.MonkeyPatch) -> None:
    """PowerShell blocked by policy, netsh refusing: the preflight says what it could not
    check and still gives the address's findings, without waiting for ever."""
    monkeypatch.setattr(preflight, "run", lambda command, timeout=0: preflight.Ran(
        problem=f"{command[0]} could not run (Access is denied)"))
    monkeypatch.setattr(preflight, "reach", lambda base, timeout=0: preflight.Reach(
        base + "/healthz", True, 3.0))
    target = Target("http://192.168.1.23:8080", False, 0, frozenset({"192.168.1.23"}))
    checked = preflight.check(target, platform="win32")
    assert [what for what, _why in checked.unknown] == [
        "network profile", "firewall", "firewall rules"]
    said = findings(checked)
    assert [f.code for f in said][:2] == [Code.ADDRESS, Code.REACHED]
    assert sum(f.code is Code.UNKNOWN for f in said) == 3 and not looks_wrong(said)
