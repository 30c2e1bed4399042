"""Each fact has one home in the code (issue 24 item 1).

The default seed, the six-month and one-year band edges and the release law's "releasable
earlier" margin were once written as literals in several modules, so editing one copy left the
others disagreeing (records and calibration, for the margin). These tests read every module of
the package, so a copy added anywhere, in a module that does not exist yet, is found.
"""

from __future__ import annotations

import ast
import io
import re
import signal
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

from toolkit.categories import SIX_MONTHS_DAYS, YEAR_DAYS
from toolkit.defaults import DEFAULT_SEED

PACKAGE = Path(__file__).resolve().parents[1] / "toolkit"
SOURCES = sorted(PACKAGE.rglob("*.py"))


def _numbers(path: Path):
    """(line, token text, value) of every numeric literal in the code (not in strings or
    comments)."""
    text = path.read_text(encoding="utf-8")
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.NUMBER:
            try:
                value = ast.literal_eval(tok.string)
            except ValueError:  # pragma: no cover - every Python number literal evaluates
                continue
            yield tok.start[0], tok.string, value, tok.line.strip()


def _constant_definitions(path: Path) -> set[int]:
    """Lines where a module-level name is given a bare number (``NAME = 183``): the one place
    a fact is allowed to be written down."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.lineno
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, (int, float))
    }


def test_package_sources_found():
    # guards the scans below against passing vacuously on an empty file list
    assert len(SOURCES) > 50
    assert PACKAGE / "defaults.py" in SOURCES


def test_default_seed_written_once():
    """The default seed is written in one module; everything else imports the constant."""
    hits = [
        f"{p.relative_to(PACKAGE)}:{line}: {src}"
        for p in SOURCES
        for line, src in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if str(DEFAULT_SEED) in src
    ]
    assert len(hits) == 1 and hits[0].startswith("defaults.py:"), "\n".join(hits)
    assert hits[0].endswith(f"DEFAULT_SEED = {DEFAULT_SEED}")


@pytest.mark.parametrize("edge", [SIX_MONTHS_DAYS, YEAR_DAYS])
def test_band_edges_only_as_named_constants(edge):
    """183 and 365 days as integer literals only where a module names them (the band edges
    in categories.py, or another fact that happens to share the value, such as national.py's snapshot
    window). Floats such as ``/ 365.0`` (days to years) and 365.25 are units, not edges."""
    found = []
    for p in SOURCES:
        allowed = _constant_definitions(p)
        for line, _tok, value, src in _numbers(p):
            if isinstance(value, int) and value == edge and line not in allowed:
                found.append(f"{p.relative_to(PACKAGE)}:{line}: {src}")
    assert found == [], (
        "use toolkit.categories (or schema) SIX_MONTHS_DAYS / YEAR_DAYS:\n" + "\n".join(found)
    )


def test_releasable_margin_read_from_rules():
    """No "SED minus a number of days" literal: the margin is ``rules.releasable_margin_days``
    (release rules [calibration]), so the records and the calibration cannot disagree."""
    pattern = re.compile(r"\bsed\w*\s*-\s*\d", re.IGNORECASE)
    found = []
    for p in SOURCES:
        text = p.read_text(encoding="utf-8")
        code_lines = {line for line, *_ in _numbers(p)}
        for line, src in enumerate(text.splitlines(), 1):
            if line in code_lines and pattern.search(src.split("#")[0]):
                found.append(f"{p.relative_to(PACKAGE)}:{line}: {src.strip()}")
    assert found == [], "\n".join(found)


def test_releasable_margin_is_one_value(tmp_path):
    """The loader checks the margin and exposes it once; a changed file moves it."""
    from toolkit.exceptions import SpecError
    from toolkit.review.policy import default_rules_path, load_release_rules

    rules = load_release_rules()
    assert rules.releasable_margin_days == rules.calibration["releasable_margin_days"]
    text = default_rules_path().read_text(encoding="utf-8")
    assert text.count("releasable_margin_days = 28\n") == 1
    edited = tmp_path / "rules.toml"
    edited.write_text(
        text.replace("releasable_margin_days = 28\n", "releasable_margin_days = 14\n")
    )
    assert load_release_rules(edited).releasable_margin_days == 14
    edited.write_text(
        text.replace("releasable_margin_days = 28\n", "releasable_margin_days = -3\n")
    )
    with pytest.raises(SpecError, match="releasable_margin_days"):
        load_release_rules(edited)


def test_import_changes_no_signal_handler():
    """Importing the package (or its command-line module) from a library or a notebook leaves
    Ctrl-C handling alone; only the command line's start-up installs its handler."""
    code = (
        "import signal; before = signal.getsignal(signal.SIGINT); "
        "import toolkit, toolkit.cli, toolkit.review; "
        "print(signal.getsignal(signal.SIGINT) is before)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "True", out.stderr
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sensitivity_grid_is_read_from_the_rules(tmp_path):
    """The sensitivity analysis varies what the rules file's [calibration] sensitivity_grid
    lists (names and values), and the loader refuses a grid it could not run."""
    from toolkit.cohort.generate import generate_cohort
    from toolkit.exceptions import SpecError, UsageError
    from toolkit.review.calibration import sensitivity
    from toolkit.review.policy import default_rules_path, load_release_rules

    text = default_rules_path().read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("sensitivity_grid = "))
    edited = tmp_path / "rules.toml"
    # a grid written here, different from the shipped one in names, order and values
    edited.write_text(
        text.replace(line, "sensitivity_grid = { delay_parole_board = [30.0, 90.0] }"),
        encoding="utf-8",
    )
    cohort = generate_cohort(populations=["standard"], rng=DEFAULT_SEED)
    out = sensitivity(cohort, load_release_rules(edited), n=300, seed=1)
    assert list(zip(out["parameter"], out["value"], strict=True)) == [
        ("delay_parole_board", 30.0),
        ("delay_parole_board", 90.0),
    ]
    for bad, field in (
        ("{ horizon_days = [10.0] }", "horizon_days"),
        ("{ notice_probability = [1.5] }", "notice_probability"),
        ("{ delay_executive = [] }", "delay_executive"),
        ("[1, 2]", "sensitivity_grid"),
    ):
        edited.write_text(text.replace(line, f"sensitivity_grid = {bad}"), encoding="utf-8")
        with pytest.raises(SpecError, match=field):
            load_release_rules(edited)
    edited.write_text(text.replace(line + "\n", ""), encoding="utf-8")
    with pytest.raises(UsageError, match="sensitivity_grid"):
        sensitivity(cohort, load_release_rules(edited), n=300, seed=1)
