"""The census the review model reads: a cohort's model columns as arrays, and the default census.

:func:`prepare_census` reads the columns the simulation uses from any census cohort once.
:func:`default_census` returns the default census of every recall type (the shipped profile,
seed :data:`CENSUS_SEED`), which ``simulate`` uses when no cohort is given and
:mod:`toolkit.review.national` uses for the national stock mix. Generating it costs about 2 s
(the programme columns are an integer programme), more than the whole simulation of 2,000,000
episodes, so its model columns are stored in ``toolkit/review/data/default_census.npz`` (5,125
rows, no pickle) with a fingerprint of what they are made from: the parsed profile, programme
rules and OGRS3 coefficients, the seed and :data:`CENSUS_VERSION`. If any of them differs the
census is generated instead (same result, slower); a test checks the stored file equals a freshly
generated census. After a change to the generator that changes the census, raise
:data:`CENSUS_VERSION` and rebuild; after a change to the profile, rebuild::

    python -c "import toolkit.review.census as c; c.main()"
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

import numpy as np

from toolkit.categories import RECALL_TYPES
from toolkit.defaults import DEFAULT_SEED
from toolkit.exceptions import CohortError
from toolkit.mathfn import logit
from toolkit.review.policy import ROSH_LEVELS

REQUIRED = (
    "population",
    "ogrs3_2yr",
    "rsr_2yr",
    "need_domains",
    "need_accommodation",
    "rosh",
    "sex",
    "ethnicity",
    "person_id",
)


#: Standardisation of logit(OGRS3 2-year) for the risk loading: fixed constants (about the
#: standard-recall mean), so an episode's draws do not depend on who else is sampled.
RISK_CENTRE, RISK_SCALE = logit(0.62), 1.0
#: Seed of the default census (the same as the reference cohort's).
CENSUS_SEED = DEFAULT_SEED
DATA_FILE = Path(__file__).parent / "data" / "default_census.npz"


@dataclass(frozen=True)
class Coded:
    """A categorical column as integer codes into ``categories`` (no pandas needed to read it)."""

    codes: np.ndarray
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Census:
    """The census columns the model reads, as arrays (built once per cohort)."""

    n: int
    recall_type: np.ndarray  # codes into schema.RECALL_TYPES; -1 for other populations
    ogrs: np.ndarray  # 0-1
    rsr: np.ndarray
    risk: np.ndarray  # standardised logit OGRS3
    need: np.ndarray  # standardised need domains
    accommodation_need: np.ndarray
    unmet_programme: np.ndarray
    rosh: np.ndarray  # codes into ROSH_LEVELS (-1 unknown)
    sex: Coded
    ethnicity: Coded
    person_id: np.ndarray
    age: np.ndarray


def _coded(col) -> Coded:
    import pandas as pd

    cat = pd.Categorical(col)
    return Coded(np.asarray(cat.codes), tuple(str(c) for c in cat.categories))


def prepare_census(cohort) -> Census:
    """Read the model's columns from a census cohort (a DataFrame) once (vectorised)."""
    if isinstance(cohort, Census):
        return cohort

    missing = [c for c in REQUIRED if c not in cohort.columns]
    if missing:
        raise CohortError(
            f"cohort lacks column(s) {', '.join(missing)} needed by the simulation; "
            "use a cohort from `recall-toolkit generate`"
        )
    # codes into RECALL_TYPES; -1 for other populations (e.g. other_sentenced)
    pop_codes = _codes_into(cohort["population"], RECALL_TYPES)
    ogrs = np.clip(cohort["ogrs3_2yr"].to_numpy(float) / 100, 1e-4, 1 - 1e-4)
    rsr = np.clip(cohort["rsr_2yr"].to_numpy(float) / 100, 0, 1 - 1e-4)
    need = np.nan_to_num((cohort["need_domains"].astype("float64").to_numpy() - 5.0) / 2.0)
    accom = np.nan_to_num(cohort["need_accommodation"].astype("float64").to_numpy()) >= 1
    rosh = _codes_into(cohort["rosh"], ROSH_LEVELS)
    age = cohort["age"].to_numpy(float) if "age" in cohort else np.full(len(cohort), np.nan)
    return Census(
        n=len(cohort),
        recall_type=np.asarray(pop_codes, dtype=np.int64),
        ogrs=ogrs,
        rsr=rsr,
        risk=(logit(ogrs) - RISK_CENTRE) / RISK_SCALE,
        need=need,
        accommodation_need=accom,
        unmet_programme=_unmet_programme(cohort),
        rosh=np.asarray(rosh, dtype=np.int64),
        sex=_coded(cohort["sex"]),
        ethnicity=_coded(cohort["ethnicity"]),
        person_id=cohort["person_id"].to_numpy(),
        age=age,
    )


#: Columns read from a user's cohort besides :data:`REQUIRED` and the programme rules' columns:
#: age (recorded on every record) and whether OASys data exist (checked as read_cohort checks
#: it, so a file a sibling command refuses is refused here too).
_ALSO_READ = ("age", "has_oasys")


def read_census(path, *, min_rows: int = 1) -> Census:
    """A user's census cohort file, read for the simulation: only the columns the model uses
    (:data:`REQUIRED`, age, has_oasys, and the columns of the programme rules' default readings
    and attendance), each checked as :func:`toolkit.cohort.io.read_cohort` checks it (every bad
    value named by row, column and value), then prepared.

    Reading and checking all 49 columns of a 200,000-person cohort cost more CPU than
    simulating 2,000,000 episodes from it; the columns the model does not read are not read.

    Raises
    ------
    CohortError
        The file is missing or unreadable, lacks a required column, or holds bad values.
    """
    from pathlib import Path

    import pandas as pd

    from toolkit.cohort.io import cohort_format, columns_for
    from toolkit.profile.rules import load_programme_rules
    from toolkit.validation import validate_cohort

    rules = load_programme_rules()
    want = set(REQUIRED) | set(_ALSO_READ) | {"attended_other_programme"}
    for p in rules.programmes:
        want.add(f"attended_{p.name}")
        want.update(c.column for c in p.reading("default"))
    fmt = cohort_format(path)
    p = Path(path)
    if not p.is_file():
        raise CohortError(f"{path}: no such cohort file")
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            names = pq.read_schema(p).names
            df = pd.read_parquet(p, columns=[c for c in names if c in want])
        else:
            df = pd.read_csv(p, low_memory=False, usecols=lambda c: c in want)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad input file
        raise CohortError(f"{path}: cannot be read as {fmt} ({exc})") from None
    # the required columns are checked whether present or not (a missing one is named); the
    # programme columns only if present (without them there is no programme barrier)
    cols = tuple(
        c for c in columns_for() if c.name in df.columns or c.name in (*REQUIRED, *_ALSO_READ)
    )
    # validate_cohort screens every value against its declaration in one vectorised pass and
    # converts without pandera when all pass; otherwise it names every bad value
    return prepare_census(validate_cohort(df, str(path), min_rows=min_rows, columns=cols))


def _codes_into(col, names: tuple[str, ...]) -> np.ndarray:
    """Codes of a column's values into ``names`` (-1: not among them or missing). A categorical
    column maps its few categories, not its 200,000 values (converting every value to a string
    cost a third of preparing a user's census)."""
    import pandas as pd

    if isinstance(col.dtype, pd.CategoricalDtype):
        lookup = pd.Index(names).get_indexer([str(c) for c in col.cat.categories])
        codes = col.cat.codes.to_numpy()
        return np.where(codes >= 0, lookup[codes], -1).astype(np.int64)
    return np.asarray(pd.Index(names).get_indexer(col.astype(str)), dtype=np.int64)


def _unmet_programme(cohort) -> np.ndarray:
    """Unmet accredited-programme need (suitable under the default Table 2 readings, attended
    neither that programme nor another one); all False for a cohort without programme columns.

    The same reading as ``toolkit.needs.gap.outcome_matrix``, computed here from the programme
    rules so that the simulation does not import the needs-gap statistics (scipy.stats,
    statsmodels: about a second at start-up).
    """
    from toolkit.profile.rules import load_programme_rules, suitability

    rules = load_programme_rules()
    att_cols = [f"attended_{p.name}" for p in rules.programmes]
    if any(c not in cohort.columns for c in (*att_cols, "attended_other_programme")):
        return np.zeros(len(cohort), dtype=bool)
    try:
        suit = suitability(cohort, rules, "default").to_numpy()
    except (KeyError, ValueError, CohortError):  # no suitability columns: no such barrier
        return np.zeros(len(cohort), dtype=bool)
    att = cohort[att_cols].to_numpy(dtype=bool)
    any_att = att.any(axis=1) | cohort["attended_other_programme"].to_numpy(dtype=bool)
    return np.asarray((suit & ~att & ~any_att[:, None]).any(axis=1))


# --- the stored default census ------------------------------------------------------------------

#: The paper files the default census is made from: the profile, the programme rules (the
#: programme columns and the unmet-programme reading) and the OGRS3 coefficients.
_INPUTS = (
    ("recall_process_experience", "profile.toml"),
    ("recall_process_experience", "programmes.toml"),
    ("howard_2009_ogrs3", "ogrs3.toml"),
)
#: Version of the generator: raise it with any change to ``toolkit/cohort``, ``toolkit/profile``
#: or this module that changes the generated census (a test compares the stored census with a
#: freshly generated one and fails until the file is rebuilt and this is raised).
CENSUS_VERSION = 2


def fingerprint() -> str:
    """SHA-256 over what the default census depends on: the parsed inputs (:data:`_INPUTS` as
    data, so a comment or layout edit leaves it unchanged), :data:`CENSUS_VERSION` and
    :data:`CENSUS_SEED`. Installed library versions and source text are not in it (another
    numpy or pandas reads the same stored arrays; the test above guards against a generator
    change). About a millisecond: TOML is parsed, no profile is validated."""
    import json
    from importlib import resources

    from toolkit.datafiles import tomllib

    h = hashlib.sha256()
    papers = resources.files("toolkit.papers")
    for source, name in _INPUTS:
        data = tomllib.loads((papers / source / name).read_text(encoding="utf-8"))
        text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=True)
        h.update(f"{source}/{name}\0{text}\0".encode())
    h.update(f"version={CENSUS_VERSION}\0seed={CENSUS_SEED}".encode())
    return h.hexdigest()


def generate_default_census() -> Census:
    """Generate the default census (shipped profile, every recall type, :data:`CENSUS_SEED`)."""
    from toolkit.cohort.generate import generate_cohort

    return prepare_census(generate_cohort(populations=list(RECALL_TYPES), rng=CENSUS_SEED))


def save_census(census: Census, path: str | Path, tag: str = "") -> None:
    """Write a census's arrays to ``path`` (.npz, no pickle) with a ``tag`` (the fingerprint)."""
    arrays = {"_tag": np.array(tag)}
    for f in fields(Census):
        v = getattr(census, f.name)
        if isinstance(v, Coded):
            arrays[f"{f.name}.codes"] = v.codes
            arrays[f"{f.name}.categories"] = np.array(v.categories, dtype=str)
        elif f.name != "n":
            arrays[f.name] = v
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)


def load_census(path: str | Path, tag: str | None = None) -> Census | None:
    """The census stored at ``path``; None if it is missing or its tag is not ``tag``."""
    try:
        with np.load(path, allow_pickle=False) as z:
            if tag is not None and str(z["_tag"]) != tag:
                return None
            data = {}
            for f in fields(Census):
                if f.name == "n":
                    continue
                if f"{f.name}.codes" in z:
                    cats = tuple(str(c) for c in z[f"{f.name}.categories"])
                    data[f.name] = Coded(z[f"{f.name}.codes"], cats)
                else:
                    data[f.name] = z[f.name]
    except (OSError, KeyError, ValueError):
        return None
    return Census(n=int(data["recall_type"].size), **data)


@lru_cache(maxsize=1)
def default_census() -> Census:
    """The default census of every recall type: the stored copy if it is current, else
    generated (see the module docstring)."""
    stored = load_census(DATA_FILE, fingerprint())
    return stored if stored is not None else generate_default_census()


def main() -> None:  # pragma: no cover - maintenance command, run by hand
    """Rebuild the stored default census (see the module docstring)."""
    DATA_FILE.parent.mkdir(exist_ok=True)
    save_census(generate_default_census(), DATA_FILE, fingerprint())
    print(f"wrote {DATA_FILE}")
