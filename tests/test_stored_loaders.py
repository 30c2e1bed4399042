"""The shipped release rules and national model, stored as validated (issue 19 item 7).

``simulate`` on the shipped files builds the rules and the national model from a stored copy of
their validation (``toolkit/review/data/*.json``, :mod:`toolkit.storedjson`) instead of importing
pydantic. These tests check: the stored copies equal a fresh validation of the shipped files,
field by field with their types (so forgetting to rebuild after editing a file fails here); the
storage format gives back every value a TOML file or a loader holds, types included; a file of
other bytes, and every file given by path, is validated (its errors reported); the shipped files
are read without pydantic.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import toolkit.national as nat
from toolkit import storedjson
from toolkit.exceptions import SpecError
from toolkit.review import policy

ROOT = Path(__file__).parents[1]
REBUILD = 'stale: rebuild with python -c "import toolkit.review.census as c; c.main()"'


def differences(a, b, where: str = "") -> list[str]:
    """Where ``b`` differs from ``a``: types (28 is not 28.0, a tuple is not a list, a
    MappingProxyType is not a dict), dataclass fields, mapping keys in order, items; NaN equals
    NaN."""
    if type(a) is not type(b):
        return [f"{where}: {type(a).__name__} != {type(b).__name__}"]
    if dataclasses.is_dataclass(a):
        return [
            d
            for f in dataclasses.fields(a)
            for d in differences(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
        ]
    if isinstance(a, Mapping):
        if list(a) != list(b):
            return [f"{where}: keys {list(a)} != {list(b)}"]
        return [d for k in a for d in differences(a[k], b[k], f"{where}/{k}")]
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return [f"{where}: length {len(a)} != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{where}[{i}]")]
    if isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return []
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def test_differences_sees_types_order_and_values():
    """The comparison the freshness tests rely on tells apart what a stale copy could hold."""
    assert differences({"a": 1, "b": (2.0,)}, {"a": 1, "b": (2.0,)}) == []
    assert differences(28, 28.0) and differences((1,), [1]) and differences({"a": 1}, {"a": 2})
    assert differences({"a": 1, "b": 2}, {"b": 2, "a": 1})  # order of keys
    assert differences(MappingProxyType({}), {}) and differences(float("nan"), 1.0)
    assert differences(dt.date(2016, 3, 31), "2016-03-31")


# --- the shipped files' stored copies are current ----------------------------------------------


def _fresh_rules() -> tuple[policy.ReleaseRules, dict | None]:
    from toolkit.datafiles import tomllib
    from toolkit.review.rules_tables import validate_rules

    data = tomllib.loads(policy.default_rules_path().read_text(encoding="utf-8"))
    return validate_rules(data, policy.DEFAULT_LABEL)


def test_stored_rules_are_current_and_equal_a_fresh_validation():
    stored = policy.stored_rules()
    assert stored is not None, REBUILD
    fresh, _ = _fresh_rules()
    assert differences(fresh, stored) == [], REBUILD
    assert stored == fresh
    # and the stored text is what the rebuild would write now
    entry = json.loads(policy.STORED_RULES.read_text(encoding="utf-8"))
    assert entry["value"] == storedjson.encode(policy.stored_entry()), REBUILD
    assert entry["version"] == policy.RULES_VERSION


def test_stored_national_is_current_and_equals_a_fresh_validation():
    from toolkit.datafiles import tomllib
    from toolkit.national_tables import validate_national

    stored = nat.stored_national()
    assert stored is not None, REBUILD
    data = tomllib.loads(nat.default_national_path().read_text(encoding="utf-8"))
    fresh = validate_national(data, nat.DEFAULT_LABEL)
    assert differences(fresh, stored) == [], REBUILD
    assert stored == fresh
    entry = json.loads(nat.STORED_NATIONAL.read_text(encoding="utf-8"))
    assert entry["value"] == storedjson.encode(fresh) and entry["version"] == nat.NATIONAL_VERSION


def test_load_release_rules_gives_the_validated_rules():
    """The default load (stored copy) and the shipped file given by path (validated) are the
    same rules but for the label."""
    by_path = policy.load_release_rules(policy.default_rules_path())
    assert by_path.path == str(policy.default_rules_path())
    default = policy.load_release_rules()
    assert default.path == policy.DEFAULT_LABEL
    assert differences(dataclasses.replace(by_path, path=default.path), default) == []


# --- other bytes are validated ----------------------------------------------------------------


@pytest.fixture
def rules_copy(tmp_path, monkeypatch):
    """The shipped rules file copied, with the loader's default pointed at the copy."""
    path = tmp_path / "release_rules.toml"
    path.write_bytes(policy.default_rules_path().read_bytes())
    monkeypatch.setattr(policy, "default_rules_path", lambda: path)
    return path


def test_the_same_bytes_elsewhere_use_the_stored_copy(rules_copy):
    assert policy.stored_rules() is not None


def test_edited_rules_are_validated(rules_copy):
    text = rules_copy.read_text(encoding="utf-8")
    old = "\nnotice_probability = 0.8\n"
    assert old in text  # the shipped value this edit changes
    rules_copy.write_text(text.replace(old, "\nnotice_probability = 0.75\n"), encoding="utf-8")
    assert policy.stored_rules() is None
    assert policy.load_release_rules().notice_probability == 0.75
    # a value the declared tables refuse is refused, naming the key
    rules_copy.write_text(text.replace(old, "\nnotice_probability = 1.5\n"), encoding="utf-8")
    with pytest.raises(SpecError, match="between 0 and 1") as err:
        policy.load_release_rules()
    assert err.value.key == "executive.notice_probability"
    # a comment changes the bytes, not the rules: validated, the same rules
    rules_copy.write_text(text + "\n# a note\n", encoding="utf-8")
    assert policy.stored_rules() is None
    assert differences(_fresh_rules()[0], policy.load_release_rules()) == []


def test_a_stale_stored_copy_is_not_used(tmp_path, monkeypatch):
    """Another loader version, or a stored entry of fields ReleaseRules does not have, gives
    None (the file is validated), never an error or wrong rules."""
    stored = tmp_path / "rules.json"
    monkeypatch.setattr(policy, "STORED_RULES", stored)
    assert policy.stored_rules() is None  # missing
    policy.save_stored_rules()
    assert policy.stored_rules() is not None
    monkeypatch.setattr(policy, "RULES_VERSION", policy.RULES_VERSION + 1)
    assert policy.stored_rules() is None
    policy.save_stored_rules()
    entry = json.loads(stored.read_text(encoding="utf-8"))
    entry["value"]["$dict"]["fields"]["$dict"]["no_such_field"] = 1
    stored.write_text(json.dumps(entry), encoding="utf-8")
    assert policy.stored_rules() is None
    stored.write_text("{not json", encoding="utf-8")
    assert policy.stored_rules() is None
    assert policy.load_release_rules() == _fresh_rules()[0]


def test_edited_national_file_is_validated(tmp_path, monkeypatch):
    path = tmp_path / "national.toml"
    text = nat.default_national_path().read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(nat, "default_national_path", lambda: path)
    nat._load.cache_clear()
    assert nat.stored_national() is not None  # the same bytes
    old = "count = 6710"
    assert old in text
    path.write_text(text.replace(old, "count = 6711"), encoding="utf-8")
    assert nat.stored_national() is None
    assert nat.load_national().stock_at("2016-09-30").count == 6711
    path.write_text(text.replace(old, "count = -3"), encoding="utf-8")
    with pytest.raises(SpecError, match="positive whole number"):
        nat.load_national()
    nat._load.cache_clear()


# --- no pydantic for the shipped files ----------------------------------------------------------


def _modules_after(code: str) -> set[str]:
    probe = f"{code}; import sys; print(sorted(m for m in sys.modules if m.startswith('pydantic')))"
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return set(eval(r.stdout.strip().splitlines()[-1]))


def test_the_shipped_files_are_read_without_pydantic():
    assert not _modules_after("import toolkit.review.policy, toolkit.national")
    assert not _modules_after(
        "from toolkit.review.policy import load_release_rules; "
        "r = load_release_rules(); assert r.national['stock'] > 0"
    )


def test_simulate_on_the_shipped_rules_imports_no_pydantic(tmp_path):
    out = tmp_path / "rec.parquet"
    code = (
        "from toolkit.cli import main; "
        f"assert main(['simulate', '--n', '500', '--strategy', 'formal', '--seed', '1', "
        f"'--out', {str(out)!r}]) in (0, None)"
    )
    assert not _modules_after(code)


def test_a_file_given_by_path_is_validated():
    code = (
        "from toolkit.review.policy import load_release_rules, default_rules_path; "
        "load_release_rules(default_rules_path())"
    )
    assert "pydantic" in _modules_after(code)


def test_declared_models_stay_importable_where_they_were():
    from toolkit.national import NationalFile
    from toolkit.national_tables import NationalFile as declared_national
    from toolkit.review.policy import TYPE_KEYS, RulesFile
    from toolkit.review.rules_tables import TYPE_KEYS as declared_keys
    from toolkit.review.rules_tables import RulesFile as declared_rules

    assert (RulesFile, TYPE_KEYS, NationalFile) == (
        declared_rules,
        declared_keys,
        declared_national,
    )
    with pytest.raises(AttributeError):
        policy.no_such_name  # noqa: B018


# --- the storage format -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Point:
    x: float
    tags: tuple[str, ...] = ()


_ZONES = [None, dt.timezone.utc, dt.timezone(dt.timedelta(hours=5, minutes=30))]
#: every value a parsed TOML file holds (tomllib: str, int, float, bool, date, datetime with or
#: without an offset, time, list, dict), and what loaders build from them (tuple, None,
#: MappingProxyType, non-finite floats, dataclasses)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.dates(),
    st.datetimes(timezones=st.sampled_from(_ZONES)),
    st.times(),
    st.builds(Point, st.floats(), st.lists(st.text(max_size=3), max_size=3).map(tuple)),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=5), inner, max_size=4),
        st.dictionaries(st.text(max_size=5), inner, max_size=4).map(MappingProxyType),
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(_VALUES)
def test_storage_gives_every_value_back_with_its_type(value):
    text = json.dumps(storedjson.encode(value), ensure_ascii=False)
    back = storedjson.decode(json.loads(text), {"Point": Point})
    assert differences(value, back) == []


def test_storage_refuses_what_it_cannot_give_back():
    for bad in (np.float64(1.0), {1, 2}, {1: "a"}, np.arange(3), Path("x")):
        with pytest.raises(TypeError):
            storedjson.encode(bad)
    with pytest.raises(KeyError):  # a class the reader does not name is not built
        storedjson.decode(storedjson.encode(Point(1.0)), {})


def test_read_entry_keys_on_bytes_and_version(tmp_path):
    path = tmp_path / "e.json"
    storedjson.write_entry(path, source="f.toml", sha256="abc", version=2, value=(1, 2.5))
    assert storedjson.read_entry(path, sha256="abc", version=2, classes={}) == (1, 2.5)
    assert storedjson.read_entry(path, sha256="abd", version=2, classes={}) is None
    assert storedjson.read_entry(path, sha256="abc", version=3, classes={}) is None
    assert storedjson.read_entry(path, sha256=None, version=2, classes={}) is None
    assert storedjson.read_entry(tmp_path / "none", sha256="abc", version=2, classes={}) is None
    assert storedjson.file_sha256(tmp_path / "none") is None


@pytest.mark.slow
def test_the_wheel_ships_the_stored_copies_and_uses_them(installed_wheel, tmp_path):
    """Installed from the wheel (no source tree), the shipped files are read from their stored
    copies: the copies are in the wheel and the installed files' bytes match them."""
    import os
    import zipfile

    wheel, site = installed_wheel
    names = zipfile.ZipFile(wheel).namelist()
    assert {"toolkit/review/data/release_rules.json", "toolkit/review/data/national.json"} <= set(
        names
    )
    code = (
        "import sys; from toolkit.review.policy import load_release_rules, stored_rules; "
        "assert stored_rules() is not None; r = load_release_rules(); "
        "assert r.path.startswith('<default>/'); assert 'pydantic' not in sys.modules; "
        f"import toolkit; assert toolkit.__file__.startswith({str(site)!r}), toolkit.__file__"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert r.returncode == 0, r.stderr
