"""Identifiers that look like a marketplace's own: opaque, fixed-width, upper-case base 36.

The last six characters are an affine bijection of the row's index modulo 36**6, so ids are unique
by construction; the leading characters come from a hash of the index, so ids look random. The same
index gives the same id in every run.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
_UNIQUE_DIGITS = 6
_UNIQUE_SPACE = 36**_UNIQUE_DIGITS  # about 2.2e9 ids of one kind


def _splitmix64(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def base36_ids(index: np.ndarray, *, prefix: str, width: int, salt: int) -> pa.Array:
    """``prefix`` + ``width`` base-36 characters for each index (unique per index of one salt)."""
    if not 6 <= width <= 16:
        raise ValueError("width must be between 6 and 16")
    index = np.asarray(index, dtype=np.uint64)
    if index.size and int(index.max()) >= 2**30:
        raise ValueError("more than 2**30 ids of one kind")
    n = index.size
    salt_mix = int(_splitmix64(np.array([salt], dtype=np.uint64))[0])
    # Invertible modulo 36**6: coprime with 2 and 3. index * multiplier stays below 2**64.
    multiplier = np.uint64((salt_mix % (_UNIQUE_SPACE // 6)) * 6 + 5)
    offset = np.uint64(salt_mix % _UNIQUE_SPACE)
    unique = ((index * multiplier + offset) % np.uint64(_UNIQUE_SPACE)).astype(np.uint32)

    head = prefix.encode()
    row = len(head) + width
    chars = np.empty((n, row), dtype=np.uint8)
    chars[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    noise_width = width - _UNIQUE_DIGITS
    if noise_width:
        noise = _splitmix64(index ^ np.uint64(salt_mix))
        for k in range(noise_width):  # 6 bits per character; a slight bias is harmless here
            bits = ((noise >> np.uint64(6 * k)) & np.uint64(63)).astype(np.uint8) % np.uint8(36)
            chars[:, len(head) + k] = _ALPHABET[bits]
    for position in range(row - 1, row - 1 - _UNIQUE_DIGITS, -1):
        chars[:, position] = _ALPHABET[unique % np.uint32(36)]
        unique //= np.uint32(36)
    offsets = np.arange(0, (n + 1) * row, row, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes())) \
        .cast(pa.string())
