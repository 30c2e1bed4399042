"""Load and validate a profile spec: the published figures a cohort must meet, with provenance.

A profile lives in ``papers/<source>/profile.toml``. It holds

* ``[[targets]]``: every published figure, each with its document, table or figure, quoted text,
  printed value and precision, population and N;
* ``[[claims]]``: the paper's qualitative comparisons that a cohort can be tested against;
* ``[assumptions]``: everything the generator needs that the sources do not give, each block with
  a ``reason``;
* ``[derived]``: figures computed from published ones (e.g. item denominators implied by the raw
  chart values), each with its method;
* ``[[resolutions]]``: how each finding of the consistency audit is resolved.

:func:`load_profile` validates the file once and returns a frozen :class:`ProfileSpec`; nothing
downstream re-checks it.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from toolkit.datafiles import check_keys
from toolkit.exceptions import SpecError
from toolkit.schema import (
    ETHNICITIES,
    GROUPS,
    INDEX_OFFENCE_GROUPS,
    INDEX_OFFENCES,
    MEAN_VARIABLES,
    NEED_ITEMS,
    OFFENCE_TO_GROUP,
    OPEN_CATEGORICALS,
    POPULATIONS,
    RECALL_TYPES,
    SHARE_VARIABLES,
    SPREAD_VARIABLES,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

DEFAULT_SOURCE = "recall_process_experience"
_NUMBER = re.compile(r"\d+(?:\.\d+)?")

#: Population labels a target may use. ``national_2016`` and ``case_review`` are context figures
#: about other populations (not the 2014 census) and are never evaluated on a cohort.
TARGET_POPULATIONS = (*GROUPS, "national_2016", "case_review")
STATISTICS = ("mean", "share", "count", "max_share", "median", "sd")
#: Keys each section of a profile may hold (anything else is refused with the nearest name).
TARGET_KEYS = (
    "id",
    "population",
    "variable",
    "statistic",
    "category",
    "value",
    "printed",
    "decimals",
    "document",
    "title",
    "locator",
    "quote",
    "line",
    "n",
    "approximate",
    "note",
    "tolerance",
)
CLAIM_KEYS = (
    "id",
    "text",
    "variable",
    "group",
    "reference",
    "direction",
    "test",
    "line",
    "category",
    "note",
)
RESOLUTION_KEYS = ("finding", "action", "note", "targets", "role")
TOP_KEYS = ("meta", "targets", "claims", "assumptions", "derived", "resolutions", "variables")
#: Keys of a ``[variables.<name>]`` table: the variable's categories (new ones after the
#: defaults), for ``index_offence_group`` the OGRS3 offences of each new group, and why.
VARIABLE_KEYS = ("categories", "members", "reason", "note")
_CATEGORY_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
META_KEYS = (
    "spec_version",
    "source_id",
    "document",
    "title",
    "authors",
    "publisher",
    "census_date",
    "population_description",
    "population_line",
    "inherited",
    "programme_figures",
)
ASSUMPTION_KEYS: dict[str, tuple[str, ...]] = {
    "fidelity": ("approximate_tolerance_points",),
    "age": ("lower", "upper", "sigma"),
    "career": ("min_age_first_sanction", "sigma"),
    "previous_breaches": ("sigma",),
    "previous_sanctions": ("sigma",),
    "scores": ("ogrs4v_2yr", "osp_2yr", "rsr_2yr"),
    "rosh": (
        "very_high_share_of_high_or_very_high",
        "medium_share_of_low_or_medium",
        "offence_shift",
    ),
    "sex": ("male_share",),
    "ethnicity": ("white_share", "non_white_split"),
    "recall_reason": ("same_mix_in_every_recall_type",),
    "index_offence": ("group_shares", "within_group"),
    "days_on_recall": (*RECALL_TYPES, "over_12m_mean_excess_days"),
    "days_to_sed": ("share_1yr_plus", "over_1yr_mean_excess_days"),
    "oasys": ("coverage", "coverage_default"),
    "need_items": ("threshold_gap", "loading"),
    "need_domains": ("max_domains", "sigma", "loading"),
    "correlation": ("latents", "matrix"),
    "unpublished": ("means",),
}
#: Statistics the generator constructs, per kind of variable. Anything else is refused at load.
#: ``max_share`` is the largest share of one offence within a printed offence group.
GENERATED_COUNTS = ("n", "has_oasys")
ROLES = ("target", "context", "superseded", "unmeetable", "approximate")

#: Plausible ranges for a published mean, used to reject typos ("322" for 32.2).
MEAN_RANGES: dict[str, tuple[float, float]] = {
    "age": (10, 100),
    "years_since_first_sanction": (0, 90),
    "previous_breaches": (0, 100),
    "ogrs3_2yr": (0, 100),
    "ogrs4v_2yr": (0, 100),
    "osp_2yr": (0, 100),
    "rsr_2yr": (0, 100),
    "need_domains": (0, 10),
    **{item: (0, 2) for item in NEED_ITEMS},
}

LATENTS = (
    "age",
    "career",
    "breaches",
    "sanction_rate",
    "ogrs4v",
    "osp",
    "rsr",
    "rosh",
    "need",
    "recall_time",
    "sed_time",
)


@dataclass(frozen=True)
class Target:
    """One published figure and its provenance.

    Attributes
    ----------
    id : str
        Stable identifier, e.g. ``appendix.age.standard``.
    population : str
        Population or group the figure describes (see :data:`toolkit.schema.GROUPS`).
    variable : str
        Cohort column (or derived quantity) the figure is about.
    statistic : str
        ``mean``, ``share`` (percent), ``count`` or ``max_share``.
    value : float
        The printed value as a number.
    printed : str
        The characters printed in the source.
    decimals : int
        Printed precision; the synthetic figure must round to the same value.
    """

    id: str
    population: str
    variable: str
    statistic: str
    value: float
    printed: str
    decimals: int
    document: str
    title: str
    locator: str
    quote: str
    line: int | None = None
    n: int | None = None
    category: str | None = None
    approximate: bool = False
    note: str = ""
    role: str = "target"
    tolerance: float | None = None

    @property
    def half_unit(self) -> float:
        """Half a unit of the printed precision: the rounding interval's half-width."""
        return 0.5 * 10.0 ** (-self.decimals)

    @property
    def source(self) -> str:
        """Short provenance string: document, locator and line."""
        where = f", line {self.line}" if self.line else ""
        return f"{self.document} {self.locator}{where}"


@dataclass(frozen=True)
class Claim:
    """A qualitative comparison printed in a source (e.g. standard recalls are younger)."""

    id: str
    text: str
    variable: str
    group: str
    reference: str
    direction: str
    test: str
    line: int | None = None
    category: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Resolution:
    """How one audit finding is resolved in this spec."""

    finding: str
    action: str
    note: str
    targets: tuple[str, ...] = ()
    role: str | None = None


@dataclass(frozen=True)
class ProfileSpec:
    """A validated, immutable profile spec.

    Use :func:`load_profile` to build one. Mappings are read-only views.
    """

    path: str
    sha256: str
    meta: Mapping[str, Any]
    targets: tuple[Target, ...]
    claims: tuple[Claim, ...]
    assumptions: Mapping[str, Any]
    derived: Mapping[str, Any]
    resolutions: tuple[Resolution, ...]
    _by_id: Mapping[str, Target] = field(repr=False, default_factory=dict, compare=False)
    _sizes: Mapping[str, int] = field(repr=False, default_factory=dict, compare=False)
    #: Variable -> its full category list where ``[variables.<name>]`` declares new categories
    #: (the defaults first, then the new ones in declaration order).
    variables: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: OGRS3 offence -> ``index_offence_group`` (the schema's mapping, with the offences that
    #: ``[variables.index_offence_group] members`` moves to a new group).
    offence_groups: Mapping[str, str] = field(default_factory=lambda: OFFENCE_TO_GROUP)

    def share_categories(self, variable: str) -> tuple[str, ...] | None:
        """Categories a share of ``variable`` may name (None: shares of it are not generated)."""
        return self.variables.get(variable) or SHARE_VARIABLES.get(variable)

    def group_members(self, group: str) -> tuple[str, ...]:
        """OGRS3 offences (``index_offence`` categories) in an ``index_offence_group``."""
        return tuple(o for o in INDEX_OFFENCES if self.offence_groups[o] == group)

    @property
    def categories(self) -> Mapping[str, tuple[str, ...]]:
        """Categories of each categorical cohort column this profile can describe.

        The schema's lists (sex, ethnicity, recall reason, index offence group) with any
        categories the profile declares in ``[variables.<name>]`` appended, in declaration
        order, so codes of the default categories never move.
        """
        out = {v: SHARE_VARIABLES[v] for v in ("sex", "ethnicity", "recall_reason")}
        out["index_offence_group"] = INDEX_OFFENCE_GROUPS
        out.update(self.variables)
        return MappingProxyType(out)

    def target(self, target_id: str) -> Target:
        """Return the target with this id (``KeyError`` naming the id if absent)."""
        try:
            return self._by_id[target_id]
        except KeyError:
            raise KeyError(f"{self.path}: no target with id {target_id!r}") from None

    def has_target(self, target_id: str) -> bool:
        """Whether a target with this id exists."""
        return target_id in self._by_id

    @property
    def populations(self) -> tuple[str, ...]:
        """Populations the profile describes, in schema order.

        A recall type is in the profile when the profile prints its N (a ``count`` of ``n``);
        the rest of the sentenced population when All prisoners is printed and exceeds All
        recalled.
        """
        pops = [p for p in RECALL_TYPES if p in self._sizes]
        if "other_sentenced" in self._sizes:
            pops.append("other_sentenced")
        return tuple(pops)

    def population_n(self, population: str) -> int:
        """Published N of a population or group (a group sums the populations it holds)."""
        if population in self._sizes:
            return int(self._sizes[population])
        members = [p for p in GROUPS.get(population, ()) if p in self._sizes]
        if not members:
            raise KeyError(f"{self.path}: no published N for population {population!r}")
        return int(sum(self._sizes[p] for p in members))

    def resolution_for(self, finding: str) -> Resolution | None:
        """The spec's resolution of an audit finding, or ``None`` if unresolved."""
        for r in self.resolutions:
            if r.finding == finding:
                return r
        return None


def default_profile_path() -> Path:
    """Path of the default profile shipped with the package (works from a wheel too)."""
    res = resources.files("toolkit.papers") / DEFAULT_SOURCE / "profile.toml"
    return Path(str(res))


def _freeze(obj: Any) -> Any:
    if isinstance(obj, dict):
        return MappingProxyType({k: _freeze(v) for k, v in obj.items()})
    if isinstance(obj, list):
        return tuple(_freeze(v) for v in obj)
    return obj


class _Checker:
    """Small helper that raises :class:`SpecError` with the file, key and value."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, key: str, message: str, value: object = ...) -> None:
        raise SpecError(self.path, key, message, value)

    def get(self, table: Mapping, key: str, where: str, kinds: tuple[type, ...], what: str):
        if key not in table:
            self.fail(f"{where}.{key}", f"is required ({what})")
        value = table[key]
        if isinstance(value, bool) and bool not in kinds:
            self.fail(f"{where}.{key}", f"must be {what}", value)
        if not isinstance(value, kinds):
            self.fail(f"{where}.{key}", f"must be {what}", value)
        return value

    def number(self, table: Mapping, key: str, where: str, lo: float, hi: float):
        v = self.get(table, key, where, (int, float), f"a number between {lo} and {hi}")
        if not (lo <= v <= hi) or not math.isfinite(v):
            self.fail(f"{where}.{key}", f"must be a number between {lo} and {hi}", v)
        return float(v)


def load_profile(path: str | Path | None = None) -> ProfileSpec:
    """Load and validate a profile spec.

    Parameters
    ----------
    path : str or Path, optional
        A ``profile.toml``. Defaults to the shipped profile of the research summary
        "Understanding the process and experience of recall to prison".

    Returns
    -------
    ProfileSpec
        Frozen, validated spec.

    Raises
    ------
    SpecError
        If the file is missing, not TOML, or any entry breaks a rule; the message names the file,
        the key, the value and what was expected.

    Examples
    --------
    >>> spec = load_profile()
    >>> age = [t for t in spec.targets if (t.variable, t.statistic, t.population)
    ...        == ("age", "mean", "standard")]
    >>> spec.target(age[0].id).value
    32.2
    >>> spec.population_n("other_sentenced")
    59369
    """
    p = Path(path) if path is not None else default_profile_path()
    label = str(path) if path is not None else f"<default>/{DEFAULT_SOURCE}/profile.toml"
    try:
        raw_bytes = p.read_bytes()
    except OSError as exc:
        raise SpecError(label, "(file)", f"cannot be read ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(label, "(file)", f"is not valid TOML: {exc}") from None
    if path is not None:
        data = _inherit_defaults(data)
    return _build_spec(label, hashlib.sha256(raw_bytes).hexdigest(), data)


def _inherit_defaults(data: dict) -> dict:
    """Fill the generator's assumptions (and audit resolutions) a user's profile leaves out.

    A profile may hold only published figures (``[meta]``, ``[[targets]]``, ``[[claims]]``);
    the ``[assumptions]`` then come from the default profile, and those audit
    ``[[resolutions]]`` that name target ids the user's profile has. ``[derived]`` is never
    inherited: the toolkit derives what it needs from the profile's own figures.
    ``meta.inherited`` says what was inherited.
    """
    missing = [k for k in ("assumptions", "resolutions") if k not in data]
    if not missing or not isinstance(data.get("targets"), list):
        return data
    default = tomllib.loads(default_profile_path().read_text(encoding="utf-8"))
    mine = {t.get("id"): t for t in data["targets"] if isinstance(t, dict)}
    theirs = {t.get("id"): t for t in default.get("targets", []) if isinstance(t, dict)}
    out = dict(data)
    for key in missing:
        value = default.get(key)
        if key == "resolutions":
            # only resolutions of the very figures the default resolves (same id, value,
            # population, category and document): their notes quote the default paper's
            # numbers, which would mislabel another profile's findings; for the rest the
            # audit derives its own resolution in this profile's numbers, or asks for one
            value = [
                r
                for r in value or []
                if r.get("targets")
                and all(_same_figure(mine.get(t), theirs.get(t)) for t in r["targets"])
            ]
        out[key] = value
    if isinstance(out.get("meta"), dict):
        out["meta"] = {
            **out["meta"],
            "inherited": [f"{k} (from the default profile)" for k in missing],
        }
    return out


def _same_figure(a: Any, b: Any) -> bool:
    """Whether two raw ``[[targets]]`` tables are the same published figure."""
    keys = ("population", "variable", "statistic", "category", "value", "document")
    return isinstance(a, dict) and isinstance(b, dict) and all(a.get(k) == b.get(k) for k in keys)


def _sizes(ck: _Checker, targets: list[Target]) -> dict[str, int]:
    """Population sizes from the profile's ``count`` figures of ``n`` (no id is needed)."""
    sizes: dict[str, int] = {}
    groups: dict[str, int] = {}
    for t in targets:
        if t.variable != "n" or t.statistic != "count" or t.role not in ("target", "approximate"):
            continue
        if t.population in RECALL_TYPES:
            if t.population in sizes and sizes[t.population] != int(t.value):
                ck.fail(
                    f"targets[id={t.id}].value",
                    f"gives another N for {t.population} than an earlier figure "
                    f"({sizes[t.population]:,})",
                    t.value,
                )
            sizes[t.population] = int(t.value)
        elif t.population in ("all_recalled", "all_prisoners", "other_sentenced"):
            groups.setdefault(t.population, int(t.value))
    if not sizes and "all_recalled" in groups:
        ck.fail(
            "targets",
            "must give the N of each recall type it describes (a count of `n` per recall type, "
            'e.g. population = "standard"); only All recalled is given',
        )
    if not sizes:
        ck.fail("targets", "must include a population size: a count of `n` for a recall type")
    rec = sum(sizes.values())
    if "all_recalled" in groups and groups["all_recalled"] != rec:
        # a printed total that differs from the rows is an audit finding, not a load error
        pass
    if "all_prisoners" in groups:
        other = groups["all_prisoners"] - groups.get("all_recalled", rec)
        if other <= 0:
            ck.fail(
                "targets[population=all_prisoners].value",
                "must exceed All recalled (All prisoners includes the recalled)",
                groups["all_prisoners"],
            )
        sizes["other_sentenced"] = other
    elif "other_sentenced" in groups:
        sizes["other_sentenced"] = groups["other_sentenced"]
    return sizes


def _parse_variables(ck: _Checker, raw: Any) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """``[variables.<name>]``: categories a profile adds to a categorical variable.

    Only the variables in :data:`toolkit.schema.OPEN_CATEGORICALS` (and
    ``index_offence_group``, whose new groups must list their OGRS3 offences in ``members``)
    take new categories. Returns the full category lists (defaults first) and the offence ->
    group mapping.
    """
    offence_groups = dict(OFFENCE_TO_GROUP)
    if not isinstance(raw, dict):
        ck.fail("variables", "must be a table of [variables.<name>] tables", raw)
    open_vars = (*OPEN_CATEGORICALS, "index_offence_group")
    out: dict[str, tuple[str, ...]] = {}
    for name, blk in raw.items():
        w = f"variables.{name}"
        if name not in open_vars:
            if name in SHARE_VARIABLES or name in MEAN_VARIABLES:
                ck.fail(
                    w,
                    f"takes no new categories (its categories are fixed: the generator builds "
                    f"them by rule); variables that do: {', '.join(open_vars)}",
                )
            near = difflib.get_close_matches(str(name), open_vars, n=1)
            hint = f" (did you mean `{near[0]}`?)" if near else ""
            ck.fail(w, f"is not a known key{hint}")
        if not isinstance(blk, dict):
            ck.fail(w, "must be a table with `categories`", blk)
        check_keys(blk, VARIABLE_KEYS, ck.path, w, required=("categories",))
        cats = blk["categories"]
        if not isinstance(cats, list) or not cats or not all(isinstance(c, str) for c in cats):
            ck.fail(f"{w}.categories", "must be a non-empty list of category names", cats)
        defaults = OPEN_CATEGORICALS.get(name, INDEX_OFFENCE_GROUPS)
        for c in cats:
            if not _CATEGORY_NAME.match(c):
                ck.fail(f"{w}.categories", "names must be lower_snake_case", c)
        if len(set(cats)) != len(cats):
            dup = next(c for c in cats if cats.count(c) > 1)
            ck.fail(f"{w}.categories", "lists a category twice", dup)
        new = [c for c in cats if c not in defaults]
        out[name] = (*defaults, *new)
        members = blk.get("members", {})
        if name != "index_offence_group":
            if members:
                ck.fail(f"{w}.members", "is only for index_offence_group")
            continue
        if not isinstance(members, dict):
            ck.fail(f"{w}.members", "must be a table group -> list of OGRS3 offences", members)
        for g in new:
            if g not in members:
                ck.fail(
                    f"{w}.members.{g}",
                    "is required: a new offence group lists the OGRS3 offences it holds "
                    f"(of {', '.join(INDEX_OFFENCES)})",
                )
        for g, offs in members.items():
            if g not in new:
                ck.fail(f"{w}.members.{g}", "names no new category of this variable", g)
            if not isinstance(offs, list) or not offs:
                ck.fail(f"{w}.members.{g}", "must be a non-empty list of OGRS3 offences", offs)
            for o in offs:
                if o not in INDEX_OFFENCES:
                    near = difflib.get_close_matches(str(o), INDEX_OFFENCES, n=1)
                    hint = f" (did you mean `{near[0]}`?)" if near else ""
                    ck.fail(f"{w}.members.{g}", f"is not an OGRS3 offence{hint}", o)
                if offence_groups[o] in new:
                    ck.fail(f"{w}.members.{g}", "lists an offence another group holds", o)
                offence_groups[o] = g
        for g in out[name]:
            if g not in offence_groups.values():
                ck.fail(f"{w}.members", f"leaves group `{g}` with no offence", g)
    return out, offence_groups


def _check_generated(
    ck: _Checker,
    t: Target,
    sizes: Mapping[str, int],
    targets: list[Target],
    categories: Mapping[str, tuple[str, ...]],
) -> None:
    """Refuse, at load, a figure the generator cannot construct (it would be judged unmade)."""
    w = f"targets[id={t.id}]"
    if t.role == "context" or t.population not in GROUPS:
        return
    if not any(p in sizes for p in GROUPS[t.population]):
        ck.fail(
            f"{w}.population",
            f"describes {t.population}, but the profile gives no N for any population in it: "
            f'add a [[targets]] figure with population = {t.population!r}, variable = "n", '
            'statistic = "count" and its N (an N is never taken from another profile)',
            t.population,
        )
    why = None
    if t.statistic == "count":
        if t.variable not in ("n", "has_oasys"):
            why = "counts of `n` (population size) and `has_oasys` are generated"
    elif t.statistic == "share":
        cats = categories.get(t.variable)
        if cats is None:
            why = f"shares are generated for {', '.join(SHARE_VARIABLES)}"
        elif t.category not in cats:
            near = difflib.get_close_matches(str(t.category), cats, n=1)
            hint = f" (did you mean `{near[0]}`?)" if near else ""
            new = (
                f"; a new category is declared in [variables.{t.variable}] categories"
                if t.variable in (*OPEN_CATEGORICALS, "index_offence_group")
                else ""
            )
            ck.fail(
                f"{w}.category",
                f"is not a category of {t.variable}{hint}; expected one of {', '.join(cats)}" + new,
                t.category,
            )
    elif t.statistic == "mean":
        if t.variable not in MEAN_VARIABLES:
            why = f"means are generated for {', '.join(MEAN_VARIABLES)}"
    elif t.statistic == "max_share":
        if t.variable != "index_offence_group" or t.category not in categories.get(
            "index_offence_group", INDEX_OFFENCE_GROUPS
        ):
            why = "max_share is generated only for one offence within an index_offence_group"
    elif t.statistic in ("sd", "median"):
        why = _spread_refusal(t, targets)
    if why:
        ck.fail(
            f"{w}",
            f"is a {t.statistic} of {t.variable!r}, which the generator cannot produce: {why}",
        )


def _spread_refusal(t: Target, targets: list[Target]) -> str | None:
    """Why a median or SD cannot be generated, or ``None`` when it can.

    Person-level variables may describe any population or group. OASys items and
    ``need_domains`` are built for the people whose OASys figures are printed together (the
    populations or groups of the profile's OASys means and ``has_oasys`` counts), so their
    medians and SDs must describe one of those.
    """
    what = "medians" if t.statistic == "median" else "standard deviations"
    if t.variable not in SPREAD_VARIABLES:
        if t.variable in ("ogrs3_2yr", "years_since_first_sanction"):
            return (
                f"{what} of {t.variable} are not generated: it is computed from each person's "
                "record (OGRS3 by the published formula; the career is capped by the person's "
                "age), so only its mean is constructed"
            )
        return f"{what} are generated for {', '.join(SPREAD_VARIABLES)}"
    if MEAN_VARIABLES[t.variable].oasys:

        def oasys(x: Target, stats: tuple[str, ...]) -> bool:
            d = MEAN_VARIABLES.get(x.variable)
            return (
                x.role in ("target", "approximate")
                and x.population in GROUPS
                and x.statistic in stats
                and (x.variable == "has_oasys" or (d is not None and d.oasys))
            )

        units = {x.population for x in targets if oasys(x, ("mean", "count"))}
        if not units:  # no OASys means printed: the medians' and SDs' own groups
            units = {x.population for x in targets if oasys(x, ("median", "sd"))}
        if t.population not in units:
            return (
                f"OASys items are built for the groups whose OASys figures are printed "
                f"({', '.join(sorted(units))}); a {t.statistic} of {t.variable} must describe one"
            )
        for u in sorted(units - {t.population}):
            if set(GROUPS[u]) & set(GROUPS[t.population]):
                return (
                    f"OASys items are built once per group of people, and {t.population} "
                    f"overlaps {u}, another group with OASys figures"
                )
    return None


def _check_fractions(ck: _Checker, targets: list[Target]) -> None:
    """A share written as a fraction (``0.96`` for 96%) is refused with the reason."""
    fams: dict[tuple[str, str], list[Target]] = {}
    for t in targets:
        if t.statistic in ("share", "max_share"):
            fams.setdefault((t.variable, t.population), []).append(t)
            digits = [float(x) for x in _NUMBER.findall(t.printed.replace(",", ""))]
            if 0 < t.value <= 1 and any(abs(d - 100 * t.value) < 1e-6 and d > 1 for d in digits):
                ck.fail(
                    f"targets[id={t.id}].value",
                    f"looks like a fraction: shares are percentages (printed {t.printed!r}; "
                    f"write value = {100 * t.value:g})",
                    t.value,
                )
    for (var, pop), ts in fams.items():
        # whatever `printed` says: shares of one variable summing near 1 rather than near 100
        # are fractions (a zero share is 0 either way)
        if len(ts) >= 2 and all(0 <= t.value <= 1 for t in ts):
            total = sum(t.value for t in ts)
            if 0.9 <= total <= 1.1:
                ck.fail(
                    f"targets[id={ts[0].id}].value",
                    f"looks like a fraction: the shares of {var} for {pop} sum to {total:g}, "
                    "but shares are percentages (0-100); multiply by 100",
                    ts[0].value,
                )


def _build_spec(label: str, sha: str, data: dict) -> ProfileSpec:
    ck = _Checker(label)
    check_keys(data, TOP_KEYS, label)
    meta = data.get("meta")
    if not isinstance(meta, dict):
        ck.fail("meta", "must be a table with the source's document and title")
    check_keys(meta, META_KEYS, label, "meta")
    for key in ("document", "title"):
        ck.get(meta, key, "meta", (str,), "a string")

    variables, offence_groups = _parse_variables(ck, data.get("variables", {}))

    raw_res = data.get("resolutions", [])
    for i, r in enumerate(raw_res):
        if isinstance(r, dict):
            check_keys(r, RESOLUTION_KEYS, label, f"resolutions[{i}]")
    resolutions = tuple(_parse_resolution(ck, i, r) for i, r in enumerate(raw_res))
    role_of: dict[str, str] = {}
    for r in resolutions:
        if r.role:
            for tid in r.targets:
                role_of[tid] = r.role

    raw_targets = data.get("targets")
    if not isinstance(raw_targets, list) or not raw_targets:
        ck.fail("targets", "must be a non-empty array of tables ([[targets]])")
    targets = []
    seen: set[str] = set()
    for i, t in enumerate(raw_targets):
        if isinstance(t, dict):
            where = f"targets[id={t['id']}]" if isinstance(t.get("id"), str) else f"targets[{i}]"
            check_keys(t, TARGET_KEYS, label, where)
        tgt = _parse_target(ck, i, t, role_of)
        if tgt.id in seen:
            ck.fail(f"targets[{i}].id", "must be unique", tgt.id)
        seen.add(tgt.id)
        targets.append(tgt)
    by_id = {t.id: t for t in targets}
    for r in resolutions:
        for tid in r.targets:
            if tid not in by_id:
                ck.fail(f"resolutions[finding={r.finding}].targets", "names an unknown target", tid)
    sizes = _sizes(ck, targets)
    _check_fractions(ck, targets)
    categories = {**SHARE_VARIABLES, **variables}
    for t in targets:
        _check_generated(ck, t, sizes, targets, categories)

    raw_claims = data.get("claims", [])
    for i, c in enumerate(raw_claims):
        if isinstance(c, dict):
            check_keys(c, CLAIM_KEYS, label, f"claims[{i}]")
    claims = tuple(_parse_claim(ck, i, c) for i, c in enumerate(raw_claims))
    assumptions = data.get("assumptions")
    if not isinstance(assumptions, dict):
        ck.fail("assumptions", "must be a table of assumed parameters, each with a reason")
    _check_assumptions(
        ck, assumptions, tuple(sizes), offence_groups, variables.get("ethnicity", ETHNICITIES)
    )
    derived = data.get("derived", {})
    _check_derived(ck, derived, sizes)
    return ProfileSpec(
        path=label,
        sha256=sha,
        meta=_freeze(meta),
        targets=tuple(targets),
        claims=claims,
        assumptions=_freeze(assumptions),
        derived=_freeze(derived),
        resolutions=resolutions,
        _by_id=MappingProxyType(by_id),
        _sizes=MappingProxyType(sizes),
        variables=MappingProxyType(variables),
        offence_groups=MappingProxyType(offence_groups),
    )


def _parse_target(ck: _Checker, i: int, t: Any, role_of: Mapping[str, str]) -> Target:
    if not isinstance(t, dict):
        ck.fail(f"targets[{i}]", "must be a table", t)
    tid = ck.get(t, "id", f"targets[{i}]", (str,), "a string id")
    w = f"targets[id={tid}]"
    pop = ck.get(t, "population", w, (str,), "a population name")
    if pop not in TARGET_POPULATIONS:
        ck.fail(f"{w}.population", f"must be one of {', '.join(TARGET_POPULATIONS)}", pop)
    stat = ck.get(t, "statistic", w, (str,), "a statistic name")
    if stat not in STATISTICS:
        ck.fail(f"{w}.statistic", f"must be one of {', '.join(STATISTICS)}", stat)
    var = ck.get(t, "variable", w, (str,), "a variable name")
    value = ck.get(t, "value", w, (int, float), "a number")
    if not math.isfinite(value):
        ck.fail(f"{w}.value", "must be a finite number", value)
    printed = ck.get(t, "printed", w, (str,), "the printed text as a string")
    decimals = ck.get(t, "decimals", w, (int,), "a whole number of printed decimals")
    if not 0 <= decimals <= 16:
        ck.fail(f"{w}.decimals", "must be between 0 and 16", decimals)
    if stat in ("share", "max_share") and not 0 <= value <= 100:
        ck.fail(f"{w}.value", "must be a percentage between 0 and 100", value)
    if stat == "count" and (value < 0 or float(value) != int(value)):
        ck.fail(f"{w}.value", "must be a non-negative whole number for a count", value)
    if stat == "mean" and var in MEAN_RANGES:
        lo, hi = MEAN_RANGES[var]
        if not lo <= value <= hi:
            ck.fail(f"{w}.value", f"must be between {lo} and {hi} for a mean of {var}", value)
    n = t.get("n")
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n <= 0):
        ck.fail(f"{w}.n", "must be a positive whole number", n)
    line = t.get("line")
    if line is not None and (not isinstance(line, int) or line <= 0):
        ck.fail(f"{w}.line", "must be a positive line number", line)
    tol = t.get("tolerance")
    if tol is not None and (not isinstance(tol, (int, float)) or tol < 0):
        ck.fail(f"{w}.tolerance", "must be a non-negative number", tol)
    role = role_of.get(tid, "target")
    if pop in ("national_2016", "case_review"):
        role = "context"
    elif role == "target" and t.get("approximate", False):
        role = "approximate"
    return Target(
        id=tid,
        population=pop,
        variable=var,
        statistic=stat,
        value=float(value),
        printed=printed,
        decimals=decimals,
        document=ck.get(t, "document", w, (str,), "the seed file name"),
        title=str(t.get("title", "")),
        locator=ck.get(t, "locator", w, (str,), "the table, figure or paragraph"),
        quote=ck.get(t, "quote", w, (str,), "the quoted source text"),
        line=line,
        n=n,
        category=t.get("category"),
        approximate=bool(t.get("approximate", False)),
        note=str(t.get("note", "")),
        role=role,
        tolerance=None if tol is None else float(tol),
    )


def _parse_claim(ck: _Checker, i: int, c: Any) -> Claim:
    if not isinstance(c, dict):
        ck.fail(f"claims[{i}]", "must be a table", c)
    cid = ck.get(c, "id", f"claims[{i}]", (str,), "a string id")
    w = f"claims[id={cid}]"
    for key in ("group", "reference"):
        v = ck.get(c, key, w, (str,), "a population group")
        if v not in GROUPS:
            ck.fail(f"{w}.{key}", f"must be one of {', '.join(GROUPS)}", v)
    direction = ck.get(c, "direction", w, (str,), "'higher' or 'lower'")
    if direction not in ("higher", "lower"):
        ck.fail(f"{w}.direction", "must be 'higher' or 'lower'", direction)
    test = ck.get(c, "test", w, (str,), "'welch_t' or 'chi2'")
    if test not in ("welch_t", "chi2"):
        ck.fail(f"{w}.test", "must be 'welch_t' or 'chi2'", test)
    return Claim(
        id=cid,
        text=ck.get(c, "text", w, (str,), "the quoted claim"),
        variable=ck.get(c, "variable", w, (str,), "a cohort column"),
        group=c["group"],
        reference=c["reference"],
        direction=direction,
        test=test,
        line=c.get("line"),
        category=c.get("category"),
        note=str(c.get("note", "")),
    )


def _parse_resolution(ck: _Checker, i: int, r: Any) -> Resolution:
    if not isinstance(r, dict):
        ck.fail(f"resolutions[{i}]", "must be a table", r)
    finding = ck.get(r, "finding", f"resolutions[{i}]", (str,), "an audit finding id")
    w = f"resolutions[finding={finding}]"
    targets = r.get("targets", [])
    if not isinstance(targets, list) or not all(isinstance(x, str) for x in targets):
        ck.fail(f"{w}.targets", "must be a list of target ids", targets)
    role = r.get("role")
    if role is not None and role not in ROLES:
        ck.fail(f"{w}.role", f"must be one of {', '.join(ROLES)}", role)
    return Resolution(
        finding=finding,
        action=ck.get(r, "action", w, (str,), "a short action name"),
        note=ck.get(r, "note", w, (str,), "an explanation"),
        targets=tuple(targets),
        role=role,
    )


def _check_reason(ck: _Checker, block: Mapping, where: str) -> None:
    reason = block.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        ck.fail(f"{where}.reason", "must say why this assumption was made (a non-empty string)")


def _check_shares(ck: _Checker, shares: Any, where: str, allowed: tuple[str, ...], total: float):
    if not isinstance(shares, dict) or not shares:
        ck.fail(where, f"must be a table of shares over {', '.join(allowed)}", shares)
    for k, v in shares.items():
        if k not in allowed:
            ck.fail(f"{where}.{k}", f"is not a known category (expected one of {allowed})", k)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
            ck.fail(f"{where}.{k}", "must be a non-negative number", v)
    s = sum(shares.values())
    if abs(s - total) > 1e-6:
        ck.fail(where, f"must sum to {total}", round(s, 6))


def _check_assumptions(
    ck: _Checker,
    a: Mapping,
    pops: tuple[str, ...],
    offence_groups: Mapping[str, str],
    ethnicities: tuple[str, ...] = ETHNICITIES,
) -> None:
    """Check the assumption blocks against :data:`ASSUMPTION_KEYS` and the profile's populations.

    Every block the generator reads must be present with a reason; per-population entries are
    required only for the populations the profile describes, and entries for other known
    populations are allowed (a profile may drop a recall type and keep the default blocks).
    """
    check_keys(a, ASSUMPTION_KEYS, ck.path, "assumptions")
    for block, keys in ASSUMPTION_KEYS.items():
        if block == "unpublished" and block not in a:
            continue
        if not isinstance(a.get(block), dict):
            ck.fail(f"assumptions.{block}", "must be a table (the generator needs it)")
        check_keys(a[block], (*keys, "reason"), ck.path, f"assumptions.{block}")
        _check_reason(ck, a[block], f"assumptions.{block}")
    w = "assumptions.age"
    lo = ck.number(a["age"], "lower", w, 10, 100)
    hi = ck.number(a["age"], "upper", w, 10, 120)
    if hi <= lo:
        ck.fail(f"{w}.upper", "must exceed assumptions.age.lower", hi)
    for block, key, lo_, hi_ in (
        ("age", "sigma", 0.01, 5),
        ("career", "min_age_first_sanction", 0, 18),
        ("career", "sigma", 0.01, 5),
        ("previous_breaches", "sigma", 0.01, 5),
        ("previous_sanctions", "sigma", 0.01, 5),
        ("rosh", "very_high_share_of_high_or_very_high", 0, 1),
        ("rosh", "medium_share_of_low_or_medium", 0, 1),
        ("need_items", "threshold_gap", 0.01, 5),
        ("need_items", "loading", 0, 0.99),
        ("need_domains", "max_domains", 1, 20),
        ("need_domains", "sigma", 0.01, 5),
        ("need_domains", "loading", 0, 0.99),
        ("days_on_recall", "over_12m_mean_excess_days", 1, 10000),
        ("days_to_sed", "over_1yr_mean_excess_days", 1, 20000),
    ):
        ck.number(a[block], key, f"assumptions.{block}", lo_, hi_)
    for score in ("ogrs4v_2yr", "osp_2yr", "rsr_2yr"):
        blk = a["scores"].get(score)
        where = f"assumptions.scores.{score}"
        if not isinstance(blk, dict):
            ck.fail(where, "must be a table with sigma and offence_shift")
        check_keys(blk, ("sigma", "offence_shift"), ck.path, where)
        ck.number(blk, "sigma", where, 0.01, 5)
        _check_offence_shift(ck, blk.get("offence_shift", {}), f"{where}.offence_shift")
    _check_offence_shift(ck, a["rosh"].get("offence_shift", {}), "assumptions.rosh.offence_shift")
    for block, key in (("sex", "male_share"), ("ethnicity", "white_share")):
        table = a[block].get(key, {})
        check_keys(table, POPULATIONS, ck.path, f"assumptions.{block}.{key}")
        for pop, v in table.items():
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= 100:
                ck.fail(f"assumptions.{block}.{key}.{pop}", "must be a percentage 0-100", v)
    split = a["ethnicity"].get("non_white_split")
    if split is not None:
        non_white = tuple(c for c in ethnicities if c != "white")
        _check_shares(ck, split, "assumptions.ethnicity.non_white_split", non_white, 1.0)
    off = a["index_offence"]
    all_groups = tuple(dict.fromkeys((*INDEX_OFFENCE_GROUPS, *offence_groups.values())))
    groups = off.get("group_shares", {})
    check_keys(groups, POPULATIONS, ck.path, "assumptions.index_offence.group_shares")
    for pop, shares in groups.items():
        _check_shares(
            ck, shares, f"assumptions.index_offence.group_shares.{pop}", all_groups, 100.0
        )
    within = off.get("within_group", {})
    check_keys(within, all_groups, ck.path, "assumptions.index_offence.within_group")
    for g in all_groups:
        # the mix within a default group is written over its default members; a group that
        # [variables.index_offence_group] changes may list its own (else it is renormalised)
        members = tuple(o for o, gg in OFFENCE_TO_GROUP.items() if gg == g)
        if g not in INDEX_OFFENCE_GROUPS:
            members = tuple(o for o, gg in offence_groups.items() if gg == g)
            if g not in within:
                continue
        if len(members) > 1:
            _check_shares(
                ck, within.get(g), f"assumptions.index_offence.within_group.{g}", members, 1.0
            )
    rr = a["recall_reason"]
    if rr.get("same_mix_in_every_recall_type") is not True:
        ck.fail(
            "assumptions.recall_reason.same_mix_in_every_recall_type",
            "must be true (the only reading published all-recalled shares support)",
        )
    dor = a["days_on_recall"]
    for pop in RECALL_TYPES:
        blk = dor.get(pop)
        if blk is None:
            continue
        where = f"assumptions.days_on_recall.{pop}"
        if not isinstance(blk, dict):
            ck.fail(where, "must be a table with max_days or bands")
        check_keys(blk, ("max_days", "bands"), ck.path, where)
        if "max_days" in blk:
            ck.number(blk, "max_days", where, 1, 36500)
        if "bands" in blk:
            _check_shares(
                ck, blk["bands"], f"{where}.bands", ("under_6m", "6_to_12m", "over_12m"), 100.0
            )
    sed = a["days_to_sed"].get("share_1yr_plus", {})
    check_keys(sed, RECALL_TYPES, ck.path, "assumptions.days_to_sed.share_1yr_plus")
    for pop, v in sed.items():
        if v != "none" and (
            not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= 100
        ):
            ck.fail(
                f"assumptions.days_to_sed.share_1yr_plus.{pop}",
                'must be a percentage 0-100, or "none" (no sentence end date)',
                v,
            )
    cov = a["oasys"].get("coverage", {})
    check_keys(cov, POPULATIONS, ck.path, "assumptions.oasys.coverage")
    for pop, v in cov.items():
        if not isinstance(v, (int, float)) or not 0 <= v <= 1:
            ck.fail(f"assumptions.oasys.coverage.{pop}", "must be a share 0-1", v)
    if "coverage_default" in a["oasys"]:
        ck.number(a["oasys"], "coverage_default", "assumptions.oasys", 0, 1)
    means = a.get("unpublished", {}).get("means", {})
    check_keys(means, MEAN_VARIABLES, ck.path, "assumptions.unpublished.means")
    for var, v in means.items():
        d = MEAN_VARIABLES[var]
        if not isinstance(v, (int, float)) or not d.lower < v < d.upper:
            ck.fail(
                f"assumptions.unpublished.means.{var}",
                f"must be a number between {d.lower:g} and {d.upper:g}",
                v,
            )
    _check_correlation(ck, a["correlation"])


def _check_offence_shift(ck: _Checker, shifts: Any, where: str) -> None:
    if not isinstance(shifts, dict):
        ck.fail(where, "must be a table offence -> shift", shifts)
    check_keys(shifts, INDEX_OFFENCES, ck.path, where)
    for off, v in shifts.items():
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            ck.fail(f"{where}.{off}", "must be a number", v)


def _check_correlation(ck: _Checker, c: Mapping) -> None:
    w = "assumptions.correlation"
    names = c.get("latents")
    if list(names or []) != list(LATENTS):
        ck.fail(f"{w}.latents", f"must list the latents in this order: {list(LATENTS)}", names)
    m = c.get("matrix")
    k = len(LATENTS)
    if (
        not isinstance(m, list)
        or len(m) != k
        or not all(isinstance(r, list) and len(r) == k for r in m)
        or not all(isinstance(x, (int, float)) for r in m for x in r)
    ):
        ck.fail(f"{w}.matrix", f"must be a {k}x{k} array of numbers", m)
    arr = np.asarray(m, dtype=float)
    bad = np.argwhere(np.abs(arr - arr.T) > 1e-12)
    if bad.size:
        i, j = bad[0]
        ck.fail(f"{w}.matrix[{i}][{j}]", f"must equal matrix[{j}][{i}] (symmetric)", arr[i, j])
    if not np.allclose(np.diag(arr), 1.0):
        ck.fail(f"{w}.matrix", "must have 1 on the diagonal", np.diag(arr).tolist())
    if np.any(np.abs(arr) > 1):
        ck.fail(f"{w}.matrix", "entries must lie in [-1, 1]")
    try:
        np.linalg.cholesky(arr)
    except np.linalg.LinAlgError:
        ck.fail(f"{w}.matrix", "must be positive definite (it is not a valid correlation matrix)")


def _check_derived(ck: _Checker, d: Mapping, sizes: Mapping[str, int]) -> None:
    """Optional ``[derived]`` overrides: checked against the profile's own population sizes."""
    check_keys(d, ("oasys_counts", "figure1_denominators"), ck.path, "derived")
    for block in ("oasys_counts", "figure1_denominators"):
        if block not in d:
            continue
        tab = d[block]
        _check_reason_or_method(ck, tab, f"derived.{block}")
        check_keys(tab, (*GROUPS, "method"), ck.path, f"derived.{block}")
        for group, v in tab.items():
            if group == "method":
                continue
            n_group = sum(sizes.get(p, 0) for p in GROUPS[group])
            where = f"derived.{block}.{group}"
            values = v.items() if isinstance(v, dict) else [(None, v)]
            if block == "figure1_denominators" and not isinstance(v, dict):
                ck.fail(where, "must be a table item -> N", v)
            if isinstance(v, dict):
                check_keys(v, NEED_ITEMS, ck.path, where)
            for item, x in values:
                key = f"{where}.{item}" if item else where
                if not isinstance(x, int) or isinstance(x, bool) or x <= 0:
                    ck.fail(key, "must be a positive integer", x)
                if x > n_group:
                    ck.fail(key, f"exceeds the group's published N ({n_group:,})", x)


def _check_reason_or_method(ck: _Checker, block: Any, where: str) -> None:
    if not isinstance(block, dict) or not isinstance(block.get("method"), str):
        ck.fail(f"{where}.method", "must describe how the figures were derived")
