"""``python -m bench report``: the session report at conference scale.

A session of 5,000 contributions and 20,000 votes (``--quick``: 1,000 and 4,000) is written as
one TinyDB document, as the store would have left it. Then, each timed on its own: opening the
session read-only and serialising the same data with orjson (the baselines: the least any report
must cost), building the report model, Markdown, HTML and PDF.

Targets (issue 5): Markdown and HTML under 1 s together; PDF under 20 s.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson

from facilitator.core.model import (
    TABLES,
    Action,
    Contribution,
    Flag,
    Note,
    Participant,
    RoundState,
    SessionInfo,
    Theme,
    Vote,
)
from facilitator.core.templates import RoundKind
from facilitator.session.library import Templates, new_join_token
from facilitator.session.store import SessionStore

T = TypeVar("T")

TARGET_TEXT_S = 1.0
TARGET_PDF_S = 20.0

PHRASES = [
    "De subsidieregels vragen te veel verantwoording van kleine initiatieven.",
    "The municipality's language is hard to follow for newcomers.",
    "Eén loket voor alle aanvragen zou veel schelen, ook voor vrijwilligers.",
    "لا نعرف من هو الشخص المسؤول في البلدية عن مبادرتنا.",
    "ما نمی‌دانیم چه کسی در شهرداری مسئول است.",
    "Ми не знаємо, до кого звернутися в муніципалітеті.",
    "Overleg vindt plaats op werktijden, terwijl vrijwilligers dan werken.",
    "Funders ask for numbers; our best work is small and slow.",
]


def make_session(path: Path, contributions: int, votes: int, *, devices: int = 400) -> None:
    """Write a filled kennisatelier session file directly (seconds, not minutes via the store)."""
    rng = random.Random(5)
    template = Templates().load("kennisatelier")
    now = time.time()
    data: dict[str, dict[str, Any]] = {name: {} for name in TABLES}
    data["session"]["1"] = SessionInfo(
        session_id=path.stem, title="Benchmark: kennisatelier op conferentieschaal", lang="nl",
        template_id=template.id, template=template.model_dump(mode="json"),
        join_token=new_join_token(), created=now, place="Jaarbeurs Utrecht",
    ).to_doc()
    for index, spec in enumerate(template.rounds, start=1):
        data["rounds"][str(index)] = RoundState(round_id=spec.id, started=True,
                                                duration_s=spec.minutes * 60.0).to_doc()
    groups = [g.id for g in template.groups if g.id != "lived_experience"] + [""]
    for i in range(1, devices + 1):
        data["participants"][str(i)] = Participant(
            device_id=f"device-{i}", lang="nl", stakeholder=groups[i % len(groups)],
            name=f"Deelnemer {i}", consent_named=i % 3 == 0, joined=now).to_doc()
    # Rounds weighted towards the bottleneck and ideas rounds, as on a real day.
    weights = {RoundKind.BOTTLENECK: 5, RoundKind.IDEAS: 4, RoundKind.AUDIT: 1, RoundKind.OPEN: 1,
               RoundKind.DISTILLATION: 1}
    rounds = [spec for spec in template.rounds for _ in range(weights[spec.kind])]
    theme_ids: dict[str, list[int]] = {}
    theme_id = 0
    for spec in template.rounds:
        if spec.kind in (RoundKind.BOTTLENECK, RoundKind.IDEAS):
            for k in range(8):
                theme_id += 1
                data["themes"][str(theme_id)] = Theme(round_id=spec.id, name=f"Thema {k + 1}",
                                                      created=now).to_doc()
                theme_ids.setdefault(spec.id, []).append(theme_id)
    by_round: dict[str, list[int]] = {}
    bottleneck_ids: list[int] = []
    for i in range(1, contributions + 1):
        spec = rounds[i % len(rounds)]
        themes = theme_ids.get(spec.id, [0])
        merged = by_round[spec.id][-1] if i % 25 == 0 and by_round.get(spec.id) else 0
        links = tuple(rng.sample(bottleneck_ids, 2)) if spec.kind is RoundKind.IDEAS and \
            len(bottleneck_ids) > 2 else ()
        data["contributions"][str(i)] = Contribution(
            round_id=spec.id, author=f"device-{i % devices + 1}",
            text=f"{rng.choice(PHRASES)} ({i}) {rng.choice(PHRASES)}",
            stakeholder=groups[(i % devices + 1) % len(groups)], theme_id=rng.choice(themes),
            links=links, flags=(Flag.BOLD.value,) if i % 11 == 0 else (),
            hidden=i % 97 == 0, merged_into=merged, created=now + i,
        ).to_doc()
        by_round.setdefault(spec.id, []).append(i)
        if spec.kind is RoundKind.BOTTLENECK:
            bottleneck_ids.append(i)
    voted = [spec for spec in template.rounds if spec.voting.rule != "none"]
    for i in range(1, votes + 1):
        spec = voted[i % len(voted)]
        weight = rng.randint(1, 5) if spec.voting.rule == "score" else rng.randint(1, 2)
        data["votes"][str(i)] = Vote(
            round_id=spec.id, contribution_id=rng.choice(by_round[spec.id]),
            device_id=f"device-{rng.randint(1, devices)}", weight=weight, created=now).to_doc()
    for i in range(1, 41):
        spec = template.rounds[i % len(template.rounds)]
        data["notes"][str(i)] = Note(round_id=spec.id, text=f"Notitie {i}: {PHRASES[i % 8]}",
                                     created=now).to_doc()
        idea = by_round.get("oplossingen", [0])[i]
        data["actions"][str(i)] = Action(text=f"Actie {i}: {PHRASES[i % 8]}", owner="Gemeente",
                                         due="2027-03-31", contribution_id=idea,
                                         round_id="oplossingen", created=now).to_doc()
    path.write_bytes(orjson.dumps(data))


def timed(what: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = what()
    return result, time.perf_counter() - start


def run(quick: bool = False) -> int:
    from facilitator.report.browser import BrowserMissing, find_browser
    from facilitator.report.html import render_html
    from facilitator.report.markdown import render_markdown
    from facilitator.report.model import build_report
    from facilitator.report.pdf import Engine, PdfUnavailable, write_pdf, write_report_pdf

    contributions, votes = (1_000, 4_000) if quick else (5_000, 20_000)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-report.json"
        _, t_make = timed(lambda: make_session(path, contributions, votes))
        store, t_open = timed(lambda: SessionStore.open(path, read_only=True))
        _, t_json = timed(lambda: orjson.dumps(store.snapshot()))
        report, t_model = timed(lambda: build_report(store))
        markdown, t_md = timed(lambda: render_markdown(report))
        html, t_html = timed(lambda: render_html(report))
        pdf_error = ""
        t_pdf = float("nan")
        try:
            _, t_pdf = timed(
                lambda: write_report_pdf(report, Path(tmp) / "report.pdf", html=html)
            )
            pages = (Path(tmp) / "report.pdf").stat().st_size
        except PdfUnavailable as exc:
            pdf_error = str(exc)
            pages = 0
        # The browser's print of the same HTML (what Windows and macOS use), when there is one.
        browser_note, t_browser = "", float("nan")
        try:
            engine = Engine("browser", find_browser())
            _, t_browser = timed(lambda: write_pdf(html, Path(tmp) / "browser.pdf", engine))
            size = (Path(tmp) / "browser.pdf").stat().st_size
            browser_note = f"({size:,} bytes, {engine.browser})"
        except (BrowserMissing, PdfUnavailable) as exc:
            browser_note = f"skipped: {exc}"

    text_total = t_model + t_md + t_html
    print(f"report benchmark: {contributions:,} contributions, {votes:,} votes"
          f"{' (quick)' if quick else ''}")
    print(f"  session file written in          {t_make:7.3f} s (setup, not timed against a target)")
    print(f"  baseline: open read-only         {t_open:7.3f} s")
    print(f"  baseline: orjson-serialise data  {t_json:7.3f} s")
    print(f"  report model (ranking, audit)    {t_model:7.3f} s")
    print(f"  Markdown                         {t_md:7.3f} s  ({len(markdown):,} characters)")
    print(f"  HTML                             {t_html:7.3f} s  ({len(html):,} characters)")
    if pdf_error:
        print(f"  PDF                              skipped: {pdf_error}")
    else:
        print(f"  PDF (first engine that works)    {t_pdf:7.3f} s  ({pages:,} bytes)")
    if t_browser == t_browser:  # not NaN: it ran
        print(f"  PDF (the browser, whole report)  {t_browser:7.3f} s  {browser_note}")
    else:
        print(f"  PDF (the browser)                {browser_note}")
    ok_text = text_total < TARGET_TEXT_S
    ok_pdf = not pdf_error and t_pdf < TARGET_PDF_S
    print(f"target: model + Markdown + HTML < {TARGET_TEXT_S:.0f} s: {text_total:.3f} s "
          f"{'PASS' if ok_text else 'FAIL'}")
    print(f"target: PDF < {TARGET_PDF_S:.0f} s: "
          f"{'n/a' if pdf_error else f'{t_pdf:.3f} s'} {'PASS' if ok_pdf else 'FAIL'}")
    return 0 if ok_text and ok_pdf else 1
