"""Load a profile file into a :class:`~toolkit.profile.model.ProfileSpec`.

Every table is checked against its declaration in :mod:`toolkit.profile.tables` (keys, types,
ranges and the rules within a table). What remains here is what relates tables to each other:
the population sizes the ``count``-of-``n`` figures give, the roles ``[[resolutions]]`` give
figures, shares written as fractions, figures the generator cannot construct, and the
categories ``[variables]`` adds. A profile that holds only published figures inherits the
default profile's assumptions (:func:`inherit_defaults`).
"""

from __future__ import annotations

import difflib
import hashlib
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from toolkit.declared import read_table
from toolkit.exceptions import SpecError
from toolkit.profile import tables
from toolkit.profile.model import (
    DEFAULT_SOURCE,
    Claim,
    ProfileSpec,
    Resolution,
    Target,
    default_profile_path,
)
from toolkit.schema import (
    ETHNICITIES,
    GROUPS,
    INDEX_OFFENCE_GROUPS,
    INDEX_OFFENCES,
    MEAN_VARIABLES,
    OFFENCE_TO_GROUP,
    OPEN_CATEGORICALS,
    RECALL_TYPES,
    SHARE_VARIABLES,
    SPREAD_VARIABLES,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _freeze(obj: Any) -> Any:
    if isinstance(obj, dict):
        return MappingProxyType({k: _freeze(v) for k, v in obj.items()})
    if isinstance(obj, list):
        return tuple(_freeze(v) for v in obj)
    return obj


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
        data = inherit_defaults(data)
    return build_spec(label, hashlib.sha256(raw_bytes).hexdigest(), data)


def build_spec(label: str, sha: str, data: dict) -> ProfileSpec:
    """A :class:`ProfileSpec` from a parsed profile file (``label`` names it in errors)."""
    top = read_table(tables.ProfileFile, data, label)
    read_table(tables.MetaTable, top.meta, label, "meta")
    variables, offence_groups = _variables(label, top.variables)
    resolutions = tuple(_resolution(label, i, r) for i, r in enumerate(top.resolutions))
    role_of = {t: r.role for r in resolutions if r.role for t in r.targets}
    targets = _targets(label, top.targets, role_of)
    by_id = {t.id: t for t in targets}
    for r in resolutions:
        for tid in r.targets:
            if tid not in by_id:
                raise SpecError(
                    label,
                    f"resolutions[finding={r.finding}].targets",
                    "names an unknown target",
                    tid,
                )
    sizes = _sizes(label, targets)
    _check_fractions(label, targets)
    categories = {**SHARE_VARIABLES, **variables}
    for t in targets:
        _check_generated(label, t, sizes, targets, categories)
    claims = tuple(_claim(label, i, c) for i, c in enumerate(top.claims))
    context = {
        "offence_groups": offence_groups,
        "ethnicities": variables.get("ethnicity", ETHNICITIES),
        "sizes": sizes,
    }
    read_table(tables.Assumptions, top.assumptions, label, "assumptions", context)
    read_table(tables.Derived, top.derived, label, "derived", context)
    return ProfileSpec(
        path=label,
        sha256=sha,
        meta=_freeze(top.meta),
        targets=tuple(targets),
        claims=claims,
        assumptions=_freeze(top.assumptions),
        derived=_freeze(top.derived),
        resolutions=resolutions,
        _by_id=MappingProxyType(by_id),
        _sizes=MappingProxyType(sizes),
        variables=MappingProxyType(variables),
        offence_groups=MappingProxyType(offence_groups),
    )


def _where(kind: str, i: int, raw: Any, key: str) -> str:
    """``targets[id=X]`` (or ``targets[3]`` when the entry has no string id) for messages."""
    name = raw.get(key) if isinstance(raw, dict) else None
    return f"{kind}[{key}={name}]" if isinstance(name, str) else f"{kind}[{i}]"


def _targets(label: str, raw: list, role_of: Mapping[str, str]) -> list[Target]:
    out: list[Target] = []
    seen: set[str] = set()
    for i, t in enumerate(raw):
        tab = read_table(tables.TargetTable, t, label, _where("targets", i, t, "id"))
        if tab.id in seen:
            raise SpecError(label, f"targets[{i}].id", "must be unique", tab.id)
        seen.add(tab.id)
        role = role_of.get(tab.id, "target")
        if tab.population in ("national_2016", "case_review"):
            role = "context"
        elif role == "target" and tab.approximate:
            role = "approximate"
        fields = tab.model_dump()
        out.append(Target(**{**fields, "value": float(tab.value), "role": role}))
    return out


def _claim(label: str, i: int, raw: Any) -> Claim:
    return Claim(
        **read_table(tables.ClaimTable, raw, label, _where("claims", i, raw, "id")).model_dump()
    )


def _resolution(label: str, i: int, raw: Any) -> Resolution:
    tab = read_table(tables.ResolutionTable, raw, label, _where("resolutions", i, raw, "finding"))
    return Resolution(**{**tab.model_dump(), "targets": tuple(tab.targets)})


def _variables(label: str, raw: Mapping) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """``[variables.<name>]``: categories a profile adds to a categorical variable.

    Only the variables in :data:`toolkit.schema.OPEN_CATEGORICALS` (and
    ``index_offence_group``, whose new groups must list their OGRS3 offences in ``members``)
    take new categories. Returns the full category lists (defaults first) and the offence ->
    group mapping.
    """
    offence_groups = dict(OFFENCE_TO_GROUP)
    open_vars = (*OPEN_CATEGORICALS, "index_offence_group")
    out: dict[str, tuple[str, ...]] = {}
    for name, blk in raw.items():
        w = f"variables.{name}"
        if name not in open_vars:
            if name in SHARE_VARIABLES or name in MEAN_VARIABLES:
                raise SpecError(
                    label,
                    w,
                    f"takes no new categories (its categories are fixed: the generator builds "
                    f"them by rule); variables that do: {', '.join(open_vars)}",
                )
            near = difflib.get_close_matches(str(name), open_vars, n=1)
            hint = f" (did you mean `{near[0]}`?)" if near else ""
            raise SpecError(label, w, f"is not a known key{hint}")
        tab = read_table(tables.VariableTable, blk, label, w)
        defaults = OPEN_CATEGORICALS.get(name, INDEX_OFFENCE_GROUPS)
        new = [c for c in tab.categories if c not in defaults]
        out[name] = (*defaults, *new)
        if name != "index_offence_group":
            if tab.members:
                raise SpecError(label, f"{w}.members", "is only for index_offence_group")
            continue
        _offence_members(label, w, tab.members, new, offence_groups)
        for g in out[name]:
            if g not in offence_groups.values():
                raise SpecError(label, f"{w}.members", f"leaves group `{g}` with no offence", g)
    return out, offence_groups


def _offence_members(
    label: str, w: str, members: Mapping[str, list], new: list[str], offence_groups: dict
) -> None:
    """Move the OGRS3 offences each new offence group lists into it (``offence_groups``)."""
    for g in new:
        if g not in members:
            raise SpecError(
                label,
                f"{w}.members.{g}",
                "is required: a new offence group lists the OGRS3 offences it holds "
                f"(of {', '.join(INDEX_OFFENCES)})",
            )
    for g, offs in members.items():
        if g not in new:
            raise SpecError(label, f"{w}.members.{g}", "names no new category of this variable", g)
        if not offs:
            raise SpecError(
                label, f"{w}.members.{g}", "must be a non-empty list of OGRS3 offences", offs
            )
        for o in offs:
            if o not in INDEX_OFFENCES:
                near = difflib.get_close_matches(str(o), INDEX_OFFENCES, n=1)
                hint = f" (did you mean `{near[0]}`?)" if near else ""
                raise SpecError(label, f"{w}.members.{g}", f"is not an OGRS3 offence{hint}", o)
            if offence_groups[o] in new:
                raise SpecError(
                    label, f"{w}.members.{g}", "lists an offence another group holds", o
                )
            offence_groups[o] = g


def inherit_defaults(data: dict) -> dict:
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


def _sizes(label: str, targets: list[Target]) -> dict[str, int]:
    """Population sizes from the profile's ``count`` figures of ``n`` (no id is needed)."""
    sizes: dict[str, int] = {}
    groups: dict[str, int] = {}
    for t in targets:
        if t.variable != "n" or t.statistic != "count" or t.role not in ("target", "approximate"):
            continue
        if t.population in RECALL_TYPES:
            if t.population in sizes and sizes[t.population] != int(t.value):
                raise SpecError(
                    label,
                    f"targets[id={t.id}].value",
                    f"gives another N for {t.population} than an earlier figure "
                    f"({sizes[t.population]:,})",
                    t.value,
                )
            sizes[t.population] = int(t.value)
        elif t.population in ("all_recalled", "all_prisoners", "other_sentenced"):
            groups.setdefault(t.population, int(t.value))
    if not sizes and "all_recalled" in groups:
        raise SpecError(
            label,
            "targets",
            "must give the N of each recall type it describes (a count of `n` per recall type, "
            'e.g. population = "standard"); only All recalled is given',
        )
    if not sizes:
        raise SpecError(
            label, "targets", "must include a population size: a count of `n` for a recall type"
        )
    rec = sum(sizes.values())
    if "all_recalled" in groups and groups["all_recalled"] != rec:
        # a printed total that differs from the rows is an audit finding, not a load error
        pass
    if "all_prisoners" in groups:
        other = groups["all_prisoners"] - groups.get("all_recalled", rec)
        if other <= 0:
            raise SpecError(
                label,
                "targets[population=all_prisoners].value",
                "must exceed All recalled (All prisoners includes the recalled)",
                groups["all_prisoners"],
            )
        sizes["other_sentenced"] = other
    elif "other_sentenced" in groups:
        sizes["other_sentenced"] = groups["other_sentenced"]
    return sizes


def _check_generated(
    label: str,
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
        raise SpecError(
            label,
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
            raise SpecError(
                label,
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
        raise SpecError(
            label,
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


def _check_fractions(label: str, targets: list[Target]) -> None:
    """A share written as a fraction (``0.96`` for 96%) is refused with the reason."""
    fams: dict[tuple[str, str], list[Target]] = {}
    for t in targets:
        if t.statistic in ("share", "max_share"):
            fams.setdefault((t.variable, t.population), []).append(t)
            digits = [float(x) for x in _NUMBER.findall(t.printed.replace(",", ""))]
            if 0 < t.value <= 1 and any(abs(d - 100 * t.value) < 1e-6 and d > 1 for d in digits):
                raise SpecError(
                    label,
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
                raise SpecError(
                    label,
                    f"targets[id={ts[0].id}].value",
                    f"looks like a fraction: the shares of {var} for {pop} sum to {total:g}, "
                    "but shares are percentages (0-100); multiply by 100",
                    ts[0].value,
                )
