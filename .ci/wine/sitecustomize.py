"""Wine 8 only (the Windows lane, .ci/windows): put beside python.exe, so that every Python of
this installation, venvs included, loads it. It never reaches a Windows machine, and does
nothing outside Wine.

- Wine 8's kernel32 has no CopyFile2, and CPython 3.13's shutil.copy2 calls it when _winapi has
  it: the process aborts. Without it shutil copies portably.
- Wine 8 now and then loses the completion that wakes asyncio's Proactor loop when another
  thread hands it a result (about 1 in 2,500 `asyncio.to_thread` calls, measured): a loop with
  nothing else to do then waits forever. Here the loop never waits longer than 50 ms at a time,
  so such a result is picked up late instead of never.
"""

import ctypes

try:
    _under_wine = hasattr(ctypes.WinDLL("ntdll"), "wine_get_version")
except OSError:
    _under_wine = False
if _under_wine:
    import _winapi
    import asyncio.windows_events

    if hasattr(_winapi, "CopyFile2"):
        del _winapi.CopyFile2

    _poll = asyncio.windows_events.IocpProactor._poll

    def _poll_at_most_50_ms(self, timeout=None):  # type: ignore[no-untyped-def]
        return _poll(self, 0.05 if timeout is None or timeout > 0.05 else timeout)

    asyncio.windows_events.IocpProactor._poll = _poll_at_most_50_ms
