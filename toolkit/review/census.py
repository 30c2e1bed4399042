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
from toolkit.exceptions import CohortError, UsageError
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
    return build_census(
        # codes into RECALL_TYPES; -1 for other populations (e.g. other_sentenced)
        recall_type=_codes_into(cohort["population"], RECALL_TYPES),
        ogrs3_2yr=cohort["ogrs3_2yr"].to_numpy(float),
        rsr_2yr=cohort["rsr_2yr"].to_numpy(float),
        need_domains=cohort["need_domains"].astype("float64").to_numpy(),
        need_accommodation=cohort["need_accommodation"].astype("float64").to_numpy(),
        rosh=_codes_into(cohort["rosh"], ROSH_LEVELS),
        sex=_coded(cohort["sex"]),
        ethnicity=_coded(cohort["ethnicity"]),
        person_id=cohort["person_id"].to_numpy(),
        age=cohort["age"].to_numpy(float) if "age" in cohort else np.full(len(cohort), np.nan),
        unmet_programme=_unmet_programme(cohort),
    )


def read_arrow_census(path, fmt: str, plan: dict, min_rows: int) -> Census | None:
    """The :class:`Census` of a Parquet or CSV cohort read straight from Arrow into arrays, or
    None when a value may be one the schema refuses (see
    :func:`toolkit.review.arrow_census.read_arrow_columns`)."""
    from toolkit.review.arrow_census import read_arrow_columns  # pyarrow: only for a file

    cols = read_arrow_columns(path, fmt, plan, min_rows)
    if cols is None:
        return None
    return build_census(**cols | {k: Coded(*cols[k]) for k in ("sex", "ethnicity")})


def build_census(
    *,
    recall_type: np.ndarray,
    ogrs3_2yr: np.ndarray,
    rsr_2yr: np.ndarray,
    need_domains: np.ndarray,
    need_accommodation: np.ndarray,
    rosh: np.ndarray,
    sex: Coded,
    ethnicity: Coded,
    person_id: np.ndarray,
    age: np.ndarray,
    unmet_programme: np.ndarray,
) -> Census:
    """The :class:`Census` from a cohort's columns as arrays (numbers as float64 with NaN for
    missing, ``recall_type`` and ``rosh`` as codes into RECALL_TYPES and ROSH_LEVELS): the
    one place the model's derived columns (probabilities, standardised risk and need) are
    computed, whichever reader supplied the columns."""
    ogrs = np.clip(ogrs3_2yr / 100, 1e-4, 1 - 1e-4)
    return Census(
        n=int(ogrs.size),
        recall_type=np.asarray(recall_type, dtype=np.int64),
        ogrs=ogrs,
        rsr=np.clip(rsr_2yr / 100, 0, 1 - 1e-4),
        risk=(logit(ogrs) - RISK_CENTRE) / RISK_SCALE,
        need=np.nan_to_num((need_domains - 5.0) / 2.0),
        accommodation_need=np.nan_to_num(need_accommodation) >= 1,
        unmet_programme=unmet_programme,
        rosh=np.asarray(rosh, dtype=np.int64),
        sex=sex,
        ethnicity=ethnicity,
        person_id=person_id,
        age=age,
    )


#: Columns read from a user's cohort besides :data:`REQUIRED` and the programme rules' columns:
#: age (recorded on every record) and whether OASys data exist (checked as read_cohort checks
#: it, so a file a sibling command refuses is refused here too).
_ALSO_READ = ("age", "has_oasys")


def model_columns(rules) -> set[str]:
    """The cohort columns the model reads under programme ``rules``: :data:`REQUIRED`, age,
    has_oasys, and the columns of the rules' default readings and attendance."""
    want = set(REQUIRED) | set(_ALSO_READ) | {"attended_other_programme"}
    for p in rules.programmes:
        want.add(f"attended_{p.name}")
        want.update(c.column for c in p.reading("default"))
    return want


def read_census(path, *, min_rows: int = 1) -> Census:
    """A user's census cohort file, read for the simulation: only the columns the model uses
    (:data:`REQUIRED`, age, has_oasys, and the columns of the programme rules' default readings
    and attendance), each checked as :func:`toolkit.cohort.io.read_cohort` checks it (every bad
    value named by row, column and value), then prepared.

    Reading and checking all 49 columns of a 200,000-person cohort cost more CPU than
    simulating 2,000,000 episodes from it; the columns the model does not read are not read,
    and a Parquet or CSV file whose values are certainly valid goes from pyarrow straight to
    arrays (:mod:`toolkit.review.arrow_census`; same census, no DataFrame).

    Raises
    ------
    CohortError
        The file is missing or unreadable, lacks a required column, or holds bad values.
    """
    from toolkit.cohort.io import cohort_format, columns_for, read_table

    fmt = cohort_format(path)
    if fmt != "csv.gz":
        # straight from Arrow into arrays when every value is certainly valid; None sends the
        # file to the checked pandas reading below, which names every bad value
        census = read_arrow_census(path, fmt, stored_plan() or reading_plan(), min_rows)
        if census is not None:
            return census
    from toolkit.profile.rules import load_programme_rules

    rules = load_programme_rules()
    want = model_columns(rules)
    from toolkit.validation import validate_cohort

    df = read_table(path, keep=want)
    # the required columns are checked whether present or not (a missing one is named); the
    # programme columns only if present (without them there is no programme barrier)
    cols = tuple(
        c for c in columns_for(rules) if c.name in df.columns or c.name in (*REQUIRED, *_ALSO_READ)
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


def choose_census(
    cohort=None,
    profile=None,
    *,
    populations=("standard",),
    every_type: bool = True,
) -> tuple[Census, Census | None]:
    """The census a simulation or calibration reads, and the census of every recall type that
    gives the national stock mix (None: the default census, see
    :meth:`toolkit.review.engine.RecordStream.national`).

    Parameters
    ----------
    cohort : str, Path, DataFrame or Census, optional
        A user's census cohort: a file (:func:`read_census`: only the model's columns, checked)
        or a table. Its national stock mix is the default census's.
    profile : str, Path or ProfileSpec, optional
        A profile to generate the census from (seed :data:`CENSUS_SEED`); with ``every_type``
        the census of every recall type it describes, which is also its national stock mix.
    populations : sequence of str
        The recall types to be simulated: a profile must describe them.
    every_type : bool
        Neither given: True reads the stored default census of every recall type (identical to
        generating it, and cheaper than simulating 2,000,000 episodes from it); False generates
        ``populations`` only from the shipped profile, as a profile's are generated.

    Raises
    ------
    UsageError
        If both ``cohort`` and ``profile`` are given, or the profile lacks a recall type of
        ``populations``.
    CohortError
        If the cohort file is missing or holds bad values.
    """
    if cohort is not None and profile is not None:
        raise UsageError("give a cohort or a profile, not both")
    if cohort is not None:
        if isinstance(cohort, (str, Path)):
            return read_census(cohort), None
        return prepare_census(cohort), None
    if profile is None and every_type:
        census = default_census()
        return census, census
    from toolkit.cohort.generate import generate_cohort
    from toolkit.profile.spec import ProfileSpec, load_profile

    spec = profile if isinstance(profile, ProfileSpec) else load_profile(profile)
    # the recall types the profile describes (a profile may leave any of them out)
    types = [t for t in spec.populations if t in RECALL_TYPES]
    missing = [p for p in populations if p not in types]
    if missing:
        raise UsageError(
            f"{spec.path} has no {missing[0]} recalls to simulate; simulate one or more of: "
            f"{', '.join(types) or '(none: the profile has no recall types)'}"
        )
    if not every_type:
        return prepare_census(
            generate_cohort(spec, populations=list(populations), rng=CENSUS_SEED)
        ), None
    census = prepare_census(generate_cohort(spec, populations=types, rng=CENSUS_SEED))
    return census, census


def reading_plan(rules=None) -> dict:
    """What :func:`read_census`'s fast path needs to know, as plain data: each column the model
    reads with its kind, categories and allowed values (:class:`toolkit.schema.Column`), and each
    programme's default reading (:class:`toolkit.profile.rules.Condition`, as dicts).

    Building it imports the schema and the programme rules, and so pandas (0.24 s of CPU, more
    than reading a 200,000-person cohort); the shipped rules' plan is stored with the default
    census (:func:`stored_plan`) and a test checks it equals this.
    """
    from toolkit.cohort.io import columns_for
    from toolkit.profile.rules import load_programme_rules

    rules = load_programme_rules() if rules is None else rules
    want = model_columns(rules)

    def column(c) -> dict:
        kind = str(c.dtype)
        cats = getattr(c.dtype, "categories", None) if kind == "category" else None
        return {
            "name": c.name,
            "dtype": kind,
            "categories": None if cats is None else [str(x) for x in cats],
            "minimum": c.minimum,
            "maximum": c.maximum,
            "allowed": None if c.allowed is None else list(c.allowed),
            "nullable": bool(c.nullable),
            "unique": bool(c.unique),
        }

    def condition(c) -> dict:
        value = list(c.value) if isinstance(c.value, tuple) else c.value
        return {
            "column": c.column,
            "op": c.op,
            "value": value,
            "tuple": isinstance(c.value, tuple),
            "or_else": [condition(x) for x in c.or_else],
        }

    return {
        "columns": [column(c) for c in columns_for(rules) if c.name in want],
        "programmes": [
            {"name": p.name, "criteria": [condition(c) for c in p.reading("default")]}
            for p in rules.programmes
        ],
    }


def stored_plan() -> dict | None:
    """The shipped rules' :func:`reading_plan`, stored with the default census; None if the
    stored file is not current (its fingerprint differs) or has none."""
    import json

    try:
        with np.load(DATA_FILE, allow_pickle=False) as z:
            if str(z["_tag"]) != current_fingerprint() or "_plan" not in z:
                return None
            return json.loads(str(z["_plan"]))
    except (OSError, KeyError, ValueError):
        return None


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
    change). About 45 ms (the profile is large): TOML is parsed, no profile is validated;
    :func:`current_fingerprint` skips the parse when the bytes are unchanged."""
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


def input_bytes_key() -> str:
    """SHA-256 over the raw bytes of :data:`_INPUTS`, :data:`CENSUS_VERSION` and
    :data:`CENSUS_SEED`: a key that changes with any edit, comments included (reading the
    bytes costs well under a millisecond; parsing them for :func:`fingerprint` about 45 ms)."""
    from importlib import resources

    h = hashlib.sha256()
    papers = resources.files("toolkit.papers")
    for source, name in _INPUTS:
        h.update(f"{source}/{name}\0".encode() + (papers / source / name).read_bytes() + b"\0")
    h.update(f"version={CENSUS_VERSION}\0seed={CENSUS_SEED}".encode())
    return h.hexdigest()


def current_fingerprint() -> str:
    """:func:`fingerprint`, taken from the stored census when the inputs' bytes are the ones it
    was built from (:func:`input_bytes_key` stored beside it): equal bytes parse to equal data,
    so the parse is skipped on every ``simulate`` of the shipped inputs; after any edit the
    parsed fingerprint is computed, and a comment-only edit still finds the stored census
    current."""
    try:
        with np.load(DATA_FILE, allow_pickle=False) as z:
            if "_bytes" in z and str(z["_bytes"]) == input_bytes_key():
                return str(z["_tag"])
    except (OSError, KeyError, ValueError):
        pass
    return fingerprint()


def generate_default_census() -> Census:
    """Generate the default census (shipped profile, every recall type, :data:`CENSUS_SEED`)."""
    from toolkit.cohort.generate import generate_cohort

    return prepare_census(generate_cohort(populations=list(RECALL_TYPES), rng=CENSUS_SEED))


def save_census(
    census: Census,
    path: str | Path,
    tag: str = "",
    plan: dict | None = None,
    bytes_key: str | None = None,
) -> None:
    """Write a census's arrays to ``path`` (.npz, no pickle) with a ``tag`` (the fingerprint)
    and, if given, a :func:`reading_plan` (as JSON text) and the :func:`input_bytes_key` the
    tag was computed from."""
    import json

    arrays = {"_tag": np.array(tag)}
    if bytes_key is not None:
        arrays["_bytes"] = np.array(bytes_key)
    if plan is not None:
        arrays["_plan"] = np.array(json.dumps(plan, sort_keys=True))
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
    stored = load_census(DATA_FILE, current_fingerprint())
    return stored if stored is not None else generate_default_census()


def main() -> None:  # pragma: no cover - maintenance command, run by hand
    """Rebuild what is stored in ``toolkit/review/data``: the default census and its reading plan
    (see the module docstring), and the shipped release rules and national model as validated
    (:func:`toolkit.review.policy.save_stored_rules`,
    :func:`toolkit.national.save_stored_national`)."""
    from toolkit.national import save_stored_national
    from toolkit.review.policy import save_stored_rules

    DATA_FILE.parent.mkdir(exist_ok=True)
    save_census(
        generate_default_census(), DATA_FILE, fingerprint(), reading_plan(), input_bytes_key()
    )
    print(f"wrote {DATA_FILE}")
    print(f"wrote {save_stored_national()}")
    print(f"wrote {save_stored_rules()}")
