"""Wine 8 only (the Windows lane, .ci/windows): put beside python.exe, so that every Python of
this installation, venvs included, loads it.

Wine 8's kernel32 has no CopyFile2, and CPython 3.13's shutil.copy2 calls it when _winapi has
it: the process aborts. Without it shutil copies portably. Windows itself has CopyFile2; this
file never reaches a Windows machine.
"""

import ctypes

try:
    _under_wine = hasattr(ctypes.WinDLL("ntdll"), "wine_get_version")
except OSError:
    _under_wine = False
if _under_wine:
    import _winapi

    if hasattr(_winapi, "CopyFile2"):
        del _winapi.CopyFile2
