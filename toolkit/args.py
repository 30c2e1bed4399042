"""Checks of public functions' arguments, declared once (issue 24 item 2).

A public function checks its arguments first, in one place, before any work (SciPy's ``_iv``
functions, scikit-learn's declared ``_parameter_constraints``), so that a bad argument is a
:class:`~toolkit.exceptions.UsageError` naming the argument, the rule and the value instead of a
NumPy ``TypeError`` deep inside, and so that what the command line refuses the API refuses too,
with the same message (messages name the argument, never a command-line flag).

Two styles, one set of rules:

- call the checks directly, ``n = check_int("n", n, lo=1)``;
- or declare a function's constraints once and check them together::

      CONSTRAINTS = {"n": Int(lo=1), "n_replications": Int(lo=1), "rng": Rng()}

      def simulate(..., n=10_000, n_replications=1, rng=None):
          n, n_replications, rng = check_args(CONSTRAINTS, n=n, n_replications=n_replications,
                                              rng=rng).values()

Rules shared by every check: a bool is not a number (``True`` is an int in Python, but
``n_replications=True`` is a mistake); NaN is not a number; a whole number may be given as a
float with no fractional part (``n=1e5``) and is returned as an int.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.exceptions import UsageError

__all__ = [
    "Choice",
    "Int",
    "Real",
    "Rng",
    "check_args",
    "check_choice",
    "check_int",
    "check_real",
    "check_rng",
]


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _bounds(lo, hi, lo_open: bool = False, hi_open: bool = False) -> str:
    """``>= 1``, ``<= 5``, ``between 0 and 1`` (with ``(exclusive)`` where an end is open)."""
    if lo is not None and hi is not None:
        ends = (
            ""
            if not (lo_open or hi_open)
            else " (exclusive)"
            if lo_open and hi_open
            else f" ({lo if lo_open else hi} excluded)"
        )
        return f" between {lo} and {hi}{ends}"
    if lo is not None:
        return f" {'>' if lo_open else '>='} {lo}"
    if hi is not None:
        return f" {'<' if hi_open else '<='} {hi}"
    return ""


def check_int(name: str, value: Any, lo: int | None = None, hi: int | None = None) -> int:
    """``value`` as an int, refusing a bool, a fraction, NaN and anything outside [lo, hi].

    Parameters
    ----------
    name : str
        The argument's name, as the message shows it.
    value : Any
        What the caller passed.
    lo, hi : int, optional
        Inclusive bounds.

    Returns
    -------
    int

    Raises
    ------
    UsageError
        ``n must be a whole number >= 1; got 2.5``.

    Examples
    --------
    >>> check_int("n", 1e3, lo=1)
    1000
    >>> check_int("n_replications", True, lo=1)
    Traceback (most recent call last):
    ...
    toolkit.exceptions.UsageError: n_replications must be a whole number >= 1; got True
    """
    ok = _is_real(value) and math.isfinite(value) and float(value).is_integer()
    if ok:
        whole = int(value)
        ok = (lo is None or whole >= lo) and (hi is None or whole <= hi)
    if not ok:
        raise UsageError(f"{name} must be a whole number{_bounds(lo, hi)}; got {value!r}")
    return whole


def check_real(
    name: str,
    value: Any,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
    what: str = "a number",
) -> float:
    """``value`` as a float, refusing a bool, NaN and anything outside its bounds.

    ``lo_open``/``hi_open`` exclude an end. ``what`` names the kind of number in the message
    (``"a yearly rate"``).

    Raises
    ------
    UsageError
        Naming the argument, its bounds (open ends marked) and the value, e.g.
        ``confidence must be a number between 0 and 1 (exclusive); got 1.5``.

    Examples
    --------
    >>> check_real("share", 1, lo=0, hi=1)
    1.0
    >>> check_real("share", float("nan"), lo=0, hi=1)
    Traceback (most recent call last):
    ...
    toolkit.exceptions.UsageError: share must be a number between 0 and 1; got nan
    """
    ok = _is_real(value) and not math.isnan(value)
    if ok:
        v = float(value)
        ok = (lo is None or (v > lo if lo_open else v >= lo)) and (
            hi is None or (v < hi if hi_open else v <= hi)
        )
    if not ok:
        raise UsageError(f"{name} must be {what}{_bounds(lo, hi, lo_open, hi_open)}; got {value!r}")
    return v


def check_choice(name: str, value: Any, options: Sequence[str]) -> str:
    """``value`` if it is one of ``options``; else the options and the nearest one.

    Examples
    --------
    >>> check_choice("reading", "judgment", ("barriers_cleared", "judgement"))
    Traceback (most recent call last):
    ...
    toolkit.exceptions.UsageError: reading must be one of barriers_cleared, judgement \
(did you mean 'judgement'?); got 'judgment'
    """
    if isinstance(value, str) and value in options:
        return value
    near = difflib.get_close_matches(str(value), list(options), n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    raise UsageError(f"{name} must be one of {', '.join(options)}{hint}; got {value!r}")


def check_rng(name: str, value: Any) -> np.random.Generator:
    """A numpy Generator from what ``rng=`` accepts: None (fresh entropy), a non-negative int
    seed, a :class:`~numpy.random.SeedSequence`, a BitGenerator or a Generator (returned as
    is, so the caller's stream advances).

    Raises
    ------
    UsageError
        For anything else (a bool, a float, a negative int, a string ...).

    Examples
    --------
    >>> bool(check_rng("rng", 1).integers(10) == check_rng("rng", 1).integers(10))
    True
    """
    if isinstance(value, np.random.Generator):
        return value
    ok = value is None or isinstance(value, (np.random.SeedSequence, np.random.BitGenerator))
    ok = ok or (
        isinstance(value, numbers.Integral)
        and not isinstance(value, (bool, np.bool_))
        and value >= 0
    )
    if not ok:
        raise UsageError(
            f"{name} must be a non-negative int seed, a numpy Generator or SeedSequence, or "
            f"None; got {value!r}"
        )
    return np.random.default_rng(value)


# --- declared constraints -----------------------------------------------------------------------


@dataclass(frozen=True)
class Int:
    """A whole number within [lo, hi] (:func:`check_int`)."""

    lo: int | None = None
    hi: int | None = None

    def check(self, name: str, value: Any) -> int:
        return check_int(name, value, self.lo, self.hi)


@dataclass(frozen=True)
class Real:
    """A number within its bounds (:func:`check_real`)."""

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    what: str = "a number"

    def check(self, name: str, value: Any) -> float:
        return check_real(
            name,
            value,
            self.lo,
            self.hi,
            lo_open=self.lo_open,
            hi_open=self.hi_open,
            what=self.what,
        )


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of names (:func:`check_choice`)."""

    options: tuple[str, ...]

    def check(self, name: str, value: Any) -> str:
        return check_choice(name, value, self.options)


@dataclass(frozen=True)
class Rng:
    """What ``rng=`` accepts (:func:`check_rng`)."""

    def check(self, name: str, value: Any) -> np.random.Generator:
        return check_rng(name, value)


def check_args(
    constraints: Mapping[str, Int | Real | Choice | Rng],
    /,
    *,
    optional: Sequence[str] = (),
    **values,
) -> dict[str, Any]:
    """Check each of ``values`` against its declared constraint; return the checked values.

    Parameters
    ----------
    constraints : mapping of str to constraint
        A function's declared constraints (``{"n": Int(lo=1), ...}``).
    optional : sequence of str, optional
        Arguments that may be None (then left as None, not checked).
    **values
        The arguments, by name.

    Returns
    -------
    dict
        The checked (converted) values, in the order given.

    Raises
    ------
    UsageError
        At the first argument that breaks its constraint.

    Examples
    --------
    >>> check_args({"n": Int(lo=1), "share": Real(0, 1)}, n=2.0, share=0.5)
    {'n': 2, 'share': 0.5}
    """
    out = {}
    for name, value in values.items():
        if name not in constraints:
            raise TypeError(f"no constraint declared for argument {name!r}")
        out[name] = (
            None if value is None and name in optional else constraints[name].check(name, value)
        )
    return out
