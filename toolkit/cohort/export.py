"""Generate a cohort straight to a file with its manifest: what ``recall-toolkit generate`` does.

The command parses its arguments and calls :func:`generate_file`; the checks, the order of the
work and the outputs are here, so the API refuses what the command refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toolkit.exceptions import UsageError

#: Peak bytes per person of ``generate`` (cohort, generation temporaries and the output
#: writer): peak RSS measured at 200,000, 400,000 and 1,000,000 people per output format (see
#: benchmarks/README.md, issue 12) and rounded up: CSV is the most expensive writer.
BYTES_PER_PERSON = {"parquet": 600, "csv": 1_100, "csv.gz": 1_100}
#: Interpreter, numpy, pandas, scipy and pyarrow imports.
BASE_BYTES = 300e6


@dataclass(frozen=True)
class GeneratedFile:
    """What :func:`generate_file` wrote: the cohort file, its manifest, and the rows."""

    path: Path
    manifest: Path
    n_rows: int


def memory_estimate(path: str | Path) -> tuple[float, float]:
    """``(base bytes, bytes per person)`` that generating to ``path`` needs (by its format)."""
    from toolkit.cohort.io import cohort_format

    return BASE_BYTES, BYTES_PER_PERSON[cohort_format(path)]


def _generate_file_iv(path, rng, seed):
    from toolkit.cohort.io import cohort_format

    cohort_format(path)  # a bad suffix is refused before any work
    if seed is not None:
        if rng is not None:
            raise UsageError("give rng or its alias seed, not both")
        rng = seed
    if isinstance(rng, np.random.SeedSequence):
        rng = rng.entropy
    if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)) or rng < 0:
        raise UsageError(
            "rng must be a non-negative whole-number seed (the manifest records it so the "
            f"cohort can be rebuilt byte for byte); got {rng!r}"
        )
    return int(rng)


def generate_file(
    path: str | Path,
    *,
    profile: str | Path | None = None,
    rules: str | Path | None = None,
    n: int | None = None,
    populations: Iterable[str] | str | None = None,
    rng: int | np.random.SeedSequence | None = None,
    seed: int | None = None,
    before_work: Callable[[], None] | None = None,
    progress: bool | None = None,
) -> GeneratedFile:
    """Generate a cohort and write it to ``path`` (``.parquet``, ``.csv``, ``.csv.gz``) with a
    manifest beside it, atomically: on any error neither file is left behind.

    Parameters
    ----------
    path : str or Path
        Output file; the manifest is written beside it
        (:func:`toolkit.cohort.io.manifest_path`).
    profile, rules : str or Path, optional
        Profile and programme-rules TOML files (default: the shipped ones). Refused as outputs.
    n, populations
        As :func:`toolkit.cohort.generate.generate_cohort`.
    rng : int or numpy.random.SeedSequence
        The seed (required: the manifest records it). ``seed`` is an accepted alias.
    before_work : callable, optional
        Called once both outputs are reserved and before anything is loaded or built (the
        command checks memory there, in its own words).
    progress : bool, optional
        Stage progress on stderr (default: a bar on a terminal, lines otherwise).

    Raises
    ------
    UsageError, SpecError
        For a bad suffix or seed, an unwritable folder, an output that is an input, a profile
        or rules file that cannot be read or contradict each other (before any work).
    """
    from toolkit.cohort.io import atomic_outputs, manifest_path

    seed = _generate_file_iv(path, rng, seed)
    with atomic_outputs() as out:
        # Both outputs are reserved first, so an unwritable folder is refused at once and
        # Ctrl-C or an error at any point leaves neither file behind.
        out.protect(profile, rules)
        out.reserve(path)
        out.reserve(manifest_path(path))
        if before_work is not None:
            before_work()
        # the generator's imports (numpy, pandas, scipy: most of a second) only now
        from toolkit.cohort.generate import generate_cohort
        from toolkit.profile.stored import load_generator_inputs
        from toolkit.report.progress import stage_bar

        # Stages, not people: generation is vectorised over people, so there is nothing finer
        # to count; at 1,000,000 rows each stage takes seconds.
        with stage_bar(3, "generate", progress=progress) as bar:
            bar.set_postfix_str("loading the profile and rules")
            # validated, and refused if they contradict each other, before any work (the
            # shipped pair from its stored copy: toolkit.profile.stored)
            spec, programmes = load_generator_inputs(profile, rules)
            bar.update()
            bar.set_postfix_str("building the cohort")
            df = generate_cohort(
                spec, n=n, populations=populations, rng=seed, programmes=programmes
            )
            bar.update()
            bar.set_postfix_str(f"writing {path}")
            _write(out, df, path, spec, programmes, seed, n, populations)
            bar.update()
    return GeneratedFile(Path(path), Path(manifest_path(path)), len(df))


def _write(out, df, path, spec, programmes, seed, n, populations) -> None:
    """The cohort file, then its manifest (hashes of what was written, the seed, the inputs)."""
    from toolkit.cohort.io import build_manifest, manifest_path, write_cohort_output

    hashes = write_cohort_output(out, df, path)
    manifest = build_manifest(
        spec=spec,
        seed=seed,
        n=n,
        populations=populations,
        csv_sha256=hashes["csv_sha256"],
        file_sha256=hashes["file_sha256"],
        n_rows=len(df),
        rules=programmes,
    )
    out.write_json(manifest, manifest_path(path))
