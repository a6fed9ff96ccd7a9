/* bcryptprimitives.dll for Wine 8, in the test harness only (never shipped).
 *
 * Rust's standard library (1.78 and later) draws random bytes with
 * bcryptprimitives!ProcessPrng, which Windows 10+ has and Wine 8 does not: without this,
 * every Rust .exe stops at load time (STATUS_DLL_NOT_FOUND, c0000135). advapi32's
 * RtlGenRandom (SystemFunction036) gives the same bytes from the same system RNG. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
