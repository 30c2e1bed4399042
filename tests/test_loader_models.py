"""The declared loaders (issue 24 item 2): release rules, national model and sweep spec.

Each loader is exercised with files written here (Hypothesis draws the values): a valid file
round-trips to the object's attributes; an unknown key, a missing key, a value out of its range
and a value of the wrong type are each refused with a SpecError naming the file and the key.
The ranges below are the ones the hand-written loaders checked before the declared models
(written out here from that code, not read from the new models), and the shipped files still load
to the same objects as before (``tests/data/loader_golden.json``, see ``loader_snapshot.py``).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.datafiles import paper_file, tomllib
from toolkit.exceptions import SpecError
from toolkit.national import load_national
from toolkit.review.policy import TYPE_KEYS, default_rules_path, load_release_rules
from toolkit.sweep.spec import load_sweep_spec

sys.path.insert(0, str(Path(__file__).parent))
from loader_snapshot import plain, snapshot  # noqa: E402

HERE = Path(__file__).parent
RULES = tomllib.loads(default_rules_path().read_text(encoding="utf-8"))
NATIONAL = tomllib.loads(
    paper_file("recall_process_experience", "national.toml").read_text(encoding="utf-8")
)
SWEEP_TEXT = paper_file("recall_process_experience", "sweep_example.toml").read_text(
    encoding="utf-8"
)
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# --- a small TOML writer (the data shapes these files use) -----------------------------------


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, str):
        # JSON escapes the control characters TOML forbids, except DEL (0x7f), which is ASCII
        return json.dumps(v, ensure_ascii=False).replace("\x7f", "\\u007F")
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)


def to_toml(data: dict) -> str:
    """Top-level tables as ``[name]`` (nested tables inline), lists of tables as ``[[name]]``."""
    out = []
    for name, v in data.items():
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for t in v:
                out.append(f"[[{_key(name)}]]")
                out += [f"{_key(k)} = {_value(x)}" for k, x in t.items()]
        elif isinstance(v, dict):
            out.append(f"[{_key(name)}]")
            out += [f"{_key(k)} = {_value(x)}" for k, x in v.items()]
        else:
            out.insert(0, f"{_key(name)} = {_value(v)}")
    return "\n".join(out) + "\n"


def write(tmp_path, data: dict, name: str) -> Path:
    p = tmp_path / name
    p.write_text(to_toml(data), encoding="utf-8")
    return p


def test_the_writer_round_trips_the_shipped_files():
    assert tomllib.loads(to_toml(RULES)) == RULES
    assert tomllib.loads(to_toml(NATIONAL)) == NATIONAL


# --- the shipped files load to the same objects as before --------------------------------------


def _contains(golden, new, path="") -> list[str]:
    """Where ``new`` differs from ``golden``: mappings may gain keys (a later change may add a
    key to a table); everything else must be equal, with its type."""
    if isinstance(golden, dict) and isinstance(new, dict):
        out = []
        for k, v in golden.items():
            out += [f"{path}/{k} missing"] if k not in new else _contains(v, new[k], f"{path}/{k}")
        if "__mapping__" not in golden:  # a dataclass or a tagged value: no key may be added
            out += [f"{path}/{k} added" for k in new if k not in golden]
        return out
    if golden != new or type(golden) is not type(new):
        return [f"{path}: {golden!r} != {new!r}"]
    return []


def test_shipped_files_load_to_the_same_objects_as_before():
    golden = json.loads((HERE / "data" / "loader_golden.json").read_text(encoding="utf-8"))
    new = json.loads(json.dumps(snapshot()))
    assert _contains(golden, new) == []


# --- release rules ----------------------------------------------------------------------------

#: (block, key, low, high, attribute of ReleaseRules) as the hand-written loader checked them.
RULE_NUMBERS = [
    ("executive", "notice_probability", 0, 1, lambda r: r.notice_probability),
    ("parole_board", "direction_probability", 0, 1, lambda r: r.board_direction_probability),
    ("decision_delay_days", "executive_median", 0, 3650, lambda r: r.delay_executive),
    ("decision_delay_days", "executive_sigma", 0, 5, lambda r: r.delay_executive_sigma),
    ("decision_delay_days", "parole_board_median", 0, 3650, lambda r: r.delay_parole_board),
    ("decision_delay_days", "parole_board_sigma", 0, 5, lambda r: r.delay_parole_board_sigma),
    ("preference", "prefer_stay_share", 0, 1, lambda r: r.prefer_stay_share),
    ("preference", "declines_release_share", 0, 1, lambda r: r.declines_release_share),
    ("person", "risk_loading", -5, 5, lambda r: r.person["risk_loading"]),
    ("person", "never_rosh_loading", -5, 5, lambda r: r.person["never_rosh_loading"]),
    ("person", "sigma", 0.01, 5, lambda r: r.person["sigma"]),
    ("person", "programme_median", 1, 3650, lambda r: r.person["programme_median"]),
    ("person", "programme_binding_share", 0, 1, lambda r: r.person["programme_binding_share"]),
    ("further_charge", "share", 0, 1, lambda r: r.charge_share),
    ("further_charge", "delay_median", 1, 3650, lambda r: r.charge_delay_median),
    ("further_charge", "delay_sigma", 0, 5, lambda r: r.charge_delay_sigma),
    ("follow_up", "days", 1, 36500, lambda r: r.follow_up_days),
    ("hazards", "re_recall_multiplier", 0, 100, lambda r: r.re_recall_multiplier),
    ("hazards", "sfo_multiplier", 0, 100, lambda r: r.sfo_multiplier),
    ("costs", "custody_per_day", 0, 1e7, lambda r: r.costs["custody_per_day"]),
    ("costs", "review_hours", 0, 1e7, lambda r: r.costs["review_hours"]),
    ("horizon", "max_days", 1, 36500, lambda r: r.horizon_days),
    ("calibration", "releasable_margin_days", 0, 3650, lambda r: r.releasable_margin_days),
    ("calibration", "min_latent_median_days", 0.01, 3650, None),
    ("calibration", "max_day_share_pct", 0, 100, None),
    ("calibrated", "mu_d", 0, 12, lambda r: r.calibrated["mu_d"]),
    ("calibrated", "sigma_d", 0.001, 5, lambda r: r.calibrated["sigma_d"]),
    ("calibrated", "q_never", 0, 1, lambda r: r.calibrated["q_never"]),
    ("calibrated", "mu_m", -5, 12, lambda r: r.calibrated["mu_m"]),
]
#: recall-type numbers (recall type, key, low, high, RecallTypeRule attribute)
TYPE_NUMBERS = [
    ("fixed_term", "automatic_release_day", 1, 36500, "automatic_release_day"),
    ("fixed_term", "short_sentence_release_day", 1, 36500, "short_sentence_release_day"),
    ("standard", "board_referral_day", 1, 3650, "board_referral_day"),
    ("standard", "board_review_every", 1, 3650, "board_review_every"),
    ("extended", "sed_median_ratio", 0.01, 100, "sed_median_ratio"),
    ("hdc", "curfew_max_days", 1, 3650, "curfew_max_days"),
]


def _rules_without_ranges() -> dict:
    """The shipped rules with every ``ranges`` table removed (a drawn value may leave its
    plausible range; the ranges are tested on their own)."""
    data = copy.deepcopy(RULES)
    for blk in [*data.values(), *data["recall_types"].values()]:
        if isinstance(blk, dict):
            blk.pop("ranges", None)
    return data


def _in(lo, hi):
    return st.one_of(
        st.floats(lo, hi, allow_nan=False), st.integers(int(-(-lo // 1)), int(hi // 1))
    )


@SETTINGS
@given(st.data())
def test_rules_round_trip(tmp_path, data):
    rules_data = _rules_without_ranges()
    drawn = {}
    for block, key, lo, hi, _ in RULE_NUMBERS:
        drawn[block, key] = rules_data[block][key] = data.draw(_in(lo, hi), label=key)
    for rt, key, lo, hi, _ in TYPE_NUMBERS:
        drawn[rt, key] = rules_data["recall_types"][rt][key] = data.draw(_in(lo, hi), label=key)
    frame = data.draw(st.sampled_from(["admissions", "in_custody"]))
    rules_data["calibration"]["case_review_frame"] = frame
    rules = load_release_rules(write(tmp_path, rules_data, "rules.toml"))
    for block, key, _lo, _hi, attr in RULE_NUMBERS:
        if attr is not None:
            assert attr(rules) == drawn[block, key] and isinstance(attr(rules), float), key
        assert rules.raw[block][key] == drawn[block, key]
    for rt, key, _lo, _hi, attr in TYPE_NUMBERS:
        assert getattr(rules.types[rt], attr) == drawn[rt, key]
    assert rules.calibration["case_review_frame"] == frame


@SETTINGS
@given(st.data())
def test_rules_refuse_a_value_out_of_range_or_of_the_wrong_type(tmp_path, data):
    block, key, lo, hi, _ = data.draw(st.sampled_from(RULE_NUMBERS))
    rules_data = _rules_without_ranges()
    bad = data.draw(
        st.one_of(
            st.floats(hi, 1e12, exclude_min=True),
            st.floats(-1e12, lo, exclude_max=True),
            st.just(float("nan")),
            st.booleans(),
            st.text(max_size=5),
        )
    )
    rules_data[block][key] = bad
    with pytest.raises(SpecError) as err:
        load_release_rules(write(tmp_path, rules_data, "rules.toml"))
    assert err.value.key == f"{block}.{key}" and f"between {lo} and {hi}" in str(err.value)
    assert "rules.toml" in str(err.value)


@SETTINGS
@given(st.data())
def test_rules_refuse_an_unknown_and_a_missing_key(tmp_path, data):
    block = data.draw(st.sampled_from(["executive", "person", "costs", "calibrated", "hazards"]))
    key = data.draw(st.sampled_from([k for k in RULES[block] if k not in ("kind", "reason")]))
    rules_data = copy.deepcopy(RULES)
    rules_data[block][key + "x"] = rules_data[block].pop(key)  # a typo
    with pytest.raises(SpecError, match=rf"`{block}\.{key}x` is not a known key; did you mean"):
        load_release_rules(write(tmp_path, rules_data, "rules.toml"))
    # a required number taken out (programme_binding_share has a default)
    required = [k for b, k, *_ in RULE_NUMBERS if b == block and k != "programme_binding_share"]
    gone = data.draw(st.sampled_from(required))
    rules_data = copy.deepcopy(RULES)
    del rules_data[block][gone]
    rules_data[block].pop("ranges", None)
    with pytest.raises(SpecError, match=rf"`{block}\.{gone}` is required but missing"):
        load_release_rules(write(tmp_path, rules_data, "rules.toml"))


@pytest.mark.parametrize(
    "edit, key, message",
    [
        # an assumed size's range must hold the value
        (
            lambda d: d["executive"].update(ranges={"notice_probability": [0.9, 1.0]}),
            "executive.ranges.notice_probability",
            "must be [low, high] around the block's notice_probability",
        ),
        (
            lambda d: d["recall_types"]["fixed_term"].update(ranges={"short_sentence_share": [1]}),
            "recall_types.fixed_term.ranges.short_sentence_share",
            "must be [low, high]",
        ),
        # a review route needs its Board timetable; an automatic one refuses it
        (
            lambda d: d["recall_types"]["standard"].pop("board_review_every"),
            "recall_types.standard.board_review_every",
            "is required (release = 'review') but missing",
        ),
        (
            lambda d: d["recall_types"]["hdc"].update(executive=True),
            "recall_types.hdc.executive",
            "applies only to release = 'review'",
        ),
        (lambda d: d["recall_types"].pop("life"), "recall_types.life", "is required but missing"),
        (
            lambda d: d["recall_types"]["life"].update(executive="no"),
            "recall_types.life.executive",
            "input should be a valid boolean",
        ),
        (
            lambda d: d["further_charge"].pop("delay_sigma"),
            "further_charge.delay_sigma",
            "is required (the block is given) but missing",
        ),
        (
            lambda d: d["calibration"].update(board_share_range_pct=[90.0, 40.0]),
            "calibration.board_share_range_pct",
            "must be [low, high] within 0-100",
        ),
        (
            lambda d: d["calibration"]["census_days_on_recall_pct"].pop("6_to_12m"),
            "calibration.census_days_on_recall_pct.6_to_12m",
            "is required but missing",
        ),
        (
            lambda d: d["calibration"].update(releasable_reading="judgment"),
            "calibration.releasable_reading",
            "must be one of barriers_cleared, judgement (did you mean 'judgement'?)",
        ),
        (
            lambda d: d["meta"].update(modelled_date="2014-02-30"),
            "meta.modelled_date",
            "must be an ISO date YYYY-MM-DD",
        ),
        (
            lambda d: d.update(national={"growth_per_year": 50}),
            "national.growth_per_year",
            "must be a number between -0.99 and 10",
        ),
    ],
)
def test_rules_cross_key_checks_name_the_key(tmp_path, edit, key, message):
    rules_data = copy.deepcopy(RULES)
    edit(rules_data)
    with pytest.raises(SpecError, match=re.escape(message)) as err:
        load_release_rules(write(tmp_path, rules_data, "rules.toml"))
    assert err.value.key == key


def test_optional_blocks_and_defaults_are_filled_as_before(tmp_path):
    rules_data = copy.deepcopy(RULES)
    del rules_data["further_charge"]
    for k in ("releasable_margin_days", "case_review_frame", "releasable_reading"):
        del rules_data["calibration"][k]
    del rules_data["person"]["programme_binding_share"]
    del rules_data["costs"]["marginal_custody_per_day"]
    rules_data["costs"].pop("ranges")
    rules_data["person"]["ranges"].pop("programme_binding_share")
    r = load_release_rules(write(tmp_path, rules_data, "rules.toml"))
    assert (r.charge_share, r.charge_delay_median, r.charge_delay_sigma) == (0.0, 1.0, 0.0)
    assert r.raw["further_charge"] == {}
    assert (r.releasable_margin_days, r.calibration["releasable_margin_days"]) == (28, 28)
    assert r.calibration["case_review_frame"] == "admissions"
    assert r.raw["calibration"]["releasable_reading"] == "barriers_cleared"
    assert r.person["programme_binding_share"] == 1.0
    assert r.costs["marginal_custody_per_day"] == r.costs["custody_per_day"] == 100.0


def test_type_keys_is_public_and_complete():
    shipped = {k for blk in RULES["recall_types"].values() for k in blk}
    assert shipped <= set(TYPE_KEYS)
    assert {"release", "board_referral_day", "ranges", "kind"} <= set(TYPE_KEYS)


# --- national model -------------------------------------------------------------------------


@SETTINGS
@given(
    counts=st.lists(st.integers(1, 10**7), min_size=1, max_size=4),
    flow=st.integers(1, 10**6),
    days=st.integers(1, 3000),
    pct=st.floats(-99, 1000),
    share=st.tuples(st.floats(0.01, 1), st.floats(0.01, 1), st.floats(0.01, 1)).map(sorted),
    years=st.integers(1, 30),
)
def test_national_round_trip(tmp_path, counts, flow, days, pct, share, years):
    d = copy.deepcopy(NATIONAL)
    start = dt.date(2010, 1, 1)
    d["stock"] = [
        {"date": start + dt.timedelta(days=100 * i), "count": c, "line": 1, "quote": "q"}
        for i, c in enumerate(counts)
    ]
    d["flow"] = [
        {
            "start": start,
            "end": start + dt.timedelta(days=days),
            "count": flow,
            "line": 2,
            "quote": "f",
        }
    ]
    d["growth"][0].update({"from": start, "to": start + dt.timedelta(days=days), "percent": pct})
    low, value, high = share
    d["standard_share"].update(value=value, low=low, high=high)
    d["anchor"]["date"] = d["stock"][-1]["date"]
    d["projection"]["years"] = years
    # a new file name per example: load_national caches by path
    nat = load_national(write(tmp_path, d, f"national_{uuid.uuid4().hex}.toml"))
    assert [s.count for s in nat.stocks] == counts
    assert (nat.flows[0].count, (nat.flows[0].end - nat.flows[0].start).days) == (flow, days)
    assert (nat.growths[0].percent, nat.growths[0].end) == (pct, d["growth"][0]["to"])
    assert (nat.standard_share_low, nat.standard_share, nat.standard_share_high) == (
        low,
        value,
        high,
    )
    assert (nat.anchor_date, nat.projection.years) == (d["stock"][-1]["date"], years)


@pytest.mark.parametrize(
    "edit, key, message",
    [
        (lambda d: d["meta"].update(census_dat=1), "meta.census_dat", "did you mean `census_date`"),
        (lambda d: d["stock"][1].update(cuont=3), "stock[1].cuont", "did you mean `count`"),
        (lambda d: d["flow"][0].pop("quote"), "flow[0].quote", "is required but missing"),
        (lambda d: d.pop("anchor"), "anchor", "is required but missing"),
        (lambda d: d["stock"][0].update(count=0), "stock[0].count", "positive whole number"),
        (lambda d: d["stock"][0].update(count=5.5), "stock[0].count", "positive whole number"),
        (lambda d: d["growth"][0].update(percent=-100), "growth[0].percent", "between -99 and"),
        (lambda d: d["growth"][0].update(percent="15"), "growth[0].percent", "between -99 and"),
        (
            lambda d: d["growth"][0].update(to=d["growth"][0]["from"]),
            "growth[0].to",
            "must be after from",
        ),
        (
            lambda d: d["meta"].update(census_date="2014-03-31"),
            "meta.census_date",
            "must be a TOML date",
        ),
        (lambda d: d["standard_share"].update(high=1.5), "standard_share.high", "(0, 1]"),
        (lambda d: d["standard_share"].update(value=0.7), "standard_share", "low <= value"),
        (lambda d: d.update(flow=[]), "flow", "must be one or more [[flow]] tables"),
        (lambda d: d["projection"].update(populations=[]), "projection.populations", "must list"),
        (lambda d: d["projection"].update(switch="April"), "projection.switch", "like 2016-04"),
        (lambda d: d["projection"].update(years=31), "projection.years", "1 to 30"),
    ],
)
def test_national_refuses_naming_the_key(tmp_path, edit, key, message):
    d = copy.deepcopy(NATIONAL)
    edit(d)
    with pytest.raises(SpecError, match=re.escape(message)) as err:
        load_national(write(tmp_path, d, "national.toml"))
    assert err.value.key == key and "national.toml" in str(err.value)


# --- sweep spec -----------------------------------------------------------------------------


def _spec(tmp_path, text: str) -> Path:
    p = tmp_path / "spec.toml"
    p.write_text(text, encoding="utf-8")
    return p


@SETTINGS
@given(
    seed=st.integers(0, 2**32),
    reps=st.integers(1, 50),
    adm=st.integers(1, 10**6),
    part=st.integers(1, 64),
    conf=st.floats(0.01, 0.99),
    lo=st.floats(0.5, 0.7),
    width=st.floats(0.01, 0.3),
)
def test_sweep_spec_round_trip(tmp_path, seed, reps, adm, part, conf, lo, width):
    text = f"""
[sweep]
seed = {seed}
replications = {reps}
admissions = {adm}
partition_size = {part}
populations = ["standard", "hdc"]

[strategies]
names = ["sed", "formal"]
grid.proactive = {{ every = [14, 28] }}

[design]
method = "baseline"
conf_level = {conf!r}

[assumptions]
"executive.notice_probability" = {{ dist = "uniform", low = {lo!r}, high = {lo + width!r} }}
"calibrated.mu_m" = {{ dist = "normal", mean = "rules", sd = 0.1 }}
"""
    s = load_sweep_spec(_spec(tmp_path, text))
    assert (s.seed, s.replications, s.admissions, s.partition_size) == (seed, reps, adm, part)
    assert s.populations == ("standard", "hdc") and s.conf_level == conf
    assert s.strategies == ("board_only", "formal", "proactive:every=14", "proactive:every=28")
    assert s.assumptions[0].params == (lo, lo + width)
    mu_m = load_release_rules().calibrated["mu_m"]
    assert s.assumptions[1].params == (mu_m, 0.1)
    assert s.tornado_strategy == "proactive:every=28" and s.projection is None


@pytest.mark.parametrize(
    "old, new, key, message",
    [
        ("admissions = 2000", "admisions = 2000", "sweep.admisions", "did you mean `admissions`"),
        ("seed = 20161001", "", "sweep.seed", "is required but missing"),
        ("replications = 4 ", "replications = 0 ", "sweep.replications", ">= 1"),
        ("replications = 4 ", "replications = true ", "sweep.replications", "whole number"),
        ("conf_level = 0.95", "conf_level = 1.5", "design.conf_level", "between 0 and 1"),
        ('method = "sobol"', 'method = "sobel"', "design.method", "did you mean 'sobol'"),
        (
            'names = ["board_only", "formal", "event"]',
            'names = ["board_only", "formal", "sed"]',
            "strategies",
            "names a strategy twice",
        ),
        (
            'high = 0.95, reason = "assumed 0.8; not published" }\n"parole',
            'high = 0.95, mean = 0.8 }\n"parole',
            "assumptions.executive.notice_probability.mean",
            "is not a parameter of uniform",
        ),
        (
            'tornado_strategy = "proactive:every=28"',
            'tornado_strategy = "proactive:every=29"',
            "report.tornado_strategy",
            "must be one of the strategies",
        ),
        ("replications = 2\n", "replications = -2\n", "projection.replications", ">= 1"),
    ],
)
def test_sweep_spec_refuses_naming_the_key(tmp_path, old, new, key, message):
    assert old in SWEEP_TEXT
    p = _spec(tmp_path, SWEEP_TEXT.replace(old, new, 1))
    with pytest.raises(SpecError, match=re.escape(message)) as err:
        load_sweep_spec(p)
    assert err.value.key == key and "spec.toml" in str(err.value)


def test_plain_keeps_types_apart():
    """The snapshot format tells 28 from 28.0 and a tuple from a list (so the golden
    comparison would see a change of type)."""
    assert plain(28) != plain(28.0) or type(plain(28)) is not type(plain(28.0))
    assert plain((1,)) != plain([1])


def test_rosh_levels_kept_beside_the_schema_are_the_same():
    """policy keeps its own ROSH_LEVELS (no pandas import for the simulation); one fact."""
    from toolkit.review.policy import ROSH_LEVELS
    from toolkit.schema import ROSH_LEVELS as SCHEMA_ROSH

    assert ROSH_LEVELS == SCHEMA_ROSH


def test_an_edited_national_file_is_read_again(tmp_path):
    """load_national caches per file version: the same object while the file is unchanged, the
    new figures once it is edited (a notebook that edits the file and loads it again)."""
    p = write(tmp_path, NATIONAL, "national.toml")
    first = load_national(p)
    assert load_national(p) is first
    d = copy.deepcopy(NATIONAL)
    d["stock"][2]["count"] = 123_456  # another size, whatever the clock's resolution
    p.write_text(to_toml(d), encoding="utf-8")
    assert load_national(p).stock_at("2016-09-30").count == 123_456
