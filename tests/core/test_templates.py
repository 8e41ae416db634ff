"""Templates: the shipped ones load; every bad one is refused with file, key path and problem."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from facilitator.cli import main
from facilitator.core.languages import PARTICIPANT_LANGUAGES
from facilitator.core.templates import (
    LANGUAGES,
    RoundKind,
    TemplateError,
    language_coverage,
    load_template,
    localized,
    localized_in,
    parse_template,
    participant_texts,
)
from facilitator.paths import builtin_templates_dir, user_templates_dir

SHIPPED = sorted(builtin_templates_dir().glob("*.toml"))

MINI = """\
id = "mini"
default_lang = "en"
title = { nl = "Mini", en = "Mini" }
description = { nl = "Kort", en = "Short" }

[[groups]]
id = "a"
name = { nl = "A", en = "A" }

[[rounds]]
id = "one"
kind = "bottleneck"
minutes = 10
title = { nl = "Een", en = "One" }
prompt = { nl = "Wat?", en = "What?" }

[rounds.voting]
rule = "dots"

[[rounds]]
id = "two"
kind = "ideas"
minutes = 10
title = { nl = "Twee", en = "Two" }
prompt = { nl = "Hoe?", en = "How?" }

[rounds.voting]
rule = "score"
"""


def _variant(old: str, new: str, count: int = 1) -> str:
    assert old in MINI, old
    return MINI.replace(old, new, count)


# name → (template text, expected key path, words the problem must contain)
BAD = {
    "unknown_top_key": ('colour = "red"\n' + MINI, "colour", ["unknown key"]),
    "unknown_nested_key": (
        _variant('[rounds.voting]\nrule = "score"', '[rounds.votng]\nrule = "score"'),
        "rounds[1].votng",
        ["unknown key"],
    ),
    "wrong_type": (_variant("minutes = 10", 'minutes = "ten"'), "rounds[0].minutes",
                   ["integer", "ten"]),
    "missing_translation": (
        _variant('prompt = { nl = "Wat?", en = "What?" }', 'prompt = { nl = "Wat?" }'),
        "rounds[0].prompt.en",
        ["'en'", "translation"],
    ),
    "duplicate_round_id": (_variant('id = "two"', 'id = "one"'), "rounds[1].id",
                           ["duplicate", "'one'"]),
    "unknown_round_kind": (_variant('kind = "ideas"', 'kind = "brainstorm"'), "rounds[1].kind",
                           ["brainstorm", "bottleneck"]),
    "invalid_toml": (_variant("minutes = 10", "minutes = "), "", ["not valid TOML", "line 13"]),
    "inconsistent_voting": (
        _variant('rule = "dots"', 'rule = "dots"\ndots = 2\nper_item_cap = 3'),
        "rounds[0].voting",
        ["per_item_cap"],
    ),
    "id_not_file_name": (_variant('id = "mini"', 'id = "other"'), "id", ["'mini'", "'other'"]),
    "unknown_language": (
        _variant('title = { nl = "Een", en = "One" }',
                 'title = { nl = "Een", en = "One", de = "Eins" }'),
        "rounds[0].title.de",
        ["unknown language 'de'", "nl, en, ar, fa, uk"],
    ),
    "empty_translation": (
        _variant('name = { nl = "A", en = "A" }', 'name = { nl = "A", en = "A", uk = " " }'),
        "groups[0].name.uk",
        ["empty text"],
    ),
}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_template_loads(path: Path) -> None:
    template = load_template(path)
    assert template.id == path.stem
    assert template.rounds and template.groups
    for spec in template.rounds:
        assert spec.title["nl"] and spec.title["en"]


def test_five_templates_ship_covering_every_kind_that_carries_the_method() -> None:
    assert {p.stem for p in SHIPPED} == {
        "aannames", "bewonersinitiatieven", "cocreatie", "kennisatelier", "team-retro"
    }
    kinds = {spec.kind for p in SHIPPED for spec in load_template(p).rounds}
    assert {RoundKind.BOTTLENECK, RoundKind.IDEAS, RoundKind.AUDIT} <= kinds


def test_minimal_template_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "mini.toml"
    path.write_text(MINI, encoding="utf-8")
    template = load_template(path)
    assert [r.id for r in template.rounds] == ["one", "two"]
    assert template.round("two").voting.rule == "score"


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_template_error_names_file_key_and_problem(tmp_path: Path, case: str) -> None:
    text, key, words = BAD[case]
    path = tmp_path / "mini.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    error = caught.value
    assert error.path == path
    assert error.key == key
    message = str(error)
    assert str(path) in message
    if key:
        assert f"{path}: {key}: " in message
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("case", sorted(BAD))
def test_cli_new_with_bad_template_exits_2_and_creates_nothing(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    text, key, words = BAD[case]
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "mini.toml").write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit) as caught:
        main(["--templates", str(folder), "new", "mini"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert str(folder / "mini.toml") in err
    assert key in err
    for word in words:
        assert word in err, err
    sessions = data_dir / "sessions"
    assert not sessions.exists() or not any(sessions.iterdir())


def test_cli_new_bad_template_in_a_real_process(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "mini.toml").write_text(BAD["unknown_nested_key"][0], encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "facilitator", "--templates", str(folder), "new", "mini"],
        capture_output=True, encoding="utf-8", timeout=60,
        env={**os.environ, "FACILITATOR_DATA_DIR": str(data_dir)},
    )
    assert result.returncode == 2, result
    assert f"{folder / 'mini.toml'}: rounds[1].votng: unknown key" in result.stderr
    assert result.stdout == ""
    assert not (data_dir / "sessions").exists() or not any((data_dir / "sessions").iterdir())


def test_parse_template_reports_nested_wrong_types() -> None:
    import tomllib

    data = tomllib.loads(_variant('id = "a"', 'id = "a"\nexpected = "yes"'))
    with pytest.raises(TemplateError) as caught:
        parse_template(data, "x.toml")
    assert caught.value.key == "groups[0].expected"
    assert "boolean" in caught.value.problem


def test_user_templates_show_in_templates_command(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user_dir = user_templates_dir()
    assert str(user_dir).startswith(str(tmp_path)), "the user's config folder is not the test's"
    user_dir.mkdir(parents=True)
    (user_dir / "mine.toml").write_text(_variant('id = "mini"', 'id = "mine"'), encoding="utf-8")
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "mini.toml").write_text(MINI, encoding="utf-8")

    assert main(["--templates", str(extra), "templates"]) == 0
    out = capsys.readouterr().out
    for name in ("mine", "mini", "kennisatelier", "team-retro"):
        assert any(line.startswith(f"{name} ") for line in out.splitlines()), (name, out)
    assert str(user_dir / "mine.toml") in out
    assert str(extra / "mini.toml") in out

    # a user template can be used to start a session
    assert main(["new", "mine", "--title", "Mine"]) == 0
    assert len(list((data_dir / "sessions").glob("mine-*.json"))) == 1


def test_templates_command_reports_a_broken_user_template(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "mini.toml").write_text(BAD["wrong_type"][0], encoding="utf-8")
    assert main(["--templates", str(extra), "templates"]) == 2
    captured = capsys.readouterr()
    assert "kennisatelier" in captured.out  # the good ones are still listed
    assert f"{extra / 'mini.toml'}: rounds[0].minutes" in captured.err


# -- languages ----------------------------------------------------------------------------------

ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")
PERSIAN_ONLY = re.compile("[\u06cc\u06a9\u067e\u0686\u0698\u06af]")  # ی ک پ چ ژ گ
ARABIC_ONLY = re.compile("[\u064a\u0643\u0649]")  # ي ك ى: Persian writes ی and ک
CYRILLIC = re.compile("[\u0400-\u04ff]")
LATIN = re.compile("[A-Za-z]")
ZWNJ = "\u200c"


def test_one_list_of_languages() -> None:
    import facilitator.i18n

    assert facilitator.i18n.PARTICIPANT_LANGUAGES is PARTICIPANT_LANGUAGES
    assert LANGUAGES == ("nl", "en", "ar", "fa", "uk")


def test_core_templates_load_without_babel() -> None:
    code = ("import sys, facilitator.core.templates; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('babel', 'facilitator')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, encoding="utf-8",
                            check=True, timeout=60)
    assert "babel" not in result.stdout and "facilitator.i18n" not in result.stdout
    assert "facilitator.core.languages" in result.stdout


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_text_is_in_every_participant_language(path: Path) -> None:
    coverage = language_coverage(load_template(path))
    assert coverage.texts > 10
    assert {lang: keys for lang, keys in coverage.missing.items() if keys} == {}
    assert coverage.complete == LANGUAGES


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_texts_are_written_in_their_own_script(path: Path) -> None:
    """A text pasted into the wrong language, Arabic letters in Persian (or the other way
    round), or Persian without its zero-width non-joiner would all pass the coverage test."""
    for key, text in participant_texts(load_template(path)):
        for lang in ("ar", "fa"):
            assert ARABIC_SCRIPT.search(text[lang]) and not LATIN.search(text[lang]), (key, lang)
        assert not PERSIAN_ONLY.search(text["ar"]), (key, text["ar"])
        assert not ARABIC_ONLY.search(text["fa"]), (key, text["fa"])
        # The verb prefix mi-/nemi- is joined with a zero-width non-joiner, never a space.
        assert not re.search(r"(?:^|\s)ن?می\s", text["fa"]), (key, text["fa"])
        assert CYRILLIC.search(text["uk"]) and not LATIN.search(text["uk"]), (key, text["uk"])
        for lang in ("nl", "en", "ar", "uk"):
            assert ZWNJ not in text[lang], (key, lang)
    fa = " ".join(text["fa"] for _key, text in participant_texts(load_template(path)))
    assert f"می{ZWNJ}" in fa


def test_kennisatelier_themes_are_what_the_seed_groups_found() -> None:
    [spec] = [s for s in load_template(builtin_templates_dir() / "kennisatelier.toml").rounds
              if s.kind is RoundKind.BOTTLENECK]
    themes = " | ".join(theme["en"] for theme in spec.themes).lower()
    for finding in ("equal footing", "ways to influence", "formal requirements that shut",
                    "communication and language", "how an organisation is led",
                    "vulnerable groups", "urgent"):
        assert finding in themes, finding
    assert spec.themes[0]["nl"] == "Geen gelijkwaardig contact"  # the TUI suggests it first


def test_user_template_may_stop_at_dutch_and_english(tmp_path: Path) -> None:
    path = tmp_path / "mini.toml"
    path.write_text(_variant('title = { nl = "Een", en = "One" }',
                             'title = { nl = "Een", en = "One", ar = "واحد" }'), encoding="utf-8")
    template = load_template(path)
    coverage = language_coverage(template)
    assert coverage.texts == 7
    assert coverage.complete == ("nl", "en")
    assert coverage.missing["fa"] == coverage.missing["uk"] == tuple(
        key for key, _text in participant_texts(template))
    assert "rounds[0].title" not in coverage.missing["ar"]
    assert len(coverage.missing["ar"]) == 6


def test_localized_in_says_which_language_the_text_is_in() -> None:
    text = {"nl": "Knelpunten", "en": "Bottlenecks", "ar": "العوائق"}
    assert localized_in(text, "ar") == ("العوائق", "ar")
    assert localized_in(text, "fa", "nl") == ("Knelpunten", "nl")  # the session's language
    assert localized_in(text, "fa") == ("Bottlenecks", "en")
    assert localized_in(text, "uk", "fa") == ("Bottlenecks", "en")  # then English
    assert localized_in({"nl": "Alleen Nederlands"}, "uk", "fa") == ("Alleen Nederlands", "nl")
    assert localized_in({"ar": "فقط"}, "uk") == ("فقط", "ar")  # any language there is
    assert localized_in({}, "uk") == ("", "uk")
    assert localized(text, "fa", "nl") == "Knelpunten"


def test_templates_command_reports_language_coverage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANGUAGE", "en")  # a facilitator whose system is in English
    extra = tmp_path / "extra"
    extra.mkdir()
    text = _variant('prompt = { nl = "Wat?", en = "What?" }',
                    'prompt = { nl = "Wat?", en = "What?", ar = "ماذا؟" }')
    text = text.replace('title = { nl = "Mini", en = "Mini" }',
                        'title = { nl = "Mini", en = "Mini", ar = "مصغر" }')
    (extra / "mini.toml").write_text(text, encoding="utf-8")
    assert main(["--templates", str(extra), "templates"]) == 0
    out = capsys.readouterr().out
    blocks = {block.split()[0]: block for block in re.split(r"\n(?=\S)", out.strip())}
    assert set(blocks) >= {"kennisatelier", "team-retro", "mini"}
    for name in ("aannames", "bewonersinitiatieven", "cocreatie", "kennisatelier", "team-retro"):
        assert "languages complete: nl en ar fa uk\n" in blocks[name], blocks[name]
        assert "missing" not in blocks[name] and "not translated" not in blocks[name]
    mini = blocks["mini"]
    assert "languages complete: nl en\n" in mini
    assert "not translated: fa uk (shown in the session's language)" in mini
    assert ("ar: 5 of 7 texts missing: description, groups[0].name, rounds[0].title, "
            "rounds[1].title, rounds[1].prompt\n") in mini


ESCAPES = '\\u001b[41m{text}\\u001b]2;PWNED\\u001b\\\\\\u202e'


def test_template_texts_are_cleaned_like_participant_text(tmp_path: Path, data_dir: Path) -> None:
    """`facilitator templates` prints titles: the terminal escapes in a template never reach it."""
    folder = tmp_path / "mine"
    folder.mkdir()
    text = _variant('title = { nl = "Mini", en = "Mini" }',
                    'title = { nl = "' + ESCAPES.format(text="Mini") + '", en = "'
                    + ESCAPES.format(text="Mini") + '" }')
    text = text.replace('prompt = { nl = "Wat?", en = "What?" }',
                        'prompt = { nl = "Wat?", en = "' + ESCAPES.format(text="What?") + '" }')
    (folder / "mini.toml").write_text(text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "facilitator", "--templates", str(folder), "templates"],
        capture_output=True, encoding="utf-8", timeout=60,
        env={**os.environ, "FACILITATOR_DATA_DIR": str(data_dir)},
    )
    assert result.returncode == 0, result.stderr
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("mini ")]
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert line.endswith("[41mMini]2;PWNED\\")  # the rest is harmless text
    template = load_template(folder / "mini.toml")
    assert template.round("one").prompt["en"] == "[41mWhat?]2;PWNED\\"


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        ('title = { nl = "Mini", en = "Mini" }', f'title = {{ nl = "{"x" * 201}", en = "Mini" }}',
         "title.nl", ["201 characters; at most 200", "…"]),
        ('prompt = { nl = "Wat?", en = "What?" }',
         f'prompt = {{ nl = "{"x" * 2001}", en = "What?" }}', "rounds[0].prompt.nl",
         ["2,001 characters"]),
        ('title = { nl = "Mini", en = "Mini" }',
         'title = { nl = "Mini", en = "Mini", "\\u001b[2J" = "x" }', "title['\\x1b[2J']",
         ["pattern"]),
        ('description = { nl = "Kort", en = "Short" }',
         'description = { nl = "Kort", en = "Short" }\ntable_groups = ["A", "\\u200b "]',
         "table_groups[1]", ["a table needs a name"]),
    ],
    ids=["long_title", "long_prompt", "language_code", "empty_table_name"],
)
def test_template_texts_have_limits(tmp_path: Path, old: str, new: str, key: str,
                                    words: list[str]) -> None:
    path = tmp_path / "mini.toml"
    path.write_text(_variant(old, new), encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    assert caught.value.key == key, caught.value
    assert len(str(caught.value)) < 300, "a long value is cut short in the message"
    assert "\x1b" not in str(caught.value)
    for word in words:
        assert word in str(caught.value), caught.value
