"""``python -m bench room`` in miniature: the real laptop in both configurations
(the TUI with its server, the server alone), real phones in their own process, every phase,
and the session file read back; plus the parts that decide what the phones do."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import pytest
from machine import UNDER_WINE

from bench.common import NO_LIMIT, make_session_file
from bench.phones import Phone, Room, VoteForm, choose_ballot, read_page
from bench.room import (
    PHASES,
    Lost,
    Phase,
    Plan,
    Run,
    check_lost,
    measure,
    print_run,
    targets,
)
from facilitator.core.model import Source
from facilitator.session.store import SessionStore

TINY = Plan(phones=12, sizes=(30,), configs=("a", "b"), join_s=1.0, collect_s=2.0,
            collect_rate=6.0, vote_s=2.0, told_s=8.0, grace_s=12.0, settle_s=3.0, blink_s=7.0,
            blink_at_s=1.0, saturate_s=3.0, offline_s=(0.5, 1.5),
            habits={"back": 0.25, "wifi": 0.25, "double": 0.25})
"""Three phones of each misbehaviour, three that behave."""


@pytest.mark.timeout(240)
def test_a_tiny_room_gives_every_figure_and_loses_nothing(
        capsys: pytest.CaptureFixture[str]) -> None:
    runs = measure(TINY, echo=False)

    assert [(r.config, r.size) for r in runs] == [("a", 30), ("b", 30)]
    for run in runs:
        assert [p.name for p in run.phases] == list(PHASES)
        assert run.joined == TINY.phones
        if sys.platform == "win32":  # no open-files limit for sockets
            assert run.nofile == run.server_nofile == (NO_LIMIT, NO_LIMIT)
        else:
            assert run.nofile[0] == 1024 and run.nofile[1] >= 1024  # a stock desktop's
        print_run(run)
        printed = capsys.readouterr().out
        assert "  open files: started with soft " in printed
        if sys.platform == "win32":  # no descriptors: the figure is the server's handles
            assert " handles (Windows counts files, sockets" in printed
        if not UNDER_WINE:  # Wine 8 counts no process's handles: psutil's num_handles() is 0
            assert all(phase.files > 0 for phase in run.phases)
        for phase in run.phases:
            assert phase.errors == {}, (run.config, phase.name, phase.errors)
            if phase.name == "round change":  # a fresh round: the page comes with the message
                assert phase.requests == 0 and phase.told_all is not None, phase
                assert phase.page_sizes, "the pushed pages count as pages shown"
                continue
            assert phase.requests > 0, phase.name
            assert 0 < phase.p50_ms <= phase.p99_ms < 10_000, phase.name
            assert phase.cpu_ms_per_request >= 0  # the kernel counts CPU in 10 ms ticks
            assert phase.page_sizes and phase.page_kb_max > 0.5  # a whole page was read
            assert phase.rss_mb > 20
            assert 0 <= phase.load_cores < 1
        assert sum(p.cpu_ms_per_request for p in run.phases) > 0
        join, collecting, blink, voting, change, rush = run.phases
        assert join.acked == TINY.phones
        assert join.habits == {"double taps": 3}
        assert collecting.acked == round(TINY.collect_rate * TINY.collect_s)
        assert collecting.habits.get("Wi-Fi losses") == 3
        assert blink.acked == round(TINY.collect_rate * TINY.blink_s)
        assert blink.habits.get("sends from the page before", 0) > 0
        assert blink.back_ms is not None and len(blink.back_ms) == TINY.phones
        assert blink.back_all is not None and 0 < blink.back_all < 5000
        assert rush.acked > 0
        assert voting.acked == TINY.phones
        assert len(collecting.acked_ms) == collecting.acked
        assert all(0 < ms < 10_000 for ms in collecting.acked_ms)
        for told in (voting, change):  # every phone caught up with the facilitator's change
            assert told.told_ms is not None and len(told.told_ms) == TINY.phones
            assert told.told_all is not None and told.told_all > 0
        assert run.lost.count == 0 and run.lost.twice == 0
        assert run.lost.texts == (0, collecting.acked + blink.acked + rush.acked)
        assert run.lost.ballots == (0, TINY.phones)
        assert run.lost.joins == (0, TINY.phones)
        assert run.stopped == "stopped when asked"
    real = runs[0]
    for phase in real.phases:  # (a): the TUI's process measured apart from the server's
        assert phase.tui_rss_mb is not None and phase.tui_rss_mb > 20
        assert phase.tui_ms_per_request is not None and phase.tui_ms_per_request >= 0
    assert real.tui_at_rest_ms is not None and runs[1].tui_at_rest_ms is None
    assert real.phases[1].key_ms, "the key probe timed presses in the feed"
    assert all(0 < ms < 2000 for ms in real.phases[1].key_ms)


def test_the_check_finds_what_was_acknowledged_but_not_stored(tmp_path: Path) -> None:
    path = tmp_path / "session.json"
    make_session_file(path, 5)
    acked = {
        "texts": ["Knelpunt 3: de subsidieregels vragen te veel verantwoording van kleine "
                  "initiatieven, en de taal van de gemeente is voor  nieuwkomers lastig te "
                  "volgen. ",  # as typed; the store keeps it tidied
                  "never sent"],
        "joins": ["0" * 32],
        "ballots": {"1" * 32: {1: 2}},
    }

    lost = check_lost(path, acked)

    assert lost.texts == (1, 2)
    assert lost.joins == (1, 1)
    assert lost.ballots == (1, 1)


@pytest.mark.parametrize("items", [1, 2, 3, 10, 200])
@pytest.mark.parametrize(("dots", "cap"), [(5, 2), (5, 5), (3, 1), (10, 3)])
def test_a_dot_ballot_spends_what_it_can_within_the_cap(items: int, dots: int, cap: int) -> None:
    form = VoteForm("/j/t/vote", {}, "dots", dots, cap, [f"v{i}" for i in range(items)],
                    list(range(1, cap + 1)))
    for seed in range(20):
        ballot = choose_ballot(form, random.Random(seed))
        assert all(1 <= weight <= cap for weight in ballot.values())
        assert sum(ballot.values()) == min(dots, cap * items)
        assert set(ballot) <= set(form.items)


def test_a_score_ballot_scores_few_items_all_and_many_a_few() -> None:
    few = VoteForm("/j/t/vote", {}, "score", 0, 0, [f"v{i}" for i in range(8)], [1, 2, 3, 4, 5])
    many = VoteForm("/j/t/vote", {}, "score", 0, 0, [f"v{i}" for i in range(500)], [1, 2, 3])
    rng = random.Random(1)
    assert set(choose_ballot(few, rng)) == set(few.items)
    assert all(w in few.weights for w in choose_ballot(few, rng).values())
    assert len(choose_ballot(many, rng)) == 5


def test_the_page_reader_takes_the_fields_a_browser_would_send() -> None:
    page = read_page(
        '<main id="live" data-events="/j/T/events" data-key="1:1110">'
        '<form method="post" action="/j/T/vote" class="vote js" data-rule="dots" data-dots="5">'
        '<input type="hidden" name="csrf" value="abc"><input type="hidden" name="round" '
        'value="knelpunten"><select name="v12"><option value="">No vote</option>'
        '<option value="1">1</option><option value="2">2</option></select>'
        '<select name="v7"><option value="">No vote</option><option value="1">1</option>'
        '<option value="2">2</option></select></form>'
        '<form method="post" action="/j/T/send" class="send js">'
        '<input type="hidden" name="csrf" value="abc"><input type="hidden" name="round" '
        'value="knelpunten"><input type="hidden" name="nonce" value="n&amp;1">'
        '<textarea name="text"></textarea></form></main>')

    assert page is not None
    assert (page.key, page.events) == ("1:1110", "/j/T/events")
    assert page.send is not None and page.send.fields == {
        "csrf": "abc", "round": "knelpunten", "nonce": "n&1"}
    assert page.vote is not None
    assert (page.vote.rule, page.vote.dots, page.vote.cap) == ("dots", 5, 2)
    assert page.vote.items == ["v12", "v7"]
    assert page.vote.fields == {"csrf": "abc", "round": "knelpunten"}


async def _phone_on(key: str) -> Phone:
    room = Room("http://127.0.0.1:9/j/T", seed=1)  # never reached: the loads are stand-ins
    phone = Phone(room, 0)
    phone.key = phone.latest = phone.base_key = key
    room.watching = True
    return phone


async def test_a_message_that_carries_what_the_page_needs_takes_no_reload() -> None:
    phone = await _phone_on("1:1100")
    try:
        phone.on_state({"key": "2:1100", "reload": False})

        assert phone.key == "2:1100"
        assert phone.reloading is None
        assert phone.caught_up is not None
    finally:
        await phone.close()


async def test_a_stale_page_is_loaded_once_within_the_spread_the_message_asks() -> None:
    phone = await _phone_on("1:1100")
    loads: list[float] = []

    async def load(url: object = None) -> bool:
        loads.append(time.monotonic())
        phone.key = "1:1110"
        return True

    phone.load = load  # type: ignore[method-assign]
    try:
        told = time.monotonic()
        phone.on_state({"key": "1:1110", "spread_ms": 300})
        phone.on_state({"key": "1:1110", "spread_ms": 300})  # the same news again
        assert phone.caught_up is None  # not until the page is in
        assert phone.reloading is not None
        await phone.reloading

        assert len(loads) == 1
        assert 0 <= loads[0] - told < 0.4
        assert phone.caught_up is not None and phone.caught_up >= loads[0]
    finally:
        await phone.close()


def _healthy(name: str, **changes: object) -> Phase:
    phase = Phase(name=name, requests=100, p50_ms=5.0, p99_ms=50.0, errors={}, retries=0,
                  cpu_ms_per_request=1.0, cpu_net_ms_per_request=0.9, page_sizes=[9000],
                  rss_mb=200.0, load_cores=0.1, acked=100, acked_ms=[8.0], settled_s=0.5,
                  settle_cut=False,
                  key_ms=[10.0, 20.0], told_ms=[100.0, 900.0] if name in (
                      "voting", "round change") else None,
                  back_ms=[3100.0, 3400.0] if name == "mass reconnect" else None,
                  shed_ms=[2.0, 9.0] if name == "saturation" else [])
    for field_name, value in changes.items():
        setattr(phase, field_name, value)
    return phase


def _run(*phases: Phase) -> Run:
    return Run("a", 20_000, list(phases), Lost((0, 2), (0, 2), (0, 2)), 2, "stopped when asked",
               at_rest_ms=3.0)


def test_the_targets_pass_only_what_was_measured_to_pass() -> None:
    healthy = [_healthy(name) for name in PHASES]
    assert targets([_run(*healthy)], echo=False)

    no_page = [_healthy(name, page_sizes=[]) if name == "voting" else _healthy(name)
               for name in PHASES]  # every page load of the phase timed out
    assert not targets([_run(*no_page)], echo=False)

    one_late = [_healthy(name, told_ms=[100.0, None]) if name == "round change"
                else _healthy(name) for name in PHASES]
    assert not targets([_run(*one_late)], echo=False)

    not_run = [*healthy[:3], Phase.not_run("round change")]
    assert not targets([_run(*not_run)], echo=False)

    slow_keys = [_healthy(name, key_ms=[10.0] * 98 + [80.0, 90.0]) for name in PHASES]
    assert not targets([_run(*slow_keys)], echo=False)

    one_offline = [_healthy(name, back_ms=[3100.0, None]) if name == "mass reconnect"
                   else _healthy(name) for name in PHASES]
    assert not targets([_run(*one_offline)], echo=False)

    slow_shedding = [_healthy(name, shed_ms=[5.0] * 98 + [400.0, 500.0])
                     if name == "saturation" else _healthy(name) for name in PHASES]
    assert not targets([_run(*slow_shedding)], echo=False)

    overloaded = [_healthy(name, p99_ms=900.0) if name == "saturation" else _healthy(name)
                  for name in PHASES]  # slow answers under the overload are no failure ...
    assert targets([_run(*overloaded)], echo=False)
    twice = _run(*healthy)
    twice.lost = Lost((0, 2), (0, 2), (0, 2), twice=1)  # ... a text stored twice is
    assert not targets([twice], echo=False)


async def test_the_check_finds_a_text_stored_twice(tmp_path: Path) -> None:
    path = tmp_path / "session.json"
    make_session_file(path, 2)
    store = SessionStore.open(path)
    for text in ("twice", "twice", "once"):
        await store.add_contribution("knelpunten", text, source=Source.TUI)
    await store.close()

    lost = check_lost(path, {"texts": ["once", "twice"], "tried": ["once", "twice", "twice"],
                             "joins": [], "ballots": {}})

    assert lost.texts == (0, 2)
    assert lost.twice == 1
    assert lost.count == 1
