"""How many rows a cohort file holds, known before it is read (for the memory check).

Parquet stores its row count in the footer; for CSV the count is estimated from the file's size
and the mean length of the lines in its first megabyte (of the decompressed text for
``.csv.gz``), which is all a memory check before the work needs.
"""

from __future__ import annotations

import zlib
from pathlib import Path

#: Bytes sampled from the start of a CSV to estimate its mean line length.
SAMPLE_BYTES = 1 << 20


def estimate_rows(path: str | Path) -> int | None:
    """Data rows in a cohort file: exact for Parquet, estimated for CSV; None if unreadable.

    Parameters
    ----------
    path : str or Path
        ``.parquet``, ``.csv`` or ``.csv.gz``.

    Returns
    -------
    int or None
        None when the file cannot be opened or is not what its suffix says (reading it will
        then give the proper error).
    """
    name = str(path).lower()
    p = Path(path)
    try:
        if name.endswith(".parquet"):
            import pyarrow.parquet as pq

            return int(pq.read_metadata(p).num_rows)
        size = p.stat().st_size
        with open(p, "rb") as fh:
            raw = fh.read(SAMPLE_BYTES)
        if name.endswith(".gz"):
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            text = d.decompress(raw, 64 * SAMPLE_BYTES)
            used = len(raw) - len(d.unconsumed_tail) - len(d.unused_data)
            text_size = size * len(text) / max(used, 1)  # the sampled compression ratio
        else:
            text, text_size = raw, size
    except (OSError, ValueError, zlib.error, ImportError):
        return None
    except Exception:  # noqa: BLE001 - pyarrow's errors for a file that is not Parquet
        return None
    lines = text.count(b"\n")
    if lines < 2:
        return max(lines - 1, 0)
    return max(int(round(text_size * lines / len(text))) - 1, 0)  # minus the header
