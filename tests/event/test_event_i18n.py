"""The event wall's catalog (the ``event`` domain): every string of facilitator/event in Dutch,
placeholders kept."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import facilitator.event
from facilitator.paths import locale_dir

FOLDER = Path(facilitator.event.__file__).parent


def test_every_event_string_has_a_dutch_translation() -> None:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    extracted = {m for _f, _l, m, _c, _x in extract_from_dir(FOLDER, method_map,
                                                            options_map=options)}
    assert len(extracted) > 20
    with (locale_dir() / "nl" / "LC_MESSAGES" / "event.po").open("rb") as handle:
        catalog = read_po(handle, locale="nl")
    assert sorted(m for m in extracted if not (catalog.get(m) and catalog.get(m).string)) == []
    for message in catalog:
        if message.id and isinstance(message.id, str):
            assert set(re.findall(r"\{\w*\}", message.id)) == set(
                re.findall(r"\{\w*\}", str(message.string))), message.id
