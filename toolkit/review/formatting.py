"""The summary's text and JSON exactly as pandas writes them, without importing pandas.

``simulate`` prints ``summary.round(2).to_string(index=False)`` and writes each strategy's row
as ``json.loads(row.to_json())``. Importing pandas costs about 0.3 s, a fifth of the whole
command at 2,000,000 episodes, for a table of a few rows, so both are reproduced here for the
common case, following pandas' own rules (pandas/io/formats/format.py: six decimals, trailing
zeros trimmed alike in a column, right-justified, numeric headers with a leading space; the
vendored ultrajson's ``Buffer_AppendDoubleUnchecked``: 10 decimals, its own rounding). Anything
outside that common case (NaN, inf, very large or very small values) returns None /
NotImplemented and the caller asks pandas. Tests compare both with pandas on generated input.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

_NUMBER = re.compile(r"^\s*[\+-]?[0-9]+\.[0-9]*$")


def _trim_zeros(strings: list[str]) -> list[str]:
    """pandas' ``_trim_zeros_float``: drop a trailing zero from every value while all end in one,
    then keep one digit after the point."""
    while strings and all(s.endswith("0") for s in strings if _NUMBER.match(s)):
        if not any(_NUMBER.match(s) for s in strings):
            break
        strings = [s[:-1] if _NUMBER.match(s) else s for s in strings]
    return [s + "0" if _NUMBER.match(s) and s.endswith(".") else s for s in strings]


def _float_column(values: Sequence[float]) -> list[str] | None:
    """Fixed-point strings of a float column as pandas' to_string(index=False) writes them; None
    where pandas would switch to scientific notation or print NaN/inf."""
    if not all(math.isfinite(v) for v in values):
        return None
    strings = _trim_zeros([f"{v:.6f}" for v in values])
    absv = [abs(v) for v in values]
    large = any(a > 1e6 for a in absv)
    small = any(0 < a < 1e-6 for a in absv)
    if small or (large and max(len(s) for s in strings) > 12):
        return None
    return strings


def pandas_table(rows: Sequence[dict], columns: Sequence[str], decimals: int) -> str | None:
    """``pd.DataFrame(rows)[columns].round(decimals).to_string(index=False)`` for columns of
    str (the first) and float values; None if pandas would format it otherwise."""
    import numpy as np

    if not rows:
        return None
    cells = []
    for c in columns:
        vals = [r[c] for r in rows]
        if all(isinstance(v, str) for v in vals):
            header, strings = c, vals
        elif all(isinstance(v, float) and not isinstance(v, bool) for v in vals):
            with np.errstate(over="ignore", invalid="ignore"):  # huge values: declined below
                rounded = np.round(np.array(vals, dtype=np.float64), decimals).tolist()
            strings = _float_column(rounded)
            if strings is None:
                return None
            header = " " + c  # pandas' leading space for numeric columns without an index
        else:
            return None
        width = max(len(header), *(len(s) for s in strings))
        cells.append([header.rjust(width)] + [s.rjust(width) for s in strings])
    return "\n".join(" ".join(line) for line in zip(*cells))


def pandas_json_float(value: float):
    """The float that ``json.loads(pandas.Series([value]).to_json())`` gives back (ultrajson with
    ``double_precision=10``), None for NaN/inf (pandas writes null), NotImplemented outside the
    fixed-point range (where ultrajson calls printf)."""
    if not isinstance(value, float) or isinstance(value, bool):
        return NotImplemented
    if not math.isfinite(value):
        return None
    neg = value < 0
    v = -value if neg else value
    if v > 1e16 - 1 or (v != 0.0 and v < 1e-15):
        return NotImplemented
    pow10 = 1e10
    whole = int(v)  # C's truncating cast
    tmp = (v - whole) * pow10
    frac = int(tmp)
    diff = tmp - frac
    if diff > 0.5 or (diff == 0.5 and (frac == 0 or frac & 1)):
        frac += 1
    if frac >= pow10:
        frac, whole = 0, whole + 1
    out = float(f"{whole}.{frac:010d}")
    return -out if neg else out
