"""``simulate`` and ``calibrate`` as toolkit functions: check the request, choose the census, run
the model, write the outputs (all or nothing) and return the report the command prints.

The command modules (``toolkit/cli/simulate.py``, ``toolkit/cli/calibrate.py``) only parse
arguments and call :func:`simulate_to_files` or :func:`calibrate_report`; every check is made
here, so a script calling these functions is refused what the command line is refused, with the
same message (naming the argument, not a command-line flag).
"""

from __future__ import annotations

import contextlib
import os
import textwrap
from collections.abc import Callable, Sequence

from toolkit.exceptions import UsageError
from toolkit.national import check_growth

#: Strategy names accepted on the command line and the name outputs use for them.
ALIASES = {"sed": "board_only"}
#: The strategy the others are compared with (paired differences), when given.
BASELINE = "formal"


def default_score():
    """The practitioner scorer's simulation score function, when that package provides one
    (``toolkit.priority.simulation_score(features) -> array``); else None, and the ``scorer``
    ordering uses its documented fallback (toolkit.review.ordering.fallback_score)."""
    try:
        from toolkit.priority import simulation_score
    except ImportError:
        return None
    return simulation_score


def parse_strategies(given: Sequence[str]) -> dict:
    """Strategies by the name outputs use (``sed`` is printed as ``board_only``), each once.

    Raises
    ------
    UsageError
        A strategy that does not parse, one given twice, or two that are the same strategy.
    """
    from toolkit.review import parse_strategy
    from toolkit.review.strategies import check_distinct

    score = default_score() if any("scorer" in s for s in given) else None
    strategies = {}
    for text in given:
        name = ALIASES.get(text, text)
        if name in strategies:
            raise UsageError(f"strategy {name!r} given twice; give each strategy once")
        strategies[name] = parse_strategy(text, score=score)
    if not strategies:
        raise UsageError("give at least one strategy")
    check_distinct(strategies)
    return strategies


def _check_simulate(out, summary, cohort, profile, growth, n, replications) -> str:
    """The request's own checks (SciPy's ``_iv`` pattern); returns the records' format."""
    from toolkit.cohort.io import cohort_format
    from toolkit.review.engine import positive_count

    positive_count("n", n)
    positive_count("replications", replications)
    check_growth(growth)
    fmt = cohort_format(out)
    if fmt == "csv.gz":
        raise UsageError(f"{out}: records are written as .parquet or .csv")
    if summary and not str(summary).lower().endswith(".json"):
        raise UsageError(f"{summary}: the summary is a .json file")
    if cohort is not None and profile is not None:
        raise UsageError("give a cohort or a profile, not both")
    return fmt


def simulate_to_files(
    strategies: Sequence[str],
    out,
    *,
    summary=None,
    cohort=None,
    profile=None,
    rules=None,
    n: int = 10_000,
    replications: int = 10,
    populations: Sequence[str] | None = None,
    growth: float | None = None,
    rng=None,
    progress: bool = True,
) -> str:
    """Simulate ``strategies`` (command-line names) and write the records to ``out`` (.parquet or
    .csv) and, if given, the JSON summary to ``summary``; return the printed report.

    ``cohort``: a census cohort file (or DataFrame); ``profile``: a profile to generate the
    census from; neither: the stored default census (:func:`toolkit.review.census.choose_census`).
    Outputs are written all or nothing and never over an input.

    Raises
    ------
    UsageError, CohortError, SpecError
        A bad request or input, before anything is written.
    """
    from toolkit.cohort.io import atomic_outputs
    from toolkit.review.census import choose_census
    from toolkit.review.engine import RecordStream, summary_json
    from toolkit.review.policy import ReleaseRules, load_release_rules

    named = parse_strategies(strategies)
    fmt = _check_simulate(out, summary, cohort, profile, growth, n, replications)
    pops = list(populations or ["standard"])
    with atomic_outputs() as outputs:
        # all outputs are reserved now and renamed only when all are written (issue 12)
        outputs.protect(*(x for x in (cohort, rules) if isinstance(x, (str, os.PathLike))))
        outputs.reserve(out)
        if summary:
            outputs.reserve(summary)
        rules = rules if isinstance(rules, ReleaseRules) else load_release_rules(rules)
        census, national = choose_census(cohort, profile, populations=pops)
        bar = _progress(progress, replications * len(named))
        stream = RecordStream(
            census,
            named,
            rules,
            n=n,
            n_replications=replications,
            populations=pops,
            rng=rng,
            progress=bar.count if bar else None,
        )
        means = _write_records(outputs, out, fmt, stream, bar)
        rows, text = _summarise(
            stream,
            means,
            rules,
            replications,
            pops,
            growth,
            national,
            census,
            scaled=cohort is not None or profile is not None,
        )
        if summary:
            outputs.write_json(summary_json(rows, stream.names), summary)
    return text


def _write_records(outputs, out, fmt: str, stream, bar) -> list[dict]:
    """Stream the records into ``out`` (strategy x replication by strategy x replication) and
    return the replication means computed in the same pass (no frame of all records)."""
    from toolkit.review.output import write_records

    means: list[dict] = []

    def write(tmp):
        means[:] = write_records(stream, tmp, fmt)

    with bar or contextlib.nullcontext():
        outputs.write(out, write)
    return means


def _summarise(stream, means, rules, replications, pops, growth, national, census, *, scaled):
    """The summary rows and the printed report, scaled to the national flow."""
    from toolkit.review.engine import summary_rows

    nat = stream.national(growth=growth, national_census=national, cohort=census)
    flow = nat["annual_recalls_now"] * nat["flow_share"]
    rows = summary_rows(means, stream.names, flow)
    text = simulation_report(
        rows, means, stream.names, flow, nat, rules, replications, pops, scaled=scaled
    )
    return rows, text


def _progress(on: bool, total: int):
    """The output layer's progress: a bar on a terminal, a line per tenth in a log (issue 20)."""
    if not on:
        return None
    from toolkit.outputs import progress

    return progress(total, "simulate", unit="replication")


def simulation_report(
    rows, means, names, flow, nat, rules, replications: int, populations, *, scaled: bool
) -> str:
    """The summary in groups that fit 100 columns, paired differences from formal, the national
    figures and which inputs are published and which assumed (``scaled``: the census is not the
    shipped profile's, so the national figures carry a warning)."""
    from toolkit.review.national import littles_law_text
    from toolkit.review.output import (
        inputs_line,
        paired_differences,
        render_differences,
        render_groups,
    )

    lines = [render_groups(rows, n_replications=replications)]
    if len(names) > 1:
        base = BASELINE if BASELINE in names else names[0]
        diffs = paired_differences(means, list(names), flow, base)
        lines += ["", render_differences(diffs, base)]
        if base != BASELINE:
            lines.append(
                f"(give --strategy {BASELINE} to compare every strategy with today's reviews)"
            )
    lines.append("")
    lines.append(
        textwrap.fill(
            f"National: {flow:,.0f} admissions a year of the simulated recall types "
            f"({', '.join(populations)}); national bed-days and costs per "
            "strategy are in the JSON summary.",
            100,
        )
    )
    lines.append(textwrap.fill(littles_law_text(nat), 100))
    if scaled:
        lines.append(
            textwrap.fill(
                f"The national figures scale this census by the national model ({nat['source']}; "
                "England and Wales, 2014-16): read them as national only if this census "
                "describes the same recalled population.",
                100,
            )
        )
    lines.append(inputs_line(rules, rules.national))
    return "\n".join(lines)


def calibrate_report(
    *,
    cohort=None,
    profile=None,
    rules=None,
    n: int | None = None,
    maxiter: int | None = None,
    stage: Callable[[str], None] | None = None,
    evaluations: Callable[[int], None] | None = None,
) -> str:
    """Fit the person model (:func:`toolkit.review.calibration.calibrate`) on a census cohort
    file, a profile's standard recalls, or (neither) the shipped profile's, and return the
    report ``calibrate`` prints. ``stage(text)`` is told each stage, ``evaluations(k)`` the
    model evaluations so far. Nothing is written.
    """
    from toolkit.review import calibration as cal
    from toolkit.review.census import choose_census
    from toolkit.review.engine import positive_count
    from toolkit.review.national import littles_law_text, national_flow
    from toolkit.review.output import copyable_path
    from toolkit.review.policy import ReleaseRules, load_release_rules

    if n is not None:
        positive_count("n", n)
    if maxiter is not None:
        positive_count("maxiter", maxiter)
    stage = stage or (lambda text: None)
    rules = rules if isinstance(rules, ReleaseRules) else load_release_rules(rules)
    if cohort is not None and profile is not None:
        raise UsageError("give a cohort or a profile, not both")
    if cohort is None:
        from toolkit.profile.spec import load_profile

        profile = load_profile(profile)
        if "standard" not in profile.populations:
            raise UsageError(
                f"{profile.path} has no standard recalls: the calibration fits the formal "
                "strategy to standard recalls (the case review and census figures describe them)"
            )
        stage("generating the standard-recall cohort")
    else:
        stage(f"reading the cohort {cohort}")
    census, _ = choose_census(cohort, profile, populations=["standard"], every_type=False)
    kw = {"maxiter": maxiter} if maxiter else {}
    stage("fitting the four parameters (Nelder-Mead from each start), then intervals")
    res = cal.calibrate(census, rules, n=n or cal.FIT_N, progress=evaluations, **kw)
    stage("the Little's-law check")
    nat_text = littles_law_text(national_flow(rules, res.params))
    path = copyable_path(rules.path)
    return "\n".join(
        [
            res.render(),
            nat_text,
            "Nothing on disk was changed. To use these parameters, copy the rules file and put "
            f"them in its [calibrated] block:\n  cp {path} my_rules.toml\n"
            "then pass --rules my_rules.toml to simulate, calibrate and sweep (a sweep spec's "
            "[sweep] rules).",
        ]
    )


class StageProgress:
    """Progress through a command's stages: a tqdm bar on a terminal (stderr), one line per
    stage otherwise (logs and CI keep a readable record)."""

    def __init__(self, total: int):
        import sys
        import time

        self.tty = sys.stderr.isatty()
        self.t0 = time.perf_counter()
        self.bar = None
        if self.tty:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="stage", file=sys.stderr, leave=False)

    def stage(self, text: str) -> None:
        """Start the stage ``text``."""
        import sys
        import time

        if self.bar is not None:
            self.bar.set_description(text)
            self.bar.update(1)
        else:
            print(f"[{time.perf_counter() - self.t0:6.1f} s] {text}", file=sys.stderr, flush=True)

    def evaluations(self, k: int) -> None:
        """``k`` model evaluations so far (shown every fifth)."""
        if self.bar is not None and k % 5 == 0:
            self.bar.set_postfix_str(f"{k} model evaluations", refresh=False)
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
