/* A stand-in for Windows' bcryptprimitives.dll, for Wine 8 only (the Windows lane, .ci/windows).
 *
 * Rust's standard library (1.78 and later) takes its random numbers from
 * bcryptprimitives!ProcessPrng, which Wine 8 does not have: every extension built with Rust
 * (pydantic-core, orjson) then fails to load. This forwards ProcessPrng to RtlGenRandom
 * (advapi32!SystemFunction036), which Wine has. Windows 10 and 11 have the real one; Wine 10 too.
 * Built in the lane with Debian's gcc-mingw-w64-x86-64-win32; never committed as a binary.
 */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG part = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!RtlGenRandom(data, part))
            return FALSE;
        data += part;
        length -= part;
    }
    return TRUE;
}
