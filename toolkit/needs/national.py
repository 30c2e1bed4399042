"""National stock and flow of recalled prisoners, for the needs gap: the one national model.

Every national figure lives once, in ``papers/recall_process_experience/national.toml``, read by
:func:`toolkit.national.load_national`; this module keeps the names the needs code and its users
import (``NationalFigures`` is the national model).
"""

from __future__ import annotations

from toolkit.national import TIME_WINDOW_DAYS, DatedStock, as_date, load_national
from toolkit.national import NationalModel as NationalFigures

__all__ = ["TIME_WINDOW_DAYS", "DatedStock", "NationalFigures", "as_date", "load_national"]
