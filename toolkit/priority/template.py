"""The caseload template and its filled example: one home for the example caseload.

:func:`example_caseload` makes the synthetic example (simulated people from the review model,
no real person) that ``recall-toolkit template caseload`` writes, the demo ranks and the
notebooks read; :func:`write_caseload_templates` writes the empty template and the example
together (both files or neither), refusing what the command refuses.
"""

from __future__ import annotations

from numbers import Integral
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from toolkit.defaults import SCORER_SEED
from toolkit.exceptions import UsageError
from toolkit.outputs import atomic_outputs
from toolkit.priority.caseload import CASELOAD_COLUMNS
from toolkit.priority.dates import as_of_date
from toolkit.priority.features import DEFAULT_AS_OF, caseload_from_simulation, to_csv_text
from toolkit.profile.rules import load_programme_rules

TEMPLATE_NAME = "caseload_template.csv"
EXAMPLE_NAME = "caseload_example.csv"
#: Seed, size and as-of date of the example the template command writes by default.
EXAMPLE_SEED = SCORER_SEED
EXAMPLE_N = 300
EXAMPLE_AS_OF = DEFAULT_AS_OF


def _programme_rules(programmes):
    """Programme rules from a path (or already loaded; None stays None: the shipped ones)."""
    if programmes is None or not isinstance(programmes, str | Path):
        return programmes
    return load_programme_rules(programmes)


def example_caseload(
    cohort: pd.DataFrame | None = None,
    n: int = EXAMPLE_N,
    *,
    as_of: str | pd.Timestamp = EXAMPLE_AS_OF,
    rng: np.random.Generator | int | np.random.SeedSequence | None = None,
    programmes=None,
) -> pd.DataFrame:
    """A synthetic caseload as the CSV text a practitioner's file holds (template column order).

    The rows are the review model's simulated people in custody on ``as_of``
    (:func:`~toolkit.priority.features.caseload_from_simulation`); no real person.

    Parameters
    ----------
    cohort : pandas.DataFrame, optional
        A synthetic cohort with standard recalls; default: one generated from ``rng`` (its
        first spawned stream; the second picks the people).
    n : int
        Rows.
    as_of : date
        The date the caseload describes.
    rng : numpy Generator, int or SeedSequence
        Same seed, same rows.
    programmes : ProgrammeRules or path, optional
        Programme rules the cohort is built with (default: the shipped ones); the rows'
        programme names are theirs.
    """
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise UsageError(f"n must be a whole number of example cases, at least 1; got {n!r}")
    as_of = as_of_date(as_of)
    programmes = _programme_rules(programmes)
    rng = np.random.default_rng(rng)
    if cohort is None:
        # the cohort generator (about 2 s of import) only when no cohort is given
        from toolkit.cohort.generate import generate_cohort

        c_rng, rng = rng.spawn(2)
        cohort = generate_cohort(populations=["standard"], rng=c_rng, programmes=programmes)
    frame, _ = caseload_from_simulation(cohort, n, as_of=as_of, rng=rng, programmes=programmes)
    names = [c.name for c in CASELOAD_COLUMNS if c.name in frame.columns]
    return to_csv_text(frame)[names]


class CaseloadTemplates(NamedTuple):
    """What :func:`write_caseload_templates` wrote."""

    template: Path
    example: Path
    n_columns: int
    n_cases: int
    as_of: pd.Timestamp


def write_caseload_templates(
    out_dir: str | Path = ".",
    *,
    n: int | None = None,
    rng: np.random.Generator | int | np.random.SeedSequence | None = None,
    as_of: str | pd.Timestamp | None = None,
    programmes=None,
    force: bool = False,
    protect=(),
) -> CaseloadTemplates:
    """Write the empty template (every column's header) and the filled example into
    ``out_dir``: both files, or neither.

    Parameters
    ----------
    out_dir : path
        An existing folder.
    n, rng, as_of, programmes
        As :func:`example_caseload`; defaults :data:`EXAMPLE_N`, :data:`EXAMPLE_SEED` and
        :data:`EXAMPLE_AS_OF` (None: the default).
    force : bool
        Overwrite :data:`TEMPLATE_NAME` and :data:`EXAMPLE_NAME` if they exist.
    protect : iterable of paths
        Input files that must never be overwritten (the rules and profile in force).

    Returns
    -------
    CaseloadTemplates

    Raises
    ------
    UsageError
        ``out_dir`` is not a folder, a file exists without ``force``, or an argument is invalid.
    """
    out = Path(out_dir)
    if not out.is_dir():
        raise UsageError(f"{out}: not a directory; create it first")
    paths = (out / TEMPLATE_NAME, out / EXAMPLE_NAME)
    if not force:
        for p in paths:
            if p.exists():
                choice = f"{p} exists; choose another folder, or overwrite it"
                raise UsageError(f"{choice} (force=True)", cli_message=f"{choice} (--force)")
    n = EXAMPLE_N if n is None else n
    rng = EXAMPLE_SEED if rng is None else rng
    as_of = EXAMPLE_AS_OF if as_of_date(as_of) is None else as_of_date(as_of)
    names = [c.name for c in CASELOAD_COLUMNS]
    # both files, or neither; an unwritable folder is refused before the example is made
    with atomic_outputs() as outputs:
        outputs.protect(*protect)
        for p in paths:
            outputs.reserve(p)
        example = example_caseload(n=n, as_of=as_of, rng=rng, programmes=programmes)
        outputs.write(paths[0], lambda tmp: pd.DataFrame(columns=names).to_csv(tmp, index=False))
        outputs.write(paths[1], lambda tmp: example.to_csv(tmp, index=False))
    return CaseloadTemplates(*paths, len(names), len(example), as_of)
