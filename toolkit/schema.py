"""The cohort schema: one place that names every column, its type and its meaning.

A cohort is a :class:`pandas.DataFrame` with one row per person. Categorical columns use
:class:`pandas.CategoricalDtype` with the fixed category order given here, so files written by
different runs compare equal and plots keep a stable order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

# POPULATIONS (the published Appendix's, in print order, plus the rest of the sentenced
# population) and RECALL_TYPES live in toolkit.categories, which imports nothing, so that the
# simulation can name them without importing pandas.
from toolkit.categories import POPULATIONS, RECALL_TYPES, SIX_MONTHS_DAYS, YEAR_DAYS  # noqa: F401
from toolkit.conditions import parse_condition

#: Population groups a published figure can refer to, as lists of populations.
GROUPS: dict[str, tuple[str, ...]] = {
    **{p: (p,) for p in POPULATIONS},
    "all_recalled": RECALL_TYPES,
    "all_prisoners": POPULATIONS,
    "not_standard": tuple(p for p in POPULATIONS if p != "standard"),
}

SEXES = ("male", "female")
ETHNICITIES = ("white", "black", "asian", "mixed", "other")
ROSH_LEVELS = ("low", "medium", "high", "very_high")
RECALL_REASONS = ("non_compliance", "further_charge", "failure_to_reside", "out_of_touch", "other")

#: OGRS3 current-offence categories (Howard et al. 2009), used as ``index_offence``.
INDEX_OFFENCES = (
    "violence",
    "robbery",
    "public_order",
    "sexual_not_child",
    "sexual_child",
    "soliciting",
    "burglary_domestic",
    "burglary_other",
    "theft",
    "handling",
    "fraud",
    "absconding_bail",
    "taking_vehicle",
    "theft_from_vehicle",
    "other_motoring",
    "drink_driving",
    "criminal_damage",
    "drug_import_production",
    "drug_possession_supply",
    "other",
)
#: The four groups the paper prints for standard recalls (29/15/22/34%).
INDEX_OFFENCE_GROUPS = ("violence", "robbery", "acquisitive", "other")
#: The offences of each printed group but ``other``, which holds every offence not named here.
_NAMED_GROUP_MEMBERS: dict[str, tuple[str, ...]] = {
    "violence": ("violence",),
    "robbery": ("robbery",),
    "acquisitive": (
        "burglary_domestic",
        "burglary_other",
        "theft",
        "handling",
        "fraud",
        "taking_vehicle",
        "theft_from_vehicle",
    ),
}
OFFENCE_TO_GROUP: dict[str, str] = {
    **{o: g for g, members in _NAMED_GROUP_MEMBERS.items() for o in members},
    **{
        o: "other"
        for o in INDEX_OFFENCES
        if not any(o in members for members in _NAMED_GROUP_MEMBERS.values())
    },
}

DAYS_ON_RECALL_BANDS = ("under_6m", "6_to_12m", "over_12m")

NEED_ITEMS: tuple[str, ...] = (
    "need_accommodation",
    "need_unemployed",
    "need_relationship",
    "need_dv_perpetrator",
    "need_drugs_ever",
    "need_class_a",
    "need_problem_drinking",
    "need_binge_drinking",
    "need_impulsivity",
    "need_temper",
    "need_problem_solving",
    "need_procriminal_attitudes",
)
NEED_ITEM_LABELS: dict[str, str] = dict(
    zip(
        NEED_ITEMS,
        (
            "Accommodation problems",
            "Unemployed",
            "Problematic relationship",
            "Perpetrator of domestic violence",
            "Drugs ever used",
            "Class A drug misuse",
            "Problematic drinking",
            "Recent binge drinking",
            "Impulsivity",
            "Poor temper control",
            "Poor problem solving",
            "Procriminal attitudes",
        ),
    )
)


@lru_cache(maxsize=1)
def default_programmes() -> tuple[str, ...]:
    """Names of the programmes in the shipped programme rules (``papers/.../programmes.toml``).

    The programme list is data: a cohort's ``attended_<programme>`` columns, a caseload's
    programme names and the needs-gap rows all follow the programme rules in force
    (``--rules FILE``); this is only the default, read from the shipped file, in file order.
    """
    from toolkit.datafiles import read_toml

    data, _ = read_toml(None, "recall_process_experience", "programmes.toml")
    return tuple(data.get("programmes", {}))


SCORES = ("ogrs3_1yr", "ogrs3_2yr", "ogrs4v_2yr", "osp_2yr", "rsr_2yr")


#: Plausible ranges used when a cohort is *read* (toolkit.validation). They refuse impossible
#: values, not unusual ones, so they are wide and not fitted to any one profile.
#: Ages: the youngest people counted in the prison population are 15 (young offender
#: institutions, Offender Management Statistics); 110 is above any recorded prisoner (*assumed*).
AGE_RANGE = (15, 110)
#: Age of criminal responsibility in England and Wales: 10 (Children and Young Persons Act 1933
#: s.50, as amended by the Children and Young Persons Act 1963 s.16).
MIN_AGE_FIRST_SANCTION = 10
#: Scores (OGRS3, OGRS4/v, OSP, RSR, OVP) are probabilities in percent.
PERCENT_RANGE = (0.0, 100.0)
#: Figure 1 need items are scored 0 (none), 1 (moderate) or 2 (significant).
NEED_ITEM_VALUES = (0, 1, 2)
#: The count of OASys criminogenic need domains this cohort records runs from 0 to 10.
NEED_DOMAINS_RANGE = (0, 10)


@dataclass(frozen=True)
class Column:
    """One cohort column: its name, pandas dtype and meaning, and what values it may hold.

    ``minimum``/``maximum`` bound numbers (inclusive), ``allowed`` lists the only values a
    number may take, ``nullable`` says whether a value may be missing and ``unique`` whether
    values must differ between rows. Categorical columns take their allowed values from their
    dtype's categories. :mod:`toolkit.validation` builds its checks from these fields.
    """

    name: str
    dtype: object
    description: str
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple | None = None
    nullable: bool = False
    unique: bool = False


def _cat(values: tuple[str, ...]) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(values), ordered=False)


#: Every column of a generated cohort but the programme attendance columns (which follow the
#: programme rules in force, see :func:`cohort_columns`), in file order. The names are a public
#: contract.
BASE_COLUMNS: tuple[Column, ...] = (
    Column("person_id", "int64", "Row identifier, 1..N, unique within a cohort.", 1, unique=True),
    Column("population", _cat(POPULATIONS), "Appendix recall type, or other_sentenced."),
    Column(
        "recall_type",
        _cat(RECALL_TYPES),
        "Recall type; missing for other_sentenced.",
        nullable=True,
    ),
    Column("sex", _cat(SEXES), "Sex as recorded on NOMIS."),
    Column("ethnicity", _cat(ETHNICITIES), "Broad ethnic group (white share published)."),
    Column(
        "age",
        "int64",
        "Age in completed years on the census day (31 March 2014).",
        *AGE_RANGE,
    ),
    Column(
        "age_at_first_sanction",
        "float64",
        "Age at first sanction, years (age minus career).",
        MIN_AGE_FIRST_SANCTION,
        AGE_RANGE[1],
    ),
    Column(
        "years_since_first_sanction",
        "float64",
        "Years from first sanction to census day.",
        0,
        AGE_RANGE[1] - MIN_AGE_FIRST_SANCTION,
    ),
    Column("previous_sanctions", "int64", "Sanctions before the index one (OGRS3 Copas input).", 0),
    Column("previous_breaches", "int64", "Previous breaches of court orders or licence.", 0),
    Column("index_offence", _cat(INDEX_OFFENCES), "Index offence, OGRS3 offence category."),
    Column(
        "index_offence_group", _cat(INDEX_OFFENCE_GROUPS), "Paper's offence grouping (29/15/22/34)."
    ),
    Column(
        "ogrs3_1yr",
        "float64",
        "OGRS3 1-year proven reoffending probability, percent.",
        *PERCENT_RANGE,
    ),
    Column(
        "ogrs3_2yr",
        "float64",
        "OGRS3 2-year proven reoffending probability, percent.",
        *PERCENT_RANGE,
    ),
    Column("ogrs4v_2yr", "float64", "OGRS4/v 2-year violent reoffending, percent.", *PERCENT_RANGE),
    Column(
        "osp_2yr", "float64", "OASys Sexual reoffending Predictor, 2-year, percent.", *PERCENT_RANGE
    ),
    Column("rsr_2yr", "float64", "Risk of Serious Recidivism, 2-year, percent.", *PERCENT_RANGE),
    Column("rosh", pd.CategoricalDtype(list(ROSH_LEVELS), ordered=True), "Risk of Serious Harm."),
    Column(
        "recall_reason",
        _cat(RECALL_REASONS),
        "Primary recorded recall reason; missing for other_sentenced.",
        nullable=True,
    ),
    # Whole days stored as float64 so that "unknown" is NaN: a share such as
    # (days_on_recall < 183).mean() then keeps unknowns in the denominator, as the paper's
    # "57% of the standard recall group" does, and CSV and Parquet read back alike.
    Column(
        "days_on_recall",
        "float64",
        "Whole days back in custody at census; NaN if unknown.",
        0,
        nullable=True,
    ),
    Column(
        "days_to_sed",
        "float64",
        "Whole days from census to SED; NaN if none (life, IPP).",
        0,
        nullable=True,
    ),
    Column("has_oasys", "bool", "Sufficient OASys data for the need items."),
    *(
        Column(
            i,
            "Int64",
            "Figure 1 item score: 0 none, 1 moderate, 2 significant; NA without OASys.",
            allowed=NEED_ITEM_VALUES,
            nullable=True,
        )
        for i in NEED_ITEMS
    ),
    Column(
        "need_domains",
        "Int64",
        "OASys criminogenic need domains with significant need (0-10).",
        *NEED_DOMAINS_RANGE,
        nullable=True,
    ),
    # Programme-rule inputs and attendance (issue 4); all assumed, see programmes.toml.
    Column(
        "ovp_2yr",
        "float64",
        "OASys Violence Predictor, 2-year, percent (assumed bands).",
        *PERCENT_RANGE,
        nullable=True,
    ),
    Column(
        "violent_history",
        "boolean",
        "Any violent conviction in the record; NA without OASys.",
        nullable=True,
    ),
    Column(
        "acquisitive_history",
        "boolean",
        "Any acquisitive conviction; NA without OASys.",
        nullable=True,
    ),
    Column(
        "mainly_acquisitive_record",
        "boolean",
        "Most convictions acquisitive; NA without OASys.",
        nullable=True,
    ),
    Column(
        "dv_offence_link",
        "boolean",
        "OASys: current offence linked to partner violence.",
        nullable=True,
    ),
    Column(
        "alcohol_violence_link", "boolean", "OASys: violence linked to alcohol use.", nullable=True
    ),
    Column(
        "drug_offending_link", "boolean", "OASys: drug misuse linked to offending.", nullable=True
    ),
)


def attendance_columns(programmes: Iterable[str]) -> tuple[Column, ...]:
    """``attended_<programme>`` for each programme of the rules in force, then
    ``attended_other_programme``. With the default rules the names are a public contract."""
    return (
        *(
            Column(f"attended_{p}", "bool", f"Attended {p.replace('_', ' ')} in this sentence.")
            for p in programmes
        ),
        Column("attended_other_programme", "bool", "Attended an accredited programme not listed."),
    )


def cohort_columns(
    programmes: Iterable[str] | None = None,
    categories: Mapping[str, Sequence[str]] | None = None,
) -> tuple[Column, ...]:
    """Every column of a cohort built under given programme rules and profile categories.

    Parameters
    ----------
    programmes : iterable of str, optional
        Programme names of the rules in force (default: the shipped rules,
        :func:`default_programmes`). Each gives an ``attended_<programme>`` column.
    categories : mapping, optional
        Column -> categories for categorical variables whose categories a profile declares
        (e.g. an extra ethnic group, see ``ProfileSpec.categories``); the others keep the
        schema's default categories.

    Returns
    -------
    tuple of Column
        In file order; with no arguments, :data:`COLUMNS`.
    """
    progs = default_programmes() if programmes is None else tuple(programmes)
    cats = tuple((k, tuple(v)) for k, v in (categories or {}).items())
    return _cohort_columns(progs, cats)


@lru_cache(maxsize=16)
def _cohort_columns(progs: tuple[str, ...], categories: tuple) -> tuple[Column, ...]:
    cols = [*BASE_COLUMNS, *attendance_columns(progs)]
    declared = dict(categories)
    for i, c in enumerate(cols):
        if c.name in declared and isinstance(c.dtype, pd.CategoricalDtype):
            cats = list(declared[c.name])
            if cats != list(c.dtype.categories):
                dtype = pd.CategoricalDtype(cats, ordered=c.dtype.ordered)
                cols[i] = dataclasses.replace(c, dtype=dtype)
    return tuple(cols)


def __getattr__(name: str):
    # COLUMNS, COLUMN_NAMES and DTYPES describe a cohort under the shipped programme rules;
    # computed on first use so the programme names are read from the data file, not written here.
    if name == "COLUMNS":
        return cohort_columns()
    if name == "COLUMN_NAMES":
        return tuple(c.name for c in cohort_columns())
    if name == "DTYPES":
        return {c.name: c.dtype for c in cohort_columns()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def apply_dtypes(df: pd.DataFrame, columns: Iterable[Column] | None = None) -> pd.DataFrame:
    """Return ``df`` with schema dtypes and column order (extra columns kept at the end).

    Parameters
    ----------
    df : pandas.DataFrame
        A cohort read from CSV or Parquet, or under construction.
    columns : iterable of Column, optional
        The cohort's columns (:func:`cohort_columns`); default :data:`COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        The same data with the documented dtypes.
    """
    columns = cohort_columns() if columns is None else tuple(columns)
    out = df.copy(deep=False)  # copy-on-write: only converted columns are new memory
    for c in columns:
        if c.name in out.columns and out[c.name].dtype != c.dtype:
            out[c.name] = out[c.name].astype(c.dtype)
    names = [c.name for c in columns]
    extra = [c for c in out.columns if c not in names]
    order = [c for c in names if c in out.columns] + extra
    # selecting columns copies every block; skip it when the order is already right
    return out if list(out.columns) == order else out[order]


# --------------------------------------------------------------------------------------------
# What a profile can describe, and what the generator can make (issue 9)
# --------------------------------------------------------------------------------------------

#: Pseudo-categories of RoSH that the sources print (the High-or-Very-High share).
ROSH_GROUPS: tuple[str, ...] = ("high_or_very_high", "low_or_medium")
#: Categories of the banded views of day counts used by published shares.
DAYS_ON_RECALL_CATEGORIES: tuple[str, ...] = (*DAYS_ON_RECALL_BANDS, "unknown")
DAYS_TO_SED_CATEGORIES: tuple[str, ...] = ("1yr_plus", "under_1yr", "none")

#: Categorical variables whose shares the generator constructs, with their categories. A
#: published share of any of these, for any population or group, is generated and judged.
SHARE_VARIABLES: dict[str, tuple[str, ...]] = {
    "sex": SEXES,
    "ethnicity": ETHNICITIES,
    "recall_reason": RECALL_REASONS,
    "index_offence_group": INDEX_OFFENCE_GROUPS,
    "rosh": ROSH_GROUPS,
    "days_on_recall": DAYS_ON_RECALL_CATEGORIES,
    "days_to_sed": DAYS_TO_SED_CATEGORIES,
    "population": POPULATIONS,
}
#: Categorical variables whose categories a profile may extend (``[variables.<name>]
#: categories``): the lists above are their defaults. ``sex`` is closed (OGRS3 reads it), as
#: are the banded and derived views.
OPEN_CATEGORICALS: dict[str, tuple[str, ...]] = {
    "ethnicity": ETHNICITIES,
    "recall_reason": RECALL_REASONS,
}
#: Variables that only recall types carry (missing for the rest of the sentenced population).
RECALL_ONLY_VARIABLES: tuple[str, ...] = ("recall_reason", "days_on_recall")


@dataclass(frozen=True)
class NumericVariable:
    """A numeric cohort column whose published mean the generator constructs."""

    name: str
    integer: bool
    lower: float
    upper: float
    oasys: bool = False  # computed over people with OASys data (need items and domains)


#: Numeric variables a published mean can describe. Bounds are the variable's logical range
#: (scores are percentages; need items are scored 0-2); ``age`` and ``need_domains`` are
#: narrowed by the profile's assumptions.
MEAN_VARIABLES: dict[str, NumericVariable] = {
    v.name: v
    for v in (
        NumericVariable("age", True, 10, 120),
        NumericVariable("years_since_first_sanction", False, 0, 110),
        NumericVariable("previous_breaches", True, 0, 1000),
        NumericVariable("ogrs3_2yr", False, 0, 100),
        NumericVariable("ogrs4v_2yr", False, 0, 100),
        NumericVariable("osp_2yr", False, 0, 100),
        NumericVariable("rsr_2yr", False, 0, 100),
        *(NumericVariable(i, True, 0, 2, oasys=True) for i in NEED_ITEMS),
        NumericVariable("need_domains", True, 0, 20, oasys=True),
    )
}


@dataclass(frozen=True)
class Relation:
    """A logical relation every person must satisfy: ``if`` all hold, ``then`` must hold.

    Conditions are in the toolkit's condition language (:mod:`toolkit.conditions`):
    ``"<column> <op> <value>"``, the value a number, ``true``/``false``, a category, or (with
    ``>= > <= <``) another column's name, compared person by person. An empty ``if_`` means
    the relation holds for everyone. A person whose ``then`` column is missing is not counted
    as breaking it (the item was not scored), nor is one whose ``if`` column is missing.
    """

    id: str
    if_: tuple[str, ...]
    then: str
    reason: str


#: Logical relations between items, declared once and checked by ``fidelity`` on any cohort.
#: The generator constructs every cohort so that they hold.
RELATIONS: tuple[Relation, ...] = (
    Relation(
        "class_a_implies_drug_use",
        ("need_class_a >= 1",),
        "need_drugs_ever >= 1",
        "Misusing Class A drugs is a use of drugs: nobody scored for Class A misuse can be "
        "scored as never having used drugs.",
    ),
    Relation(
        "dv_link_implies_dv_need",
        ("dv_offence_link == true",),
        "need_dv_perpetrator >= 1",
        "An offence linked to partner violence makes the person a perpetrator of domestic "
        "violence, so the OASys perpetrator item cannot be 'no problem'.",
    ),
    Relation(
        "dv_link_implies_violent_offence",
        ("dv_offence_link == true",),
        "index_offence == violence",
        "The domestic-violence link is recorded on a violent index offence.",
    ),
    Relation(
        "alcohol_link_implies_drinking",
        ("alcohol_violence_link == true",),
        "need_problem_drinking >= 1",
        "Violence linked to alcohol use implies at least a moderate drinking problem.",
    ),
    Relation(
        "alcohol_link_implies_violent_history",
        ("alcohol_violence_link == true",),
        "violent_history == true",
        "Violence linked to alcohol needs a violent conviction in the record.",
    ),
    Relation(
        "drug_link_implies_drug_use",
        ("drug_offending_link == true",),
        "need_drugs_ever >= 1",
        "Drug misuse linked to offending implies having used drugs.",
    ),
    Relation(
        "violent_index_implies_violent_history",
        ("index_offence_group == violence",),
        "violent_history == true",
        "A violent index offence is a violent conviction in the record.",
    ),
    Relation(
        "robbery_index_implies_violent_history",
        ("index_offence_group == robbery",),
        "violent_history == true",
        "Robbery is a violent offence (the programmes' 'violent' includes it).",
    ),
    Relation(
        "acquisitive_index_implies_acquisitive_history",
        ("index_offence_group == acquisitive",),
        "acquisitive_history == true",
        "An acquisitive index offence is an acquisitive conviction in the record.",
    ),
    Relation(
        "sanctions_at_least_breaches",
        (),
        "previous_sanctions >= previous_breaches",
        "Every breach of an order or licence is dealt with by a sanction, so a person has at "
        "least as many previous sanctions as previous breaches.",
    ),
    Relation(
        "first_sanction_not_before_age_of_responsibility",
        (),
        "age_at_first_sanction >= 10",
        "The age of criminal responsibility in England and Wales is 10 (Children and Young "
        "Persons Act 1933 s.50, as amended by the Children and Young Persons Act 1963 s.16).",
    ),
    Relation(
        "first_sanction_not_after_census_age",
        (),
        "age_at_first_sanction <= age",
        "The first sanction cannot come after the person's age on the census day.",
    ),
)


def relation_violations(df: pd.DataFrame, relation: Relation):
    """Boolean array: the people of ``df`` who break ``relation`` (see :class:`Relation`).

    The conditions are in the toolkit's one condition language (:mod:`toolkit.conditions`),
    with column references allowed. Returns ``None`` when the cohort lacks a column the
    relation reads.
    """
    where = f"RELATIONS[{relation.id}]"
    conds = [parse_condition(c, "toolkit.schema", where, column_values=True) for c in relation.if_]
    then = parse_condition(relation.then, "toolkit.schema", where, column_values=True)
    if any(col not in df.columns for c in (*conds, then) for col in c.reads):
        return None
    applies = np.ones(len(df), dtype=bool)
    for cond in conds:
        applies &= cond.evaluate(df)
    return applies & then.known(df) & ~then.evaluate(df)


#: Numeric variables whose published median and standard deviation (``statistic = "median"`` or
#: ``"sd"``, any population or group) the generator constructs
#: (:mod:`toolkit.profile.spreads`). OGRS3 is computed from each person's record by the
#: published formula and the career length is capped by each person's age, so neither can be
#: reshaped by rank; their medians and SDs are refused at load.
SPREAD_VARIABLES: tuple[str, ...] = tuple(
    v for v in MEAN_VARIABLES if v not in ("ogrs3_2yr", "years_since_first_sanction")
)
#: Kept for code that imported the earlier name (SDs were then generated for four variables).
SD_VARIABLES: tuple[str, ...] = SPREAD_VARIABLES
