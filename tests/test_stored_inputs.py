"""The shipped profile and programme rules, stored as validated and audited (issue 23 item 5).

``generate`` on the shipped files builds the profile and the rules from a stored copy of their
validation (``toolkit/profile/data/shipped_inputs.json``, :mod:`toolkit.profile.stored`) instead
of importing pydantic and auditing the profile on every run. These tests check: the stored copy
equals a fresh validation of the shipped files, field by field with their types (so forgetting
to rebuild after editing either file fails here); other bytes, a stale entry and every file
given by path are validated and audited as before; the shipped files reach the generator
without pydantic.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from profile_maker import figures, make_truth, to_toml
from test_stored_loaders import differences

from toolkit import storedjson
from toolkit.profile import stored
from toolkit.profile.audit import ProfileContradictionError
from toolkit.profile.load import load_profile
from toolkit.profile.model import default_profile_path
from toolkit.profile.rules import load_programme_rules

ROOT = Path(__file__).parents[1]
REBUILD = "stale: rebuild with python -m toolkit.profile.stored"


def test_stored_inputs_are_current_and_equal_a_fresh_validation():
    got = stored.stored_inputs()
    assert got is not None, REBUILD
    spec, rules = got
    fresh_spec, fresh_rules = load_profile(), load_programme_rules()
    assert differences(fresh_spec, spec) == [], REBUILD
    assert differences(fresh_rules, rules) == [], REBUILD
    assert (spec, rules) == (fresh_spec, fresh_rules)
    # the index of targets by id is the targets themselves, as load_profile builds it
    assert all(spec.target(t.id) is t for t in spec.targets)
    # and the stored text is what the rebuild would write now
    entry = json.loads(stored.STORED_INPUTS.read_text(encoding="utf-8"))
    assert entry["value"] == storedjson.encode(stored.stored_entry()), REBUILD
    assert entry["version"] == stored.STORED_VERSION


def test_default_inputs_are_the_stored_ones_and_a_path_is_validated():
    spec, rules = stored.load_generator_inputs()
    assert (spec, rules) == stored.stored_inputs()
    by_path = stored.load_generator_inputs(default_profile_path())
    assert by_path[0].path == str(default_profile_path())
    assert differences(dataclasses.replace(by_path[0], path=spec.path), spec) == []
    assert differences(by_path[1], rules) == []


def test_edited_bytes_are_not_read_from_the_stored_copy(tmp_path, monkeypatch):
    """The entry is keyed by both files' bytes: a changed byte in either is validated."""
    for name in ("default_profile_path", "default_rules_path"):
        path = tmp_path / f"{name}.toml"
        path.write_bytes(getattr(stored, name)().read_bytes())
        with monkeypatch.context() as m:
            m.setattr(stored, name, lambda path=path: path)
            assert stored.stored_inputs() is not None  # the same bytes elsewhere
            path.write_bytes(path.read_bytes() + b"\n# a note\n")
            assert stored.stored_inputs() is None


def test_a_stale_stored_copy_is_not_used(tmp_path, monkeypatch):
    """Another version, or an entry of fields the classes do not have, gives None (the files
    are validated and audited), never an error or other inputs."""
    path = tmp_path / "inputs.json"
    monkeypatch.setattr(stored, "STORED_INPUTS", path)
    assert stored.stored_inputs() is None  # missing
    stored.save_stored_inputs()
    assert stored.stored_inputs() is not None
    monkeypatch.setattr(stored, "STORED_VERSION", stored.STORED_VERSION + 1)
    assert stored.stored_inputs() is None
    stored.save_stored_inputs()
    entry = json.loads(path.read_text(encoding="utf-8"))
    entry["value"]["$dict"]["spec"]["$dict"]["no_such_field"] = 1
    path.write_text(json.dumps(entry), encoding="utf-8")
    assert stored.stored_inputs() is None
    path.write_text("{not json", encoding="utf-8")
    assert stored.stored_inputs() is None
    assert stored.load_generator_inputs() == (load_profile(), load_programme_rules())


def test_a_contradicting_profile_is_refused(tmp_path):
    """A profile given by path is audited as before the stored copy: recall reasons summing to
    104% are refused, naming the finding."""
    figs = figures(make_truth({"standard": 400, "fixed_term": 100}, np.random.default_rng(5)))
    f = next(f for f in figs if f["id"] == "recall_reason.non_compliance.all_recalled")
    f["value"] += 4
    f["printed"] = f"{f['value']:.{f['decimals']}f}"
    path = tmp_path / "p.toml"
    path.write_text(to_toml("a user's profile", figs), encoding="utf-8")
    with pytest.raises(ProfileContradictionError, match="share_sum.recall_reason.all_recalled"):
        stored.load_generator_inputs(path)


def _pydantic_after(code: str) -> list[str]:
    probe = f"{code}; import sys; print(sorted(m for m in sys.modules if m.startswith('pydantic')))"
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return eval(r.stdout.strip().splitlines()[-1])


def test_generate_on_the_shipped_files_imports_no_pydantic(tmp_path):
    out = tmp_path / "c.parquet"
    code = (
        "from toolkit.cli import main; "
        f"assert main(['generate', '--population', 'hdc', '--seed', '1', '--out', {str(out)!r}])"
        " in (0, None)"
    )
    assert _pydantic_after(code) == []
    assert out.exists()
