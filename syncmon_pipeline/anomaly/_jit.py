"""`njit`: numba's compiler for the detector's inner loop, or a no-op when numba is not installed.

The detector's code is plain scalar Python over numpy arrays, so it gives the same scores either
way; numba only makes it fast (about a hundred times).
"""

from __future__ import annotations

try:
    from numba import njit as _numba_njit
except ImportError:  # pragma: no cover - exercised only where numba is missing
    _numba_njit = None


def njit(function):
    if _numba_njit is None:  # pragma: no cover
        return function
    return _numba_njit(cache=True, nogil=True)(function)
