"""The integer seed an artefact records (a scorer's manifest, the demo's index).

Functions that store or print their seed take ``rng=`` like every random function (an int, a
numpy Generator or a SeedSequence) and turn it into the integer they record with
:func:`recorded_seed`: an int is itself; a Generator or SeedSequence gives one draw, so that
the recorded integer reproduces the run.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from toolkit.exceptions import UsageError


def recorded_seed(
    rng: np.random.Generator | int | np.random.SeedSequence | None, default: int
) -> int:
    """The integer seed of ``rng`` (``default`` when None; see the module docstring).

    Raises
    ------
    UsageError
        A negative integer, or something that is not a seed.
    """
    if rng is None:
        return int(default)
    if isinstance(rng, bool):
        raise UsageError(f"a seed must be a non-negative whole number; got {rng!r}")
    if isinstance(rng, Integral):
        if rng < 0:
            raise UsageError(f"a seed must be a non-negative whole number; got {rng}")
        return int(rng)
    if isinstance(rng, np.random.Generator | np.random.SeedSequence):
        return int(np.random.default_rng(rng).integers(0, 2**31))
    raise UsageError(
        f"rng must be an integer seed, a numpy Generator or a SeedSequence; got {rng!r}"
    )
