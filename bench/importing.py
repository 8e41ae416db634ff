"""``python -m bench import``: ``facilitator import`` of a 100,000-document export.

The import checks every document (``session/documents.py``) before it writes the session. Two
baselines from the same run: a plain ``orjson`` load of the same file (the floor: what reading it
costs with no checks at all), and the check the import made before, one pydantic ``TypeAdapter``
built per document, timed on a smaller file and scaled up per document (on the full file it takes
minutes).
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from pydantic import TypeAdapter

from bench.common import make_session_file, verdict
from facilitator.core.model import TABLES
from facilitator.session.library import EXPORT_FORMAT, EXPORT_VERSION, Library, Templates
from facilitator.session.store import SessionStore

DOCUMENTS = 100_000
QUICK_DOCUMENTS = 20_000
OLD_SAMPLE = 2_000
"""Documents the per-document validator of before is timed on."""
DEVICES = 300
TEMPLATE = "kennisatelier"
TARGET_S = 5.0


def make_export(path: Path, documents: int) -> None:
    """An export of a session with ``documents`` documents, nearly all contributions."""
    session = path.with_name("source") / "bench-import.json"
    rounds = len(Templates().load(TEMPLATE).rounds)
    make_session_file(session, documents - 1 - rounds - DEVICES, template_id=TEMPLATE,
                      devices=DEVICES)
    tables = orjson.loads(session.read_bytes())
    path.write_bytes(orjson.dumps(
        {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "tables": tables}))


def per_document_check(tables: dict[str, dict[str, Any]]) -> None:
    """How the import checked documents before: a validator built for every document."""
    for name, cls in TABLES.items():
        for doc_id, doc in tables.get(name, {}).items():
            if not re.fullmatch(r"[1-9][0-9]*", doc_id):
                raise ValueError(doc_id)
            TypeAdapter(cls).validate_python({**doc, "id": int(doc_id)})


def timed(work: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def run(quick: bool = False) -> int:
    documents = QUICK_DOCUMENTS if quick else DOCUMENTS
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        file = folder / "export.json"
        sample = folder / "sample.json"
        make_export(file, documents)
        make_export(sample, OLD_SAMPLE)
        size = file.stat().st_size

        _, t_floor = timed(lambda: orjson.loads(file.read_bytes()))
        sample_tables = orjson.loads(sample.read_bytes())["tables"]
        _, t_old_sample = timed(lambda: per_document_check(sample_tables))
        t_old = t_old_sample / OLD_SAMPLE * documents
        entry, t_import = timed(lambda: Library(folder / "data").import_file(file))
        _, t_open = timed(lambda: SessionStore.open(entry.path, read_only=True))

    print(f"import benchmark: an export of {documents:,} documents ({size / 1e6:.1f} MB)"
          f"{' (quick)' if quick else ''}")
    print(f"  floor: orjson load of the file        {t_floor:7.2f} s")
    print(f"  before: a validator per document      {t_old:7.2f} s  (measured on "
          f"{OLD_SAMPLE:,} documents: {t_old_sample:.2f} s, scaled per document)")
    print(f"  import, checked in bulk (ours)        {t_import:7.2f} s  "
          f"({t_old / t_import:.0f}× faster than before, {t_import / t_floor:.1f}× the floor)")
    print(f"  opening the imported session (checked) {t_open:6.2f} s")
    ok = t_import < TARGET_S
    print(f"target: import of {documents:,} documents < {TARGET_S:.0f} s: {t_import:.2f} s "
          f"{verdict(ok)}")
    return 0 if ok else 1
