"""The report and the screens agree: page one of the PDF names every missing group; dots and
scores are never added into one figure; every count of contributions means the same in
`facilitator list`, the audit and the report; themes that hold nothing are left out; ranks
under a theme are numbered within it; "the five best" keep the items tied with the fifth; the
report's date is the day the session ran; a removed action or line is printed nowhere. Real
files, real PDFs read back with pdftotext."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from facilitator.core.model import Source
from facilitator.demo import create_demo
from facilitator.report import build_report, write_report
from facilitator.report.markdown import render_markdown
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore
from facilitator.session.summary import build_summary

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="poppler-utils (pdftotext) not installed")


def words(text: str) -> str:
    return " ".join(text.split())


def page_text(pdf: Path, page: int) -> str:
    return words(subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                                check=True, capture_output=True, text=True).stdout)


def pdf_text(pdf: Path) -> str:
    return words(subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                                text=True).stdout)


@pytest.fixture(scope="module")
def two_missing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Library, Path]:
    """The demo day, with every civil-society participant saying they came for the
    municipality: two expected groups missing (civil society, and people with lived
    experience, who must be at the table)."""
    library = Library(tmp_path_factory.mktemp("two-missing"))
    path = create_demo(library, Templates())

    async def move() -> None:
        store = SessionStore.open(path)
        try:
            for person in store.participants():
                if person.stakeholder == "civil_society":
                    await store.join(person.device_id, lang=person.lang,
                                     stakeholder="municipality", table_group=person.table_group)
        finally:
            await store.close()

    asyncio.run(move())
    return library, path


def _report(path: Path, lang: str = "nl"):  # type: ignore[no-untyped-def]
    store = SessionStore.open(path, read_only=True)
    try:
        return build_report(store, lang=lang)
    finally:
        asyncio.run(store.close())


@pytest.mark.parametrize("lang", ["nl", "en"])
@needs_poppler
def test_page_one_names_every_missing_group(two_missing: tuple[Library, Path], tmp_path: Path,
                                            lang: str) -> None:
    _library, path = two_missing
    report = _report(path, lang)
    assert len(report.missing) == 2
    [pdf] = write_report(path, formats=["pdf"], out_dir=tmp_path, lang=lang)
    first = page_text(pdf, 1)
    assert len(report.findings) >= 2
    for finding in report.findings:  # each missing group, by the sentence that says so
        assert words(finding) in first, finding
    for name in report.missing:
        assert name in first


@needs_poppler
def test_dots_and_scores_are_never_one_figure(two_missing: tuple[Library, Path],
                                              tmp_path: Path) -> None:
    _library, path = two_missing
    report = _report(path)
    store = SessionStore.open(path, read_only=True)
    try:
        cast = store.view.votes()
    finally:
        asyncio.run(store.close())
    assert (report.dots, report.scores) == (cast.dots, cast.scores) and cast.dots and cast.scores
    written = {p.suffix: p for p in write_report(path, formats=["md", "pdf"], out_dir=tmp_path)}
    first = page_text(written[".pdf"], 1)
    markdown = written[".md"].read_text(encoding="utf-8")
    for text in (first, markdown):
        assert str(cast.dots + cast.scores) not in text.split()  # no sum, anywhere on top
        assert "Uitgebrachte stemmen" not in text
    numbers = first.split()
    assert str(cast.dots) in numbers and str(cast.scores) in numbers
    assert "Geplakte stippen" in first and "Gegeven cijfers" in first
    assert f"| **Geplakte stippen** | {cast.dots} |" in markdown
    assert f"| **Gegeven cijfers** | {cast.scores} |" in markdown


def test_one_count_of_contributions_in_list_the_audit_and_the_report(
        two_missing: tuple[Library, Path], tmp_path: Path) -> None:
    library, path = two_missing
    [entry] = library.entries()
    report = _report(path)
    store = SessionStore.open(path, read_only=True)
    try:
        everything = store.contributions(visible_only=False)
        audit = store.audit().contributions
    finally:
        asyncio.run(store.close())
    not_counted = sum(1 for c in everything if not c.counted)
    assert not_counted > 0  # hidden ones and tips awaiting approval: the counts could differ
    assert entry.contributions == audit == report.contributions == len(everything) - not_counted
    assert report.hidden == not_counted
    [markdown] = write_report(path, formats=["md"], out_dir=tmp_path)
    text = markdown.read_text(encoding="utf-8")
    assert f"| **Bijdragen** | {audit} |" in text
    assert f"{not_counted} verborgen of nog niet goedgekeurde bijdragen tellen niet mee" in text


async def _themed_round(library: Library) -> SessionStore:
    """A bottleneck round with the template's themes, three of them used: contributions in
    two themes, and votes that tie for the fifth place."""
    store = library.create(Templates().load("kennisatelier"), tables=["1", "2"])
    await store.go_to_round(1)  # knelpunten: the template's eight themes are made
    themes = store.themes("knelpunten")
    assert len(themes) == 8
    for n in range(8):
        await store.join(f"d{n}", lang="nl", stakeholder="municipality")
    items = []
    for n in range(8):
        theme = themes[0].id if n % 2 else themes[1].id
        items.append(await store.add_contribution("knelpunten", f"Knelpunt {n + 1}",
                                                  source=Source.TUI, theme_id=theme))
    await store.update_round("knelpunten", voting_open=True)
    # dots per item: 3, 3, 2, 2, 1, 1, 1, 0 (items 5, 6 and 7 tie for fifth)
    ballots = {"d0": {0: 2, 6: 1}, "d1": {0: 1}, "d2": {1: 2}, "d3": {1: 1}, "d4": {2: 2},
               "d5": {3: 2}, "d6": {4: 1}, "d7": {5: 1}}
    for device, ballot in ballots.items():
        await store.ballot_items(device, "knelpunten")
        await store.cast_ballot(device, "knelpunten",
                                {items[n].id: weight for n, weight in ballot.items()})
    await store.update_round("knelpunten", voting_open=False)
    return store


async def test_empty_themes_left_out_ranks_within_a_theme_and_ties_at_the_edge(
        library: Library, tmp_path: Path) -> None:
    store = await _themed_round(library)
    empty = [t.name for t in store.themes("knelpunten")[2:]]
    try:
        report = build_report(store)
        markdown = render_markdown(report)
    finally:
        await store.close()
    [round_view] = [r for r in report.rounds if r.round_id == "knelpunten"]
    assert len(round_view.themes) == 2  # the six themes nobody sorted into are left out
    for name in empty:
        assert name not in markdown
    for theme in round_view.themes:  # numbered within the theme, ties shared
        assert theme.items[0].rank == 1
    odd, even = sorted(round_view.themes, key=lambda t: t.items[0].text)
    assert [(i.text, i.rank) for i in odd.items] == [
        ("Knelpunt 1", 1), ("Knelpunt 3", 2), ("Knelpunt 5", 3), ("Knelpunt 7", 3)]
    assert [(i.text, i.rank) for i in even.items] == [
        ("Knelpunt 2", 1), ("Knelpunt 4", 2), ("Knelpunt 6", 3), ("Knelpunt 8", 4)]
    # the five best: 5, 6 and 7 share the fifth place, so seven are shown, the ties said
    assert [(i.text, i.rank, i.tied) for i in report.top_bottlenecks] == [
        ("Knelpunt 1", 1, True), ("Knelpunt 2", 1, True), ("Knelpunt 3", 3, True),
        ("Knelpunt 4", 3, True), ("Knelpunt 5", 5, True), ("Knelpunt 6", 5, True),
        ("Knelpunt 7", 5, True)]
    assert "- **5.** Knelpunt 7 — stemmen: 1, gedeelde plaats" in markdown
    assert "Knelpunt 8 — " not in markdown


async def test_the_phone_offers_the_bottlenecks_tied_with_the_fifth(library: Library) -> None:
    store = await _themed_round(library)
    try:
        offered = [c.text for c in store.answerable("oplossingen")]
    finally:
        await store.close()
    assert offered == [f"Knelpunt {n}" for n in range(1, 8)]


@needs_poppler
async def test_the_report_is_dated_the_day_the_session_ran(library: Library,
                                                          tmp_path: Path) -> None:
    store = library.create(Templates().load("kennisatelier"), place="Zwolle")
    made = time.time() - 9 * 86400  # made nine days before the day itself
    await store.update_session(created=made)
    await store.go_to_round(0)
    ran = dt.date.fromtimestamp(store.round_state("checkin").started_at)
    try:
        assert build_report(store, lang="en").day == ran != dt.date.fromtimestamp(made)
        await store.set_details(title=store.info.title, place="Zwolle", held_on="2027-03-14")
        assert build_report(store, lang="en").date == "March 14, 2027"
    finally:
        await store.close()
    [pdf] = write_report(store.path, formats=["pdf"], out_dir=tmp_path, lang="en")
    assert "March 14, 2027 · Zwolle" in page_text(pdf, 1)


async def test_a_removed_action_or_line_is_printed_nowhere(library: Library) -> None:
    store = library.create(Templates().load("kennisatelier"))
    await store.go_to_round(2)
    idea = await store.add_contribution("oplossingen", "Wisselstage", source=Source.TUI)
    first = await store.add_action("Proef uitwerken", owner="Gemeente",
                                   contribution_id=idea.id, round_id="oplossingen")
    await store.add_action("Proef uitwerken", owner="Gemeente (dubbel)",
                           contribution_id=idea.id, round_id="oplossingen")
    await store.remove_action(first.id)
    line = await store.add_note("oogst", "Aan de verkeerde groep", addressed_to=["funder"])
    await store.edit_line(line.id, "Aan de goede groep", addressed_to=["municipality"])
    gone = await store.add_note("oogst", "Weg ermee", addressed_to=["municipality"])
    await store.remove_note(gone.id)
    await store.add_note("oogst", "Een aantekening, geen lijn")
    try:
        markdown = render_markdown(build_report(store))
        summary = build_summary(store)  # what an organiser's event watch reads
    finally:
        await store.close()
    assert [(line.text, line.to) for line in summary.lines] == [
        ("Aan de goede groep", ["municipality"])]
    assert summary.actions == 1 and [a.owner for a in summary.recent_actions] == [
        "Gemeente (dubbel)"]
    assert markdown.count("Proef uitwerken") == 2  # the action, once in each list
    assert "Gemeente (dubbel)" in markdown and "| Gemeente |" not in markdown
    assert "**Aan Gemeente:** Aan de goede groep" in markdown
    assert "verkeerde" not in markdown and "Weg ermee" not in markdown


@needs_poppler
def test_the_report_and_the_core_agree_across_groups(tmp_path: Path) -> None:
    """The rankings across groups and the audit's whose-voice figures: what the core's read
    model says is what the report's model, its Markdown and page one of its PDF say."""
    from babel.numbers import format_decimal

    path = create_demo(Library(tmp_path / "data"), Templates())
    store = SessionStore.open(path, read_only=True)
    try:
        ranking = store.view.ranking("oplossingen")
        carried, differ = ranking.carried(5), ranking.differ(5)
        audit = store.view.audit()
        report = build_report(store, lang="nl")
    finally:
        asyncio.run(store.close())
    assert carried.items and differ.items
    section = next(rv for rv in report.rounds if rv.round_id == "oplossingen")
    assert section.carried is not None and section.differ is not None
    for core, shown in ((carried, section.carried), (differ, section.differ)):
        assert [(i.item.contribution.id, i.rank, i.tied) for i in core.items] == [
            (v.id, v.rank, v.tied) for v in shown.items]
    # The summary combines the ideas rounds (one here): the same items, the same ranks.
    assert [(v.id, v.rank) for v in report.carried_ideas.items] == [
        (i.item.contribution.id, i.rank) for i in carried.items]
    assert report.audit.gini == audit.gini and audit.gini is not None
    written = {p.suffix: p for p in write_report(path, formats=["md", "pdf"],
                                                 out_dir=tmp_path / "out", lang="nl")}
    markdown = written[".md"].read_text(encoding="utf-8")
    assert "### Gedragen door elke groep" in markdown
    assert "### Waar de groepen verschillen" in markdown
    first = page_text(written[".pdf"], 1)
    assert "GEDRAGEN DOOR ELKE GROEP" in first.upper()
    top = carried.items[0].item.contribution.text
    assert words(top) in first
    tied_first = sum(1 for i in carried.items if i.rank == 1)
    if tied_first > 1:
        assert f"en nog {tied_first - 1} met dezelfde plaats" in first
    gini = format_decimal(audit.gini, format="0.00", locale="nl")
    assert f"Gini; 0: gelijk, 1: één persoon stuurde alles): {gini}" in first
    everything = pdf_text(written[".pdf"])
    for entry in carried.items:  # the round's section and the summary list each one
        assert everything.count(words(entry.item.contribution.text)) >= 2


@needs_poppler
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_page_one_names_every_group_against_its_numbers_invited(
        lang: str, tmp_path: Path) -> None:
    """Page one's "invited against came" sentence lists every group with a number invited,
    lowest share first, ties and all: a sentence naming the lowest and the highest read as if
    no other group had been invited."""
    library = Library(tmp_path / "data")
    path = create_demo(library, Templates())

    async def invite() -> dict[str, tuple[int, int]]:
        store = SessionStore.open(path)
        try:
            present = {g.group_id: g.present for g in store.audit().groups
                       if g.expected and g.present}
            doubled, *tied, whole = sorted(present)[:4]
            invited = {doubled: present[doubled] * 2, whole: present[whole]}
            invited |= {group: present[group] * 2 for group in tied}  # ties with the first
            await store.set_invited(invited)
            return {group: (present[group], invited[group]) for group in invited}
        finally:
            await store.close()

    invited = asyncio.run(invite())
    report = _report(path, lang)
    [pdf] = write_report(path, formats=["pdf"], out_dir=tmp_path, lang=lang)
    first = page_text(pdf, 1)
    [sentence] = [line for line in report.voice if "(" in line and "%" in line]
    of = " van " if lang == "nl" else " of "
    for group, (came, asked) in invited.items():
        assert f"{came}{of}{asked})" in sentence, (group, sentence)
    names = [report_name for report_name in (
        next(g.name for g in report.groups if g.group_id == group) for group in invited)]
    assert all(f"“{name}”" in sentence for name in names)
    full = [name for name, (came, asked) in zip(names, invited.values(), strict=True)
            if came == asked]
    assert sentence.index(f"“{full[0]}”") > max(  # the highest share comes last
        sentence.index(f"“{name}”") for name in names if name not in full)
    assert words(sentence) in first
