"""The sweep spec (TOML): strategies and grids, assumption distributions, flow size, seed.

See ``docs/sweeps.md`` for the format and ``papers/recall_process_experience/sweep_example.toml``
for an example. Unknown keys are refused (:func:`toolkit.datafiles.check_keys`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.datafiles import check_keys, read_toml
from toolkit.defaults import DEFAULT_SEED
from toolkit.exceptions import SpecError, ToolkitError, UsageError
from toolkit.schema import RECALL_TYPES
from toolkit.sweep import scenario
from toolkit.sweep.scenario import OUTCOMES, check_strategy

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


def _int(label, table, where, key, default, lo=1):
    v = table.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        raise SpecError(label, f"{where}.{key}", f"must be a whole number >= {lo}", v)
    return v


def _expand(label: str, grid: dict) -> list[str]:
    """``{"proactive": {"every": [14, 28]}}`` -> ``["proactive:every=14", ...]``."""
    out = []
    for name, params in grid.items():
        if not isinstance(params, dict) or not params:
            raise SpecError(
                label, f"strategies.grid.{name}", "must be a table of parameter = [values]"
            )
        keys = list(params)
        lists = []
        for k in keys:
            vals = params[k] if isinstance(params[k], list) else [params[k]]
            if not vals:
                raise SpecError(label, f"strategies.grid.{name}.{k}", "must list values")
            lists.append(vals)
        for combo in itertools.product(*lists):
            out.append(f"{name}:" + ",".join(f"{k}={v}" for k, v in zip(keys, combo)))
    return out


#: The key that centres each distribution: ``"rules"`` there means the value in the rules file
#: (the stored calibrated value for ``calibrated.*``), read when the spec is loaded, so a refit
#: recentres the prior without editing the spec.
CENTRE = {"triangular": "peak", "normal": "mean", "truncnormal": "mean", "lognormal": "meanlog"}


#: Strategy names accepted in a spec and the name outputs use for them (as ``simulate``).
ALIASES = {"sed": "board_only"}


def _assumption(label: str, name: str, blk, rules_path: str | None = None) -> Assumption:
    w = f"assumptions.{name}"
    rules = scenario.load_rules(rules_path)
    try:
        assumable = scenario.check_assumable(rules, name)
    except UsageError as exc:
        raise SpecError(label, w, f"cannot be varied: {exc}") from None
    if not isinstance(blk, dict):
        raise SpecError(label, w, 'must be a table like {dist = "uniform", low = 0, high = 1}')
    dist = blk.get("dist")
    if dist not in DISTRIBUTIONS:
        raise SpecError(label, f"{w}.dist", f"must be one of {', '.join(DISTRIBUTIONS)}", dist)
    keys = DISTRIBUTIONS[dist][1]
    check_keys(blk, ("dist", "reason", *keys), label, w, required=keys)
    vals = []
    for k in keys:
        v = blk[k]
        if v == "rules" and k == CENTRE.get(dist):
            v = assumable.value
            if dist == "lognormal":
                v = float(np.log(v))
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            hint = ' or "rules" (the rules file\'s value)' if k == CENTRE.get(dist) else ""
            raise SpecError(label, f"{w}.{k}", f"must be a number{hint}", v)
        vals.append(float(v))
    p = dict(zip(keys, vals))
    if "low" in p and not p["low"] < p["high"]:
        raise SpecError(label, f"{w}.high", f"must be above low ({p['low']})", p["high"])
    if dist == "triangular" and not p["low"] <= p["peak"] <= p["high"]:
        raise SpecError(label, f"{w}.peak", "must lie between low and high", p["peak"])
    for k in ("sd", "sdlog"):
        if k in p and p[k] <= 0:
            raise SpecError(label, f"{w}.{k}", "must be positive", p[k])
    if "low" in p:
        _within(label, w, rules, assumable, p["low"], p["high"])
    return Assumption(name, dist, tuple(vals), str(blk.get("reason", "")))


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
    """Read and validate a sweep spec.

    Raises
    ------
    SpecError
        Naming the file, key and value (unknown keys, bad strategies, bad distributions).
    """
    data, label = read_toml(path, "", "")
    check_keys(
        data,
        ("sweep", "strategies", "design", "assumptions", "report", "projection"),
        label,
        required=("sweep", "strategies"),
    )
    sw = data["sweep"]
    check_keys(
        sw,
        (
            "seed",
            "replications",
            "admissions",
            "populations",
            "partition_size",
            "cohort_seed",
            "rules",
        ),
        label,
        "sweep",
        required=("seed",),
    )
    seed = _int(label, sw, "sweep", "seed", 0, lo=0)
    pops = sw.get("populations", ["standard"])
    if not isinstance(pops, list) or not pops or any(p not in RECALL_TYPES for p in pops):
        raise SpecError(
            label, "sweep.populations", f"must list recall types ({', '.join(RECALL_TYPES)})", pops
        )
    rules = sw.get("rules")
    if rules is not None:
        rules = str((Path(path).parent / rules).resolve())
    st = data["strategies"]
    check_keys(st, ("names", "grid"), label, "strategies")
    names = list(st.get("names", []))
    names += _expand(label, st.get("grid", {}))
    # outputs name a strategy for what it does: `sed` is accepted, written as board_only
    names = [ALIASES.get(n, n) for n in names]
    if not names:
        raise SpecError(label, "strategies", "must name at least one strategy")
    if len(set(names)) != len(names):
        dup = next(s for s in names if names.count(s) > 1)
        raise SpecError(label, "strategies", "names a strategy twice", dup)
    for s in names:
        try:
            check_strategy(s)
        except ToolkitError as exc:
            raise SpecError(label, "strategies", str(exc), s) from None
    de = data.get("design", {})
    check_keys(de, ("method", "base_samples", "conf_level", "resamples"), label, "design")
    method = de.get("method", "sobol")
    if method not in METHODS:
        raise SpecError(label, "design.method", f"must be one of {', '.join(METHODS)}", method)
    base = _int(label, de, "design", "base_samples", 16)
    conf = de.get("conf_level", 0.95)
    if isinstance(conf, bool) or not isinstance(conf, float) or not 0 < conf < 1:
        raise SpecError(label, "design.conf_level", "must be a number between 0 and 1", conf)
    assumptions = tuple(
        _assumption(label, k, v, rules) for k, v in data.get("assumptions", {}).items()
    )
    if method == "sobol" and len(assumptions) < 2:
        raise SpecError(label, "assumptions", "a Sobol design needs at least two assumptions")
    rep = data.get("report", {})
    check_keys(rep, ("tornado_strategy",), label, "report")
    tornado = ALIASES.get(rep.get("tornado_strategy"), rep.get("tornado_strategy", names[-1]))
    if tornado not in names:
        raise SpecError(label, "report.tornado_strategy", "must be one of the strategies", tornado)
    proj = data.get("projection")
    if proj is not None:
        check_keys(
            proj,
            ("national", "strategies", "admissions", "replications"),
            label,
            "projection",
        )
        proj = dict(proj)
        if "national" in proj:
            proj["national"] = str((Path(path).parent / proj["national"]).resolve())
        if "strategies" in proj:
            proj["strategies"] = [ALIASES.get(s, s) for s in proj["strategies"]]
        bad = [s for s in proj.get("strategies", []) if s not in names]
        if bad:
            raise SpecError(
                label, "projection.strategies", "must be among the sweep's strategies", bad[0]
            )
        _int(label, proj, "projection", "admissions", 20_000)
        _int(label, proj, "projection", "replications", 2)
    return SweepSpec(
        path=label,
        seed=seed,
        replications=_int(label, sw, "sweep", "replications", 10),
        admissions=_int(label, sw, "sweep", "admissions", 10_000),
        populations=tuple(pops),
        partition_size=_int(label, sw, "sweep", "partition_size", 16),
        cohort_seed=_int(label, sw, "sweep", "cohort_seed", DEFAULT_SEED, lo=0),
        rules=rules,
        strategies=tuple(names),
        method=method,
        base_samples=base,
        conf_level=float(conf),
        resamples=_int(label, de, "design", "resamples", 100),
        assumptions=assumptions,
        tornado_strategy=tornado,
        projection=proj,
    )


__all__ = ["OUTCOMES", "Assumption", "SweepSpec", "load_sweep_spec"]
