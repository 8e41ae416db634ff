"""Child process for the kill -9 test: add numbered contributions as fast as it can.

Usage: python durability_child.py SESSION_FILE FIRST_NUMBER [WRITERS]

Prints ``ready`` once the session is open, then each number on its own line only after the
store acknowledged it (the await returned), flushed at once. The parent kills it with SIGKILL.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from pathlib import Path

from facilitator.core.model import Source
from facilitator.session.store import SessionStore


async def main(path: Path, first: int, writers: int) -> None:
    store = SessionStore.open(path)
    numbers = itertools.count(first)
    out = sys.stdout.buffer  # bytes: Windows would write text with "\r\n"

    async def writer() -> None:
        while True:
            number = next(numbers)
            await store.add_contribution("checkin", f"n{number}", source=Source.TUI)
            out.write(b"%d\n" % number)
            out.flush()

    out.write(b"ready\n")
    out.flush()
    await asyncio.gather(*[writer() for _ in range(writers)])


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2]),
                     int(sys.argv[3]) if len(sys.argv) > 3 else 50))
