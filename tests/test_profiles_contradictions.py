"""Issue 20 items 4 and 5: contradictions stop the run; group figures are met as mixtures.

Profiles here are written as a user would (``tests/profile_maker.py``: published figures of a
made-up census, consistent by construction), then one figure is edited to contradict the
others. ``generate`` and ``fidelity`` must refuse them (exit 2, the finding named with the
resolutions the format offers, nothing written, the input unchanged). A group's share of a band
(all recalled back in custody under six months) must be met whenever its populations' rows
allow it, and otherwise be refused with the range the rows allow.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from profile_maker import CENSUS_2014_SIZES, _target, figures, make_truth, to_toml

from toolkit.cli import main
from toolkit.cohort.generate import generate_cohort
from toolkit.exceptions import SpecError
from toolkit.fidelity.report import fidelity_report
from toolkit.profile.audit import ProfileContradictionError, audit_profile, refuse_contradictions
from toolkit.profile.spec import load_profile
from toolkit.schema import SIX_MONTHS_DAYS

ROOT = Path(__file__).parents[1]
SMALL = {"standard": 400, "fixed_term": 100}


def _figs(sizes=SMALL, seed=5) -> list[dict]:
    return figures(make_truth(sizes, np.random.default_rng(seed)))


def _set(figs: list[dict], tid: str, value: float, printed: str | None = None) -> float:
    """Set a figure's value (and printed text); return the old value."""
    f = next(f for f in figs if f["id"] == tid)
    old = f["value"]
    f["value"] = value
    f["printed"] = printed if printed is not None else f"{value:.{f['decimals']}f}"
    return old


def _write(tmp_path: Path, figs: list[dict], name="p.toml", extra: str = "") -> Path:
    path = tmp_path / name
    path.write_text(to_toml("a user's profile", figs) + extra, encoding="utf-8")
    return path


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _refused(argv: list[str], capsys, outdir: Path, profile: Path) -> str:
    before = _sha(profile)
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert list(outdir.iterdir()) == [], "nothing may be written"
    assert _sha(profile) == before, "the profile must not change"
    return err


# -- contradictions refused by generate and fidelity ----------------------------------------------


def _sum_over_100(figs):
    # recall reasons printed as whole percentages; four more points on one: 104% in all
    tid = "recall_reason.non_compliance.all_recalled"
    old = next(f["value"] for f in figs if f["id"] == tid)
    _set(figs, tid, old + 4)
    return tid, "share_sum.recall_reason.all_recalled"


def _group_mean_against_rows(figs):
    _set(figs, "age.all_recalled", 40.0)
    return "age.all_recalled", "mixture.age"


@pytest.mark.parametrize("command", ["generate", "fidelity"])
@pytest.mark.parametrize("make", [_sum_over_100, _group_mean_against_rows], ids=["sum", "mean"])
def test_contradiction_refused_before_any_work(make, command, tmp_path, capsys):
    figs = _figs()
    tid, finding = make(figs)
    indir, outdir = tmp_path / "in", tmp_path / "out"
    indir.mkdir()
    outdir.mkdir()
    profile = _write(indir, figs)
    if command == "generate":
        argv = ["generate", "--profile", profile, "--seed", "1", "--out", outdir / "c.csv"]
    else:  # the committed default cohort: the refusal comes before it is read
        cohort = ROOT / "synthetic" / "default_cohort.csv.gz"
        argv = ["fidelity", cohort, "--profile", profile, "--json", outdir / "f.json"]
    err = _refused(argv, capsys, outdir, profile)
    assert "contradiction" in err and finding in err and tid in err
    # the resolutions the profile format offers, naming the finding to resolve
    assert f'finding = "{finding}"' in err and 'role = "unmeetable"' in err
    assert "unreachable at N" not in err  # a contradiction is not blamed on N


def test_shares_over_100_named_with_their_sum(tmp_path):
    figs = _figs()
    _sum_over_100(figs)
    spec = load_profile(_write(tmp_path, figs))
    shares = [f["value"] for f in figs if f["variable"] == "recall_reason"]
    with pytest.raises(ProfileContradictionError) as e:
        refuse_contradictions(spec)
    assert f"= {sum(shares):g}%" in str(e.value) and "more than 100%" in str(e.value)


def test_group_mean_against_rows_names_the_range(tmp_path):
    figs = _figs()
    _group_mean_against_rows(figs)
    spec = load_profile(_write(tmp_path, figs))
    rows = {f["population"]: f["value"] for f in figs if f["variable"] == "age"}
    # the rows within their printed precision (one decimal) mix to this range
    lo = sum(SMALL[p] * (rows[p] - 0.05) for p in SMALL) / sum(SMALL.values())
    hi = sum(SMALL[p] * (rows[p] + 0.05) for p in SMALL) / sum(SMALL.values())
    f = {x.id: x for x in audit_profile(spec).contradictions}["mixture.age"]
    assert f"[{lo:.3f}, {hi:.3f}]" in f.message and "prints 40.0" in f.message


def test_resolved_contradiction_runs_and_is_named(tmp_path, capsys):
    """With the group figure set aside by a [[resolutions]] entry (one the refusal offers),
    the profile is generated and every figure still targeted is met."""
    figs = _figs()
    _group_mean_against_rows(figs)
    resolution = (
        '\n[[resolutions]]\nfinding = "mixture.age"\naction = "not_targeted"\n'
        'targets = ["age.all_recalled"]\nrole = "unmeetable"\n'
        'note = "the summary table prints 40.0; its rows give 33"\n'
    )
    profile = _write(tmp_path, figs, extra=resolution)
    out = tmp_path / "c.csv"
    assert main(["generate", "--profile", str(profile), "--seed", "2", "--out", str(out)]) == 0
    assert main(["fidelity", str(out), "--profile", str(profile)]) == 0, capsys.readouterr().err
    rep = fidelity_report(generate_cohort(load_profile(profile), rng=2), load_profile(profile))
    row = rep.targets.set_index("target_id").loc["age.all_recalled"]
    assert row["role"] == "unmeetable" and "40.0" in row["note"]


def test_fraction_refused_whatever_printed_says(tmp_path):
    figs = _figs()
    figs = [f for f in figs if f["variable"] != "ethnicity"]
    figs.append(_target("w", "standard", "ethnicity", "share", 0.45, 2, "white", "0.45"))
    figs.append(_target("b", "standard", "ethnicity", "share", 0.55, 2, "black", "0.55"))
    with pytest.raises(SpecError, match="looks like a fraction"):
        load_profile(_write(tmp_path, figs))


def test_lone_fraction_is_a_contradiction_with_its_group(tmp_path):
    """One share written 0.45 beside a group row in percent: the mixture cannot hold."""
    figs = _figs()
    white = next(f["value"] for f in figs if f["id"] == "ethnicity.white.all_recalled")
    assert white > 50  # the made-up census is mostly white
    figs.append(_target("w", "standard", "ethnicity", "share", 0.45, 2, "white", "0.45"))
    spec = load_profile(_write(tmp_path, figs))
    bad = [f.id for f in audit_profile(spec).contradictions]
    assert "mixture_rest.ethnicity.white" in bad


def test_population_without_n_names_what_to_add(tmp_path):
    figs = [f for f in _figs() if f["id"] != "n.fixed_term"]
    with pytest.raises(SpecError) as e:
        load_profile(_write(tmp_path, figs))
    assert "fixed_term" in str(e.value) and 'variable = "n"' in str(e.value)


# -- resolutions inherited only for identical figures; Table 2 only for its census --------------


def _bo(value: float, tid="bo.days_on_recall.under_6m.all_recalled", approximate=True):
    f = _target(tid, "all_recalled", "days_on_recall", "share", value, 0, "under_6m")
    f["printed"] = f"approximately {value:g}%"
    f["approximate"] = approximate
    return f


def test_shipped_resolution_not_inherited_for_other_figures(tmp_path):
    """The shipped profile resolves its Better Outcomes 45% (id bo.days_on_recall...) with
    2014 prose; a user figure with the same id but another value and document is this
    profile's own: no inherited role, no 2014 text."""
    figs = _figs() + [_bo(55)]
    spec = load_profile(_write(tmp_path, figs))
    assert spec.target("bo.days_on_recall.under_6m.all_recalled").role == "approximate"
    text = " ".join(f"{f.message} {f.resolution}" for f in audit_profile(spec).findings)
    for prose in ("5,125", "5,191", "57% of standard", "31 March 2014"):
        assert prose not in text


def test_two_ns_refused_without_the_shipped_prose(tmp_path, capsys):
    """Two All recalled Ns, one under the shipped profile's id for its 5,191: the shipped
    resolution (a 2014 note about 5,125 and 5,191) is not inherited; the contradiction is
    refused with the resolution the format offers."""
    figs = _figs()
    n = sum(SMALL.values())
    figs.append(
        _target("text.n_matched_alternative.all_recalled", "all_recalled", "n", "count", n + 7, 0)
    )
    profile = _write(tmp_path, figs)
    out = tmp_path / "out"
    out.mkdir()
    argv = ["generate", "--profile", profile, "--seed", "1", "--out", out / "c.csv"]
    err = _refused(argv, capsys, out, profile)
    assert "n_alternative" in err and f"{n + 7:,}" in err and 'role = "superseded"' in err
    assert "5,191" not in err and "5,125" not in err


def test_shipped_resolution_inherited_for_the_identical_figure(tmp_path):
    default = load_profile()
    bo = default.target("bo.days_on_recall.under_6m.all_recalled")
    f = _bo(bo.value)
    f["document"] = bo.document
    spec = load_profile(_write(tmp_path, _figs() + [f]))
    assert spec.target(bo.id).role == "unmeetable"
    assert spec.resolution_for("cross_source.days_on_recall_under_6m") is not None


def test_table2_findings_and_rows_only_for_its_census(tmp_path):
    spec = load_profile(_write(tmp_path, _figs()))
    assert not [f.id for f in audit_profile(spec).findings if f.id.startswith("table2_")]
    rep = fidelity_report(generate_cohort(spec, rng=1), spec)
    assert not rep.targets["target_id"].str.startswith("table2.").any()
    # the shipped profile's audit still holds them
    assert [f.id for f in audit_profile(load_profile()).findings if f.id.startswith("table2_")]


# -- item 5: a group's band met as the mixture of its populations' rows ---------------------------


#: (variable, category) of the group figures drawn: a band some recall types are forced into
#: by their assumed length, and a category no assumption forces.
GROUP_FIGURES = (("days_on_recall", "under_6m"), ("ethnicity", "white"))


def _group_range(spec, sizes: dict[str, int], var: str, row: float) -> tuple[float, float]:
    """The all-recalled share, in percent, that the rows allow: standard's row within its
    precision (whole percent); a recall type whose assumed length is capped below six months
    always under six months; any other recall type anywhere in 0-100."""
    lo = hi = 0.0
    for p, n in sizes.items():
        cap = spec.assumptions["days_on_recall"].get(p, {}).get("max_days")
        if p == "standard":
            a, b = row - 0.5, row + 0.5
        elif var == "days_on_recall" and cap is not None and cap <= SIX_MONTHS_DAYS:
            a = b = 100.0
        else:
            a, b = 0.0, 100.0
        lo, hi = lo + n * a, hi + n * b
    total = sum(sizes.values())
    return lo / total, hi / total


def _run_group_band(
    tmp_path, sizes, seed, value, approximate, var="days_on_recall", cat="under_6m"
):
    truth = make_truth(sizes, np.random.default_rng(seed))
    figs = [f for f in figures(truth) if f["variable"] != "ethnicity"]
    if var == "ethnicity":  # standard's own row, from the made-up census
        k = truth.counts["ethnicity"]["standard"][0]
        v = float(round(100 * k / sizes["standard"]))
        figs.append(_target("ethnicity.white.standard", "standard", var, "share", v, 0, cat))
    group = _target("user.group", "all_recalled", var, "share", value, 0, cat)
    group["printed"] = f"approximately {value:g}%"
    group["approximate"] = approximate
    figs.append(group)
    spec = load_profile(_write(tmp_path, figs))
    row = next(f["value"] for f in figs if f["id"] == f"{var}.{cat}.standard")
    return spec, _group_range(spec, sizes, var, row)


def _assert_met_or_refused(spec, value, lo, hi, n_total, seed):
    t = spec.target("user.group")
    half = t.half_unit
    if t.approximate:
        half = float(spec.assumptions["fidelity"]["approximate_tolerance_points"])
    person = 100.0 / n_total
    contradictions = {f.id: f for f in audit_profile(spec).contradictions}
    if value + half < lo - 1e-9 or value - half > hi + 1e-9:
        f = contradictions[f"mixture_rest.{t.variable}.{t.category}"]
        assert f"[{lo:.3f}, {hi:.3f}]%" in f.message
        with pytest.raises(ProfileContradictionError):
            refuse_contradictions(spec)
        return "refused"
    if min(value + half, hi) - max(value - half, lo) < 2 * person:
        return "edge"  # a sliver of a person wide: granularity, not judged here
    assert contradictions == {}, list(contradictions)
    rep = fidelity_report(generate_cohort(spec, rng=seed), spec)
    row = rep.targets.set_index("target_id").loc["user.group"]
    assert row["pass"] == True, row  # noqa: E712 - pandas object column
    assert rep.passed, rep.failures
    return "met"


def test_better_outcomes_style_figure_met_when_feasible(tmp_path):
    """The 2014 sizes with a standard recall band of 57%: "approximately 53%" of all recalled
    under six months is feasible (fixed-term and HDC recalls are always under), so it is met;
    "approximately 45%" is not, and is refused with the range."""
    sizes = {p: n for p, n in CENSUS_2014_SIZES.items() if p != "other_sentenced"}
    spec, (lo, hi) = _run_group_band(tmp_path, sizes, 3, 53, True)
    assert lo < 53 < hi
    assert _assert_met_or_refused(spec, 53, lo, hi, sum(sizes.values()), 3) == "met"
    spec, (lo, hi) = _run_group_band(tmp_path, sizes, 3, 45, True)
    assert _assert_met_or_refused(spec, 45, lo, hi, sum(sizes.values()), 3) == "refused"


@st.composite
def _censuses(draw):
    types = draw(
        st.lists(
            st.sampled_from(["extended", "fixed_term", "ipp_dpp", "life", "hdc"]),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    sizes = {"standard": draw(st.integers(60, 600))}
    for p in types:
        sizes[p] = draw(st.integers(5, 200))
    # where the group figure falls, as a fraction of the range the rows allow (outside it
    # beyond 0 and 1): the range is computed in the test once the census is made
    where = draw(st.floats(-0.6, 1.6))
    var, cat = draw(st.sampled_from(GROUP_FIGURES))
    return sizes, where, draw(st.booleans()), draw(st.integers(0, 2**31 - 1)), var, cat


@pytest.mark.slow
@settings(
    max_examples=16,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(_censuses())
def test_group_band_met_if_feasible_else_refused_with_range(tmp_path_factory, census):
    """Property: a group share or band the rows allow is met; one they do not is refused as a
    contradiction naming the range the rows allow (computed here from the rows and the
    assumed caps, independently of the audit)."""
    sizes, where, approximate, seed, var, cat = census
    tmp = tmp_path_factory.mktemp("band")
    _, (lo, hi) = _run_group_band(tmp, sizes, seed, 50, approximate, var, cat)
    value = float(min(max(round(lo + where * (hi - lo)), 0), 100))
    spec, (lo, hi) = _run_group_band(tmp, sizes, seed, value, approximate, var, cat)
    _assert_met_or_refused(spec, value, lo, hi, sum(sizes.values()), seed)


def test_contradiction_resolved_without_role_is_named_not_blamed_on_n(tmp_path):
    """A resolution that keeps every figure targeted: the cohort meets what it can and the
    figure left unmet is reported as contradicted (with the finding), not unreachable at N."""
    figs = _figs()
    _group_mean_against_rows(figs)
    resolution = (
        '\n[[resolutions]]\nfinding = "mixture.age"\naction = "keep_all"\n'
        'note = "the source prints both; the rows are kept"\n'
    )
    spec = load_profile(_write(tmp_path, figs, extra=resolution))
    refuse_contradictions(spec)  # resolved: not refused
    t = fidelity_report(generate_cohort(spec, rng=4), spec).targets
    named = t[t["role"] == "contradicted"]
    assert len(named) >= 1 and named["note"].str.contains("mixture.age").all()
    assert named["note"].str.contains("keep_all").all()
    assert not (t["role"] == "unreachable").any()


def test_approximate_n_is_the_populations_n(tmp_path):
    """ "Around 100 fixed-term recalls" is still the profile's own N for them (never another
    profile's): the population is generated at it."""
    figs = _figs()
    f = next(f for f in figs if f["id"] == "n.fixed_term")
    f["approximate"], f["printed"] = True, f"around {f['value']}"
    spec = load_profile(_write(tmp_path, figs))
    assert spec.population_n("fixed_term") == SMALL["fixed_term"]
    df = generate_cohort(spec, rng=1)
    assert (df["population"] == "fixed_term").sum() == SMALL["fixed_term"]
