"""The sweep spec (TOML): strategies and grids, assumption distributions, flow size, seed.

See ``docs/sweeps.md`` for the format and ``papers/recall_process_experience/sweep_example.toml``
for an example. The file is declared once (:class:`SpecFile`, pydantic models with
:mod:`toolkit.tomlmodel`): unknown keys are refused naming the nearest known key.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import PlainValidator, model_validator

from toolkit.datafiles import read_toml
from toolkit.defaults import DEFAULT_SEED
from toolkit.exceptions import SpecError, ToolkitError, UsageError
from toolkit.schema import RECALL_TYPES
from toolkit.sweep import scenario
from toolkit.sweep.scenario import OUTCOMES, check_strategy
from toolkit.tomlmodel import FileModel, ValueAt, choice, is_number, listed, parse, whole

#: Distribution name -> (SALib name, parameters in the order SALib reads its "bounds").
DISTRIBUTIONS = {
    "uniform": ("unif", ("low", "high")),
    "triangular": ("triang", ("low", "high", "peak")),
    "normal": ("norm", ("mean", "sd")),
    "truncnormal": ("truncnorm", ("low", "high", "mean", "sd")),
    "lognormal": ("lognorm", ("meanlog", "sdlog")),
}
METHODS = ("sobol", "baseline")


@dataclass(frozen=True)
class Assumption:
    """One varied parameter: a dotted release-rules key and its distribution."""

    name: str
    dist: str
    params: tuple[float, ...]
    reason: str = ""

    @property
    def salib(self) -> tuple[str, list[float]]:
        """(SALib dist name, SALib bounds); triangular's peak is given as a value and
        converted to SALib's fraction of the interval."""
        sal, _ = DISTRIBUTIONS[self.dist]
        p = list(self.params)
        if self.dist == "triangular":
            lo, hi, peak = p
            p = [lo, hi, (peak - lo) / (hi - lo)]
        return sal, p


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep spec (plain data: it is sent to Dask workers)."""

    path: str
    seed: int
    replications: int
    admissions: int
    populations: tuple[str, ...]
    partition_size: int
    cohort_seed: int
    rules: str | None
    strategies: tuple[str, ...]
    method: str
    base_samples: int
    conf_level: float
    resamples: int
    assumptions: tuple[Assumption, ...]
    tornado_strategy: str
    projection: dict | None

    def fingerprint(self) -> str:
        """SHA-256 of everything that determines the results (not the partition size)."""
        d = asdict(self)
        d.pop("path")
        d.pop("partition_size")
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()

    def problem(self) -> dict:
        """The SALib problem dict of the assumptions."""
        return {
            "num_vars": len(self.assumptions),
            "names": [a.name for a in self.assumptions],
            "bounds": [a.salib[1] for a in self.assumptions],
            "dists": [a.salib[0] for a in self.assumptions],
        }

    def design(self) -> pd.DataFrame:
        """One row per assumption point (``point`` = 0..P-1, one column per assumption).

        ``sobol``: SALib's Saltelli/Sobol' sample, N x (D + 2) points (first-order and total
        indices); ``baseline``: one point with the rules file's values (a column per
        assumption, holding that value).
        """
        if self.method == "baseline" or not self.assumptions:
            rules = scenario.load_rules(self.rules)
            base = {a.name: [scenario.baseline_value(rules, a.name)] for a in self.assumptions}
            return pd.DataFrame({"point": [0], **base})
        from SALib.sample import sobol as sobol_sample

        x = sobol_sample.sample(
            self.problem(), self.base_samples, calc_second_order=False, seed=self.seed
        )
        df = pd.DataFrame(x, columns=[a.name for a in self.assumptions])
        df.insert(0, "point", np.arange(len(df)))
        return df


#: The key that centres each distribution: ``"rules"`` there means the value in the rules file
#: (the stored calibrated value for ``calibrated.*``), read when the spec is loaded, so a refit
#: recentres the prior without editing the spec.
CENTRE = {"triangular": "peak", "normal": "mean", "truncnormal": "mean", "lognormal": "meanlog"}


#: Strategy names accepted in a spec and the name outputs use for them (as ``simulate``).
ALIASES = {"sed": "board_only"}

# --- The file, declared ------------------------------------------------------------------------
# The spec's tables as pydantic models (toolkit.tomlmodel): keys, types, ranges and the rules
# across tables, checked once by parse(); the assumptions are then read against the release
# rules the spec names (their names, ranges and "rules" centres), which only that file knows.


class _Sweep(FileModel):
    seed: whole(0)
    replications: whole(1) = 10
    admissions: whole(1) = 10_000
    populations: listed(RECALL_TYPES, "recall types") = ("standard",)
    partition_size: whole(1) = 16
    cohort_seed: whole(0) = DEFAULT_SEED
    #: release rules, relative to the spec (default: the shipped ones)
    rules: str | None = None


def _grid(grid):
    """``{"proactive": {"every": [14, 28]}}``: each strategy a table of parameter = values."""
    if not isinstance(grid, dict):
        raise ValueError("must be a table of strategy = {parameter = [values]}")
    for name, params in grid.items():
        if not isinstance(params, dict) or not params:
            raise ValueAt(name, "must be a table of parameter = [values]")
        for k, v in params.items():
            if v == []:
                raise ValueAt(f"{name}.{k}", "must list values")
    return grid


class _Strategies(FileModel):
    names: list[str] = []
    grid: Annotated[dict, PlainValidator(_grid)] = {}

    def expanded(self) -> list[str]:
        """The names, then every combination of each grid (``proactive:every=14``), with
        accepted aliases written as outputs name them (``sed`` -> ``board_only``)."""
        names = list(self.names)
        for name, params in self.grid.items():
            lists = [v if isinstance(v, list) else [v] for v in params.values()]
            for combo in itertools.product(*lists):
                names.append(f"{name}:" + ",".join(f"{k}={v}" for k, v in zip(params, combo)))
        return [ALIASES.get(n, n) for n in names]

    @model_validator(mode="after")
    def _known_and_distinct(self):
        names = self.expanded()
        if not names:
            raise ValueAt("", "must name at least one strategy")
        if len(set(names)) != len(names):
            raise ValueAt(
                "", "names a strategy twice", next(s for s in names if names.count(s) > 1)
            )
        for s in names:
            try:
                check_strategy(s)
            except ToolkitError as exc:
                raise ValueAt("", str(exc), s) from None
        return self


def _open_share(v):
    # a float strictly between 0 and 1 (an int such as 1 is refused, as before)
    if not (isinstance(v, float) and 0 < v < 1):
        raise ValueError("must be a number between 0 and 1")
    return v


class _Design(FileModel):
    method: choice(METHODS) = "sobol"
    base_samples: whole(1) = 16
    conf_level: Annotated[float, PlainValidator(_open_share)] = 0.95
    resamples: whole(1) = 100


def _param(v):
    if v == "rules" or is_number(v):
        return v
    raise ValueError('must be a number (or "rules", the rules file\'s value, for the centre)')


_PARAM = Annotated[Any, PlainValidator(_param)]


class _Distribution(FileModel):
    """One assumption's distribution: ``dist`` and exactly that distribution's parameters."""

    dist: choice(DISTRIBUTIONS)
    low: _PARAM = None
    high: _PARAM = None
    peak: _PARAM = None
    mean: _PARAM = None
    sd: _PARAM = None
    meanlog: _PARAM = None
    sdlog: _PARAM = None
    reason: str = ""

    @model_validator(mode="after")
    def _its_parameters(self):
        keys = DISTRIBUTIONS[self.dist][1]
        for k in self.model_fields_set - {"dist", "reason", *keys}:
            raise ValueAt(k, f"is not a parameter of {self.dist} (it has {', '.join(keys)})")
        for k in keys:
            v = getattr(self, k)
            if v is None:
                raise ValueAt(k, "is required but missing")
            if v == "rules" and k != CENTRE.get(self.dist):
                raise ValueAt(k, "must be a number", v)
        return self


class _Report(FileModel):
    tornado_strategy: str | None = None


class _Projection(FileModel):
    #: the national model, relative to the spec (default: the shipped one)
    national: str | None = None
    strategies: list[str] | None = None
    admissions: whole(1) = 20_000
    replications: whole(1) = 2


class SpecFile(FileModel):
    """A sweep spec, declared: one model per table (see each table's class)."""

    sweep: _Sweep
    strategies: _Strategies
    design: _Design = _Design()
    assumptions: dict[str, _Distribution] = {}
    report: _Report = _Report()
    projection: _Projection | None = None

    @model_validator(mode="after")
    def _across_tables(self):
        names = self.strategies.expanded()
        if self.design.method == "sobol" and len(self.assumptions) < 2:
            raise ValueAt("assumptions", "a Sobol design needs at least two assumptions")
        if self.tornado_strategy() not in names:
            raise ValueAt(
                "report.tornado_strategy", "must be one of the strategies", self.tornado_strategy()
            )
        proj = self.projection
        bad = [ALIASES.get(s, s) for s in (proj.strategies or [])] if proj else []
        bad = [s for s in bad if s not in names]
        if bad:
            raise ValueAt("projection.strategies", "must be among the sweep's strategies", bad[0])
        return self

    def tornado_strategy(self) -> str:
        given = self.report.tornado_strategy
        return self.strategies.expanded()[-1] if given is None else ALIASES.get(given, given)


def _assumption(label: str, name: str, d: _Distribution, rules) -> Assumption:
    """One assumption read against the rules: a parameter they let a sweep vary, its "rules"
    centre replaced by their value, its shape checked, its ends within the declared range."""
    w = f"assumptions.{name}"
    try:
        assumable = scenario.check_assumable(rules, name)
    except UsageError as exc:
        raise SpecError(label, w, f"cannot be varied: {exc}") from None
    keys = DISTRIBUTIONS[d.dist][1]
    p = {}
    for k in keys:
        v = getattr(d, k)
        if v == "rules":
            v = float(np.log(assumable.value)) if d.dist == "lognormal" else assumable.value
        p[k] = float(v)
    if "low" in p and not p["low"] < p["high"]:
        raise SpecError(label, f"{w}.high", f"must be above low ({p['low']})", p["high"])
    if d.dist == "triangular" and not p["low"] <= p["peak"] <= p["high"]:
        raise SpecError(label, f"{w}.peak", "must lie between low and high", p["peak"])
    for k in ("sd", "sdlog"):
        if k in p and p[k] <= 0:
            raise SpecError(label, f"{w}.{k}", "must be positive", p[k])
    if "low" in p:
        _within(label, w, rules, assumable, p["low"], p["high"])
    return Assumption(name, d.dist, tuple(p.values()), d.reason)


def _within(label: str, where: str, rules, a: scenario.Assumable, low: float, high: float):
    """A bounded distribution must lie in the parameter's declared range (``ranges`` in the
    rules file) and both its ends must pass the rules loader's checks (a probability in 0-1)."""
    if a.low is not None and (low < a.low or high > a.high):
        raise SpecError(
            label,
            where,
            f"must lie within its range {a.low} to {a.high} (`ranges` in {rules.path})",
            [low, high],
        )
    for end, v in (("low", low), ("high", high)):
        try:
            scenario.with_assumptions(rules, {a.name: v})
        except UsageError as exc:
            raise SpecError(label, f"{where}.{end}", f"is refused by the rules: {exc}") from None


def load_sweep_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep spec (:class:`SpecFile`, then its assumptions against the
    release rules it names).

    Raises
    ------
    SpecError
        Naming the file, key and value (unknown keys, bad strategies, bad distributions).
    """
    data, label = read_toml(path, "", "")
    m = parse(SpecFile, data, label)
    here = Path(path).parent
    rules = None if m.sweep.rules is None else str((here / m.sweep.rules).resolve())
    rules_obj = scenario.load_rules(rules)
    assumptions = tuple(_assumption(label, k, d, rules_obj) for k, d in m.assumptions.items())
    proj = None
    if m.projection is not None:
        # as given (defaults are the projection's own), paths resolved, aliases applied
        proj = m.projection.model_dump(exclude_unset=True)
        if "national" in proj:
            proj["national"] = str((here / proj["national"]).resolve())
        if "strategies" in proj:
            proj["strategies"] = [ALIASES.get(s, s) for s in proj["strategies"]]
    sw, de = m.sweep, m.design
    return SweepSpec(
        path=label,
        seed=sw.seed,
        replications=sw.replications,
        admissions=sw.admissions,
        populations=sw.populations,
        partition_size=sw.partition_size,
        cohort_seed=sw.cohort_seed,
        rules=rules,
        strategies=tuple(m.strategies.expanded()),
        method=de.method,
        base_samples=de.base_samples,
        conf_level=float(de.conf_level),
        resamples=de.resamples,
        assumptions=assumptions,
        tornado_strategy=m.tornado_strategy(),
        projection=proj,
    )


__all__ = ["OUTCOMES", "Assumption", "SweepSpec", "load_sweep_spec"]
