"""Why phones cannot reach the laptop: what can be found out from the laptop itself, without
admin rights, and never waiting long.

:func:`check` gathers the facts (:class:`Checked`) and :func:`findings` says what they mean
(:class:`Finding`: a code, how bad, the values to word it with; the TUI words it in the
facilitator's language, ``tui/screens/preflight.py``). What is gathered:

- the address phones use, and whether it is still one of this laptop's;
- whether this laptop reaches its own page at that address (not at 127.0.0.1). That shows the
  page listens there. It does not show that a phone can reach it: every system lets a machine
  through its own firewall to itself, and a Wi-Fi that keeps its clients apart (client
  isolation) cannot be seen from one of them. Only a phone can tell: the dialog says how;
- how many devices have joined (one is proof that phones get through);
- on Windows, the network's profile (``Get-NetConnectionProfile``: a Public network lets nothing
  in unless a rule allows it), the firewall of the current profile (``netsh advfirewall show
  currentprofile``: on or off, whether inbound is blocked, whether the laptop's own rules count
  or only the organisation's policy) and the inbound rules for this program (``netsh advfirewall
  firewall show rule name=all dir=in verbose``: a Block rule is what Windows makes when its
  question was answered with Cancel);
- on macOS the application firewall (``socketfilterfw``: on, blocking everything, or this
  program blocked);
- on Linux ufw (its configuration file: ``ufw status`` needs root), firewalld and nftables where
  they answer without root.

Every command runs with a time limit (:data:`COMMAND_S`), no window, no input, its output kept
from the terminal; a command that is missing, refused or too slow is a fact too ("could not
check"). Each output is read by a function of its own (``parse_*``), tested with recorded
outputs in ``tests/fixtures/preflight``. netsh speaks the language of Windows: English and Dutch
are read; PowerShell's JSON is the same in every language.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import ntpath
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

COMMAND_S = 8.0
"""The longest a system command may take (PowerShell's first start on a managed laptop is slow;
reading every firewall rule takes a second or two)."""
REACH_S = 3.0
"""The longest the laptop's request to its own page may take."""


class Level(StrEnum):
    OK = "ok"
    INFO = "info"
    WARNING = "warning"
    PROBLEM = "problem"


class Code(StrEnum):
    """What a finding says (the TUI has the words for each)."""

    ADDRESS = "address"
    PUBLIC_URL = "public_url"
    ONLY_LOOPBACK = "only_loopback"
    ADDRESS_GONE = "address_gone"
    REACHED = "reached"
    NOT_REACHED = "not_reached"
    DEVICES = "devices"
    NO_DEVICES = "no_devices"
    NETWORK_PUBLIC = "network_public"
    NETWORK_PRIVATE = "network_private"
    FIREWALL_OFF = "firewall_off"
    POLICY_ONLY = "policy_only"
    RULE_BLOCKS = "rule_blocks"
    RULE_ALLOWS = "rule_allows"
    ALLOWED_ELSEWHERE = "allowed_elsewhere"
    NO_RULE = "no_rule"
    MAC_FIREWALL_ON = "mac_firewall_on"
    MAC_BLOCK_ALL = "mac_block_all"
    MAC_APP_BLOCKED = "mac_app_blocked"
    LINUX_FIREWALL_ON = "linux_firewall_on"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Finding:
    code: Code
    level: Level
    values: dict[str, str] = field(default_factory=dict)


# -- running a command -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ran:
    """A command's output, or why there is none (``problem``)."""

    out: str = ""
    code: int = 0
    problem: str = ""


def run(command: list[str], timeout: float = COMMAND_S) -> Ran:
    """Run ``command`` without input, window or terminal, for at most ``timeout`` seconds."""
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, creationflags=flags, check=False)
    except FileNotFoundError:
        return Ran(problem=f"{Path(command[0]).name} is not on this computer")
    except subprocess.TimeoutExpired:
        return Ran(problem=f"{Path(command[0]).name} did not answer within {timeout:.0f} s")
    except OSError as exc:
        return Ran(problem=f"{Path(command[0]).name} could not run ({exc.strerror or exc})")
    out = _decode(done.stdout)
    if done.returncode != 0 and not out.strip():
        said = " ".join(_decode(done.stderr).split())[:200]
        return Ran(out, done.returncode,
                   f"{Path(command[0]).name} stopped with exit code {done.returncode}"
                   + (f": {said}" if said else ""))
    return Ran(out, done.returncode)


def _decode(raw: bytes) -> str:
    """Console programs on Windows write in the OEM code page (cp850 on a Dutch Windows)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("oem" if sys.platform == "win32" else "latin-1", "replace")


# -- the laptop's own page ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reach:
    url: str
    ok: bool
    millis: float = 0.0
    error: str = ""


def reach(base: str, timeout: float = REACH_S) -> Reach:
    """Ask the page for ``/healthz`` at ``base`` (the address phones use) from this laptop."""
    parts = urlsplit(base)
    url = f"{base.rstrip('/')}/healthz"
    host = parts.hostname or ""
    connection_type = (http.client.HTTPSConnection if parts.scheme == "https"
                       else http.client.HTTPConnection)
    connection = connection_type(host, parts.port, timeout=timeout)
    started = time.perf_counter()
    try:
        connection.request("GET", "/healthz", headers={"User-Agent": "facilitator-preflight"})
        answer = connection.getresponse()
        body = answer.read(200)
    except (OSError, http.client.HTTPException) as exc:
        return Reach(url, False, error=_reason(exc))
    finally:
        connection.close()
    millis = (time.perf_counter() - started) * 1000
    if answer.status != 200 or b'"ok"' not in body:
        return Reach(url, False, millis, f"HTTP {answer.status}")
    return Reach(url, True, millis)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


# -- Windows -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Network:
    """A connected network as Windows classifies it."""

    name: str
    interface: str
    category: str
    """"public", "private" or "domain"."""


PROFILE_COMMAND = [
    "powershell.exe", "-NoProfile", "-NonInteractive", "-Command",
    "[Console]::OutputEncoding = [Text.Encoding]::UTF8; Get-NetConnectionProfile | "
    "Select-Object Name, InterfaceAlias, "
    "@{n='NetworkCategory'; e={[string]$_.NetworkCategory}} | ConvertTo-Json -Compress",
]
FIREWALL_COMMAND = ["netsh", "advfirewall", "show", "currentprofile"]
RULES_COMMAND = ["netsh", "advfirewall", "firewall", "show", "rule", "name=all", "dir=in",
                 "verbose"]

CATEGORIES = {"public": "public", "private": "private", "domainauthenticated": "domain"}


def parse_connection_profiles(out: str) -> list[Network]:
    """``Get-NetConnectionProfile`` as JSON (one object, or a list of them)."""
    data: Any = json.loads(out) if out.strip() else []
    entries = data if isinstance(data, list) else [data]
    found = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        category = CATEGORIES.get(str(entry.get("NetworkCategory", "")).lower())
        if category is None:
            continue
        found.append(Network(str(entry.get("Name") or ""), str(entry.get("InterfaceAlias") or ""),
                             category))
    return found


PROFILE_WORDS = {
    "public": ("public", "openbaar", "openbare"),
    "private": ("private", "particulier", "particuliere", "privé"),
    "domain": ("domain", "domein"),
}
"""How netsh names the firewall's profiles, in English and Dutch."""
ON_WORDS, OFF_WORDS = {"on", "aan", "ingeschakeld"}, {"off", "uit", "uitgeschakeld"}


@dataclass(frozen=True, slots=True)
class Firewall:
    """The Windows firewall as ``netsh advfirewall show currentprofile`` describes it."""

    profiles: tuple[str, ...]
    """The profiles in force ("public", "private", "domain"); several when several networks
    are connected."""
    on: bool | None
    blocks_inbound: bool | None
    """Inbound connections no rule allows are blocked (the default)."""
    local_rules: bool | None
    """False: only the organisation's policy's rules count (``LocalFirewallRules N/A (GPO-store
    only)``); rules the laptop's own user allowed are ignored."""


def parse_current_profile(out: str) -> Firewall | None:
    """``netsh advfirewall show currentprofile``, in any language: a profile's heading ends with
    a colon above a line of dashes; its state is the first line after the dashes (ON, AAN...);
    the policy's and the local rules' values are identifiers netsh does not translate."""
    lines = [line.rstrip() for line in out.splitlines()]
    profiles: list[str] = []
    states: list[bool | None] = []
    blocks: bool | None = None
    local: bool | None = None
    for index, line in enumerate(lines):
        if line.startswith("---") and index > 0 and lines[index - 1].strip().endswith(":"):
            heading = lines[index - 1].lower()
            for profile, words in PROFILE_WORDS.items():
                if any(re.search(rf"\b{word}\b", heading) for word in words):
                    profiles.append(profile)
                    break
            state = lines[index + 1].split()[-1].lower() if index + 1 < len(lines) and \
                lines[index + 1].split() else ""
            states.append(True if state in ON_WORDS else False if state in OFF_WORDS else None)
        policy = re.search(r"\b(BlockInboundAlways|BlockInbound|AllowInbound)\b", line)
        if policy:
            blocks = policy.group(1) != "AllowInbound"
        if line.startswith("LocalFirewallRules"):
            value = line[len("LocalFirewallRules"):].strip().lower()
            local = not ("gpo" in value or value.startswith("n/"))
    if not profiles:
        return None
    on = True if any(s is True for s in states) else (False if states and all(
        s is False for s in states) else None)
    return Firewall(tuple(profiles), on, blocks, local)


@dataclass(frozen=True, slots=True)
class Rule:
    """An inbound firewall rule, as netsh lists it."""

    name: str
    enabled: bool
    allow: bool
    profiles: frozenset[str]
    """"public", "private", "domain" (all three for "Any")."""
    program: str
    """The program's path as the rule names it ("" for any program)."""
    protocol: str
    local_port: str


RULE_LABELS: dict[str, tuple[str, ...]] = {
    "name": ("rule name", "regelnaam", "naam van regel"),
    "enabled": ("enabled", "ingeschakeld"),
    "direction": ("direction", "richting"),
    "profiles": ("profiles", "profielen"),
    "protocol": ("protocol",),
    "local_port": ("localport", "lokale poort"),
    "program": ("program", "programma"),
    "action": ("action", "actie"),
}
"""The labels of netsh's rule listing that matter here, in English and Dutch."""
YES = {"yes", "ja"}
ALLOW, BLOCK = {"allow", "toestaan"}, {"block", "blokkeren"}
ANY = {"any", "alle", "elke", "willekeurig"}


def parse_firewall_rules(out: str) -> list[Rule] | None:
    """``netsh advfirewall firewall show rule name=all dir=in verbose``: the inbound rules, or
    None when the listing is not in a language read here."""
    label_of = {label: key for key, labels in RULE_LABELS.items() for label in labels}
    rules: list[Rule] = []
    current: dict[str, str] = {}
    recognised = False

    def close() -> None:
        if "name" in current and "action" in current:
            action = current["action"].lower()
            if action in ALLOW or action in BLOCK:
                rules.append(Rule(
                    name=current["name"], enabled=current.get("enabled", "").lower() in YES,
                    allow=action in ALLOW, profiles=_profiles(current.get("profiles", "")),
                    program="" if current.get("program", "").lower() in ANY | {""}
                    else current["program"],
                    protocol=current.get("protocol", "").upper(),
                    local_port=current.get("local_port", "")))

    for line in out.splitlines():
        label, colon, value = line.partition(":")
        if not colon:
            continue
        key = label_of.get(label.strip().lower())
        if key is None:
            continue
        recognised = True
        if key == "name":
            close()
            current = {}
        current[key] = value.strip()
    close()
    return rules if recognised or not out.strip() else None


def _profiles(value: str) -> frozenset[str]:
    words = {word.strip().lower() for word in value.split(",")}
    if words & ANY:
        return frozenset(PROFILE_WORDS)
    return frozenset(profile for profile, names in PROFILE_WORDS.items() if words & set(names))


def listening_program() -> str:
    """The program that listens for phones, as the firewall sees it: the interpreter's own file
    (in a virtual environment on Windows, ``python.exe`` in ``Scripts`` only starts it)."""
    import psutil

    try:
        return psutil.Process().exe() or sys.executable
    except (psutil.Error, OSError):
        return sys.executable


def this_program() -> set[str]:
    """The paths a firewall rule may name this program by (normalised)."""
    return {_normal(path) for path in (sys.executable, listening_program()) if path}


def _normal(path: str) -> str:
    """A Windows path as a rule may write it (``%LOCALAPPDATA%``, any case) made comparable."""
    return ntpath.normcase(ntpath.normpath(ntpath.expandvars(path)))


def rules_for(rules: list[Rule], programs: set[str], port: int) -> list[Rule]:
    """The enabled inbound rules that decide for this program on ``port``: those naming the
    program, and those for any program that name the port."""
    found = []
    for rule in rules:
        if not rule.enabled:
            continue
        if rule.program:
            if _normal(rule.program) in programs:
                found.append(rule)
        elif rule.protocol in ("TCP", "ANY", "") and str(port) in re.split(r"[,\s]+",
                                                                         rule.local_port):
            found.append(rule)
    return found


# -- macOS and Linux ---------------------------------------------------------------------------

SOCKETFILTERFW = "/usr/libexec/ApplicationFirewall/socketfilterfw"


@dataclass(frozen=True, slots=True)
class MacFirewall:
    on: bool | None
    block_all: bool | None
    app_blocked: bool | None


def parse_socketfilterfw(state: str, block_all: str, app: str) -> MacFirewall:
    """``socketfilterfw --getglobalstate``, ``--getblockall`` and ``--getappblocked <program>``
    (English on every Mac)."""
    def enabled(text: str) -> bool | None:
        lowered = text.lower()
        if "state = 1" in lowered or "state = 2" in lowered or \
                re.search(r"\benabled\b", lowered):
            return "disabled" not in lowered
        if "state = 0" in lowered or "disabled" in lowered:
            return False
        return None

    lowered = app.lower()
    app_blocked = True if "blocked" in lowered else False if "permitted" in lowered else None
    return MacFirewall(enabled(state), enabled(block_all), app_blocked)


@dataclass(frozen=True, slots=True)
class LinuxFirewall:
    tool: str
    on: bool | None
    how: str = ""
    """What the facilitator (or an admin) runs to let the port in."""


def parse_ufw_conf(text: str) -> bool | None:
    """``/etc/ufw/ufw.conf`` (readable without root, unlike ``ufw status``)."""
    found = re.search(r"^\s*ENABLED\s*=\s*(\w+)", text, re.M)
    return None if found is None else found.group(1).lower() == "yes"


def parse_firewalld_state(out: str) -> bool | None:
    """``firewall-cmd --state``: "running" or "not running"."""
    said = out.strip().lower()
    return True if said == "running" else False if said == "not running" else None


def parse_nft_ruleset(out: str, port: int) -> bool | None:
    """``nft list ruleset`` (it needs root): whether an input chain drops by default without a
    rule accepting ``port``."""
    if "hook input" not in out:
        return False
    drops = re.search(r"hook input[^\n]*policy drop", out) is not None
    accepts = re.search(
        rf"tcp dport (?:\{{[^}}\n]*\b{port}\b[^}}\n]*\}}|{port}\b)[^\n]*\baccept", out)
    return drops and accepts is None


# -- everything together -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """What the participant page is, as the TUI knows it."""

    base: str
    """Where phones are sent (the join link's scheme, host and port)."""
    public_url: bool
    """The address is a proxy's or a tunnel's (``--public-url``): nothing here can check it."""
    devices: int
    own_addresses: frozenset[str]


@dataclass(frozen=True, slots=True)
class Checked:
    target: Target
    reach: Reach | None = None
    networks: tuple[Network, ...] = ()
    firewall: Firewall | None = None
    rules: tuple[Rule, ...] | None = None
    """The rules for this program and port (None: not read)."""
    mac: MacFirewall | None = None
    linux: tuple[LinuxFirewall, ...] = ()
    port: int = 0
    program: str = ""
    unknown: tuple[tuple[str, str], ...] = ()
    """What could not be checked, and why."""


def check(target: Target, platform: str = sys.platform) -> Checked:
    """Gather the facts (blocking: run it in a thread). Never needs admin rights; each command
    waits at most :data:`COMMAND_S`."""
    parts = urlsplit(target.base)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    unknown: list[tuple[str, str]] = []
    reached = None if target.public_url else reach(target.base)
    program = listening_program()
    networks: tuple[Network, ...] = ()
    firewall = None
    rules: tuple[Rule, ...] | None = None
    mac = None
    linux: list[LinuxFirewall] = []
    if platform == "win32":
        ran = run(PROFILE_COMMAND)
        try:
            networks = tuple(parse_connection_profiles(ran.out)) if not ran.problem else ()
        except ValueError:
            networks = ()
        if ran.problem or not networks:
            unknown.append(("network profile", ran.problem or "PowerShell said nothing usable"))
        ran = run(FIREWALL_COMMAND)
        firewall = None if ran.problem else parse_current_profile(ran.out)
        if firewall is None:
            unknown.append(("firewall", ran.problem or "netsh's answer could not be read"))
        ran = run(RULES_COMMAND, timeout=2 * COMMAND_S)
        listed = None if ran.problem else parse_firewall_rules(ran.out)
        if listed is None:
            unknown.append(("firewall rules", ran.problem or
                            "netsh answered in a language not read here"))
        else:
            rules = tuple(rules_for(listed, this_program(), port))
    elif platform == "darwin":
        answers = [run([SOCKETFILTERFW, flag]) for flag in ("--getglobalstate", "--getblockall")]
        answers.append(run([SOCKETFILTERFW, "--getappblocked", sys.executable]))
        if answers[0].problem:
            unknown.append(("firewall", answers[0].problem))
        else:
            mac = parse_socketfilterfw(*(answer.out for answer in answers))
    else:
        linux, more = _linux(port)
        unknown += more
    return Checked(target, reached, networks, firewall, rules, mac, tuple(linux), port,
                   program, tuple(unknown))


def _linux(port: int) -> tuple[list[LinuxFirewall], list[tuple[str, str]]]:
    import shutil

    found: list[LinuxFirewall] = []
    unknown: list[tuple[str, str]] = []
    conf = Path("/etc/ufw/ufw.conf")
    if shutil.which("ufw") or conf.exists():
        try:
            enabled = parse_ufw_conf(conf.read_text(encoding="utf-8", errors="replace"))
        except OSError as exc:
            enabled = None
            unknown.append(("ufw", exc.strerror or str(exc)))
        found.append(LinuxFirewall("ufw", enabled, f"sudo ufw allow {port}/tcp"))
    if shutil.which("firewall-cmd"):
        ran = run(["firewall-cmd", "--state"])
        found.append(LinuxFirewall("firewalld", parse_firewalld_state(ran.out),
                                   f"sudo firewall-cmd --add-port={port}/tcp"))
    if shutil.which("nft"):
        ran = run(["nft", "list", "ruleset"])
        if ran.problem or ran.code:
            unknown.append(("nftables", ran.problem or "it needs root to be read"))
        else:
            found.append(LinuxFirewall("nftables", parse_nft_ruleset(ran.out, port),
                                       f"sudo nft add rule inet filter input tcp dport {port} "
                                       "accept"))
    return found, unknown


def findings(checked: Checked) -> list[Finding]:
    """What the facts mean, worst first within each part: the address, the laptop's own
    request, the devices, then the system's firewall."""
    target = checked.target
    parts = urlsplit(target.base)
    host = parts.hostname or ""
    said: list[Finding] = []
    if target.public_url:
        said.append(Finding(Code.PUBLIC_URL, Level.INFO, {"url": target.base}))
    elif _loopback(host):
        said.append(Finding(Code.ONLY_LOOPBACK, Level.PROBLEM, {"url": target.base}))
    elif host not in target.own_addresses:
        said.append(Finding(Code.ADDRESS_GONE, Level.PROBLEM, {"url": target.base, "host": host}))
    else:
        said.append(Finding(Code.ADDRESS, Level.OK, {"url": target.base}))
    if checked.reach is not None:
        if checked.reach.ok:
            said.append(Finding(Code.REACHED, Level.OK, {
                "url": checked.reach.url, "ms": f"{checked.reach.millis:.0f}"}))
        else:
            said.append(Finding(Code.NOT_REACHED, Level.PROBLEM, {
                "url": checked.reach.url, "error": checked.reach.error}))
    if target.devices:
        said.append(Finding(Code.DEVICES, Level.OK, {"n": str(target.devices)}))
    else:
        said.append(Finding(Code.NO_DEVICES, Level.INFO, {"url": target.base}))
    said += _windows(checked) + _mac(checked) + _linux_findings(checked)
    said += [Finding(Code.UNKNOWN, Level.INFO, {"what": what, "why": why})
             for what, why in checked.unknown]
    return said


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _windows(checked: Checked) -> list[Finding]:
    said: list[Finding] = []
    firewall = checked.firewall
    program = ntpath.basename(checked.program) or "python.exe"
    values = {"program": program, "path": checked.program, "port": str(checked.port)}
    current = set(firewall.profiles) if firewall else {n.category for n in checked.networks}
    for network in checked.networks:
        if network.category == "public":
            level = Level.OK if firewall is not None and firewall.on is False else Level.WARNING
            said.append(Finding(Code.NETWORK_PUBLIC, level, {"name": network.name}))
        else:
            said.append(Finding(Code.NETWORK_PRIVATE, Level.OK, {
                "name": network.name, "category": network.category}))
    if firewall is not None and firewall.on is False:
        said.append(Finding(Code.FIREWALL_OFF, Level.OK))
        return said
    if firewall is not None and firewall.local_rules is False:
        said.append(Finding(Code.POLICY_ONLY, Level.WARNING, values))
    if checked.rules is None or not current:
        return said
    blocking = [r for r in checked.rules if not r.allow and r.profiles & current]
    allowing = [r for r in checked.rules if r.allow and r.profiles & current]
    if blocking:
        for rule in blocking:
            said.append(Finding(Code.RULE_BLOCKS, Level.PROBLEM, {
                **values, "rule": rule.name, "profiles": ",".join(sorted(rule.profiles))}))
    elif allowing:
        said.append(Finding(Code.RULE_ALLOWS, Level.OK, {
            **values, "rule": allowing[0].name,
            "profiles": ",".join(sorted(allowing[0].profiles))}))
    elif firewall is None or firewall.blocks_inbound is not False:
        elsewhere = sorted({p for r in checked.rules if r.allow for p in r.profiles})
        if elsewhere:
            said.append(Finding(Code.ALLOWED_ELSEWHERE, Level.PROBLEM, {
                **values, "profiles": ",".join(elsewhere),
                "current": ",".join(sorted(current))}))
        else:
            said.append(Finding(Code.NO_RULE, Level.PROBLEM, {
                **values, "current": ",".join(sorted(current))}))
    return said


def _mac(checked: Checked) -> list[Finding]:
    mac = checked.mac
    if mac is None or mac.on is not True:
        return [Finding(Code.FIREWALL_OFF, Level.OK)] if mac is not None and mac.on is False \
            else []
    values = {"program": Path(checked.program).name, "path": checked.program}
    if mac.block_all:
        return [Finding(Code.MAC_BLOCK_ALL, Level.PROBLEM, values)]
    if mac.app_blocked:
        return [Finding(Code.MAC_APP_BLOCKED, Level.PROBLEM, values)]
    return [Finding(Code.MAC_FIREWALL_ON, Level.INFO, values)]


def _linux_findings(checked: Checked) -> list[Finding]:
    return [Finding(Code.LINUX_FIREWALL_ON, Level.WARNING,
                    {"tool": found.tool, "how": found.how, "port": str(checked.port)})
            for found in checked.linux if found.on]


def looks_wrong(said: list[Finding]) -> bool:
    """Whether the facilitator should see the preflight without asking (at the start)."""
    return any(finding.level is Level.PROBLEM for finding in said)
