"""The join codes' rules and the burst watch, without a server (core/joining.py)."""

from __future__ import annotations

import dataclasses

import pytest

from facilitator.core.joining import (
    BURST_DEVICES,
    BURST_WINDOW_S,
    GRACE_S,
    MAX_TABLES,
    ROOM,
    ROTATE_S,
    BurstWatch,
    TablesProblem,
    TablesRefused,
    admission,
    card_code,
    devices_over,
    room_code,
    table_names,
)
from facilitator.core.model import SessionInfo
from facilitator.core.templates import Template
from facilitator.session.library import Templates

START = 1_800_000_000.0


def _session() -> tuple[SessionInfo, Template]:
    template = Templates().load("kennisatelier")
    info = SessionInfo(session_id="s", title="t", lang="nl", template_id=template.id,
                       template={}, join_token="j" * 20, created=START, secret="geheim",
                       tables=template.table_groups)
    return info, template


def test_the_room_code_lasts_its_period_and_then_its_grace() -> None:
    info, _template = _session()
    code = room_code(info.secret, START)
    assert room_code(info.secret, START + ROTATE_S - 1) == code
    assert room_code(info.secret, START + ROTATE_S) != code
    for at, admitted in ((START, ROOM), (START + ROTATE_S + GRACE_S - 0.5, ROOM),
                         (START + ROTATE_S + GRACE_S + 0.5, None), (START - 1, None)):
        assert admission(info, code, at) == admitted, at
    # upper case (typed) is the same code; anything else admits nobody
    assert admission(info, code.upper(), START) == ROOM
    for sent in ("", "x" * 10, code[:-1], "ü" * 10, code + "x" * 80):
        assert admission(info, sent, START) is None
    other = dataclasses.replace(info, secret="anders")
    assert admission(other, code, START) is None  # another session's code


def test_a_card_code_lasts_until_the_card_is_revoked() -> None:
    info, _template = _session()
    card = card_code(info, "C")
    assert len({card_code(info, table) for table in ("A", "B", "C")}) == 3
    assert admission(info, card, START + 10**6) == "card:C"
    revoked = dataclasses.replace(info, card_issue={"C": 1})
    assert admission(revoked, card, START) is None
    assert admission(revoked, card_code(revoked, "C"), START) == "card:C"
    assert card_code(revoked, "A") == card_code(info, "A")


def test_a_burst_is_many_new_devices_within_the_window() -> None:
    watch = BurstWatch()
    for n in range(BURST_DEVICES - 1):
        watch.joined(START + n * 0.1, "card:B")
    assert watch.burst(START + 1) is None
    watch.joined(START + 1, ROOM)
    burst = watch.burst(START + 1)
    assert burst is not None and burst.devices == BURST_DEVICES
    assert burst.codes == (("card:B", BURST_DEVICES - 1), (ROOM, 1))
    assert watch.burst(START + 1 + BURST_WINDOW_S) is None  # the first ones left the window
    slow = BurstWatch()
    for n in range(100):  # a room joining at a human pace is never a burst
        slow.joined(START + n * 2.0, ROOM)
        assert slow.burst(START + n * 2.0) is None


def test_devices_over_the_people_in_the_room() -> None:
    assert devices_over(27, 24) == 3
    assert devices_over(24, 24) == 0
    assert devices_over(60, 0) == 0  # the facilitator has not said: no comparison


def test_tables_are_typed_as_a_number_or_as_names() -> None:
    assert table_names("4") == ("1", "2", "3", "4")
    assert table_names(" 0 ") == table_names("") == ()
    assert table_names("Noord, Zuid ,, West\u202e") == ("Noord", "Zuid", "West")
    assert table_names("A") == ("A",)
    for typed, problem in ((str(MAX_TABLES + 1), TablesProblem.TOO_MANY),
                           ("Noord, Zuid, Noord", TablesProblem.TWICE),
                           ("x" * 201, TablesProblem.TOO_LONG),
                           (",".join(str(n) for n in range(MAX_TABLES + 1)),
                            TablesProblem.TOO_MANY)):
        with pytest.raises(TablesRefused) as refused:
            table_names(typed)
        assert refused.value.problem is problem
    assert len(table_names(str(MAX_TABLES))) == MAX_TABLES
