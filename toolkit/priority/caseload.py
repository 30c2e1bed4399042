"""The caseload file: its documented CSV schema and a strict, kind validation.

A caseload is one row per recalled person held by an offender manager (OM) or a team. The
columns are listed in :data:`CASELOAD_COLUMNS` (name, required or optional, kind, meaning); the
names are a public contract. Validation reads every cell as text, checks it with a pandera
schema (``lazy=True``: every problem at once), and reports each problem with the row number a
spreadsheet shows (the header is row 1, the first case row 2), the column and the value.

Blank cells in optional columns are allowed. A blank ``last_review_date`` or
``accommodation_secured_date`` means "none since recall"; a missing optional *column* means
"unknown", and :func:`absence_costs` says what that costs the suggestions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from toolkit.exceptions import ToolkitError
from toolkit.priority.routes import no_sed_types, route_of_type
from toolkit.schema import (
    ETHNICITIES,
    NEED_ITEMS,
    RECALL_TYPES,
    ROSH_LEVELS,
    SEXES,
    default_programmes,
)
from toolkit.validation import by_unique, failure_cases, numbers, parse_bool, whole_numbers

YES = ("yes", "y", "true", "1")
NO = ("no", "n", "false", "0")
#: Ages accepted (completed years on the as-of date). Recall applies to people released from
#: custodial sentences; the adult estate holds people 18 and over. 100 is a typo guard.
AGE_RANGE = (18, 100)
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


class CaseloadError(ToolkitError, ValueError):
    """A caseload file breaks the schema; ``problems`` lists every problem found."""

    def __init__(self, path: str, problems: list[str]):
        self.path = str(path)
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{self.path}: {n} problem{'s' if n != 1 else ''} found; nothing was written"
        super().__init__("\n".join([head, *("  " + p for p in self.problems)]))


@dataclass(frozen=True)
class CaseloadColumn:
    """One caseload column: its name, whether it is required, its kind and meaning."""

    name: str
    required: bool
    kind: str  # text, date, category, score, need, count, age, yesno, programmes
    description: str
    values: tuple[str, ...] = field(default=())
    cost: str = ""  # what leaving an optional column out costs
    effect: str = ""  # how the suggestions use it


def _need(item: str) -> CaseloadColumn:
    label = item.removeprefix("need_").replace("_", " ")
    return CaseloadColumn(
        item,
        False,
        "need",
        f"OASys need item '{label}': 0 none, 1 moderate, 2 significant.",
        cost="need items read as the simulated population's average",
    )


#: Every caseload column, in template order, with the default categories and no programme
#: names: :func:`caseload_columns` fills in the programmes of the rules in force. The names are
#: a public contract.
BASE_COLUMNS: tuple[CaseloadColumn, ...] = (
    CaseloadColumn(
        "case_reference",
        True,
        "text",
        "Your case reference; unique in the file (compared ignoring case and spaces around).",
    ),
    CaseloadColumn(
        "recall_type",
        True,
        "category",
        "Recall type.",
        RECALL_TYPES,
        effect="decides the release route (release rules file: which types go by executive "
        "review, by the Parole Board, or automatically); only types the model was fitted on "
        "are ranked",
    ),
    CaseloadColumn("recall_date", True, "date", "Date returned to custody on recall."),
    CaseloadColumn(
        "sed_date",
        True,
        "date",
        "Sentence expiry date; blank only for indeterminate sentences (the recall types the "
        "release rules give no SED). A date before the as-of date is refused (the sentence has "
        "expired).",
        effect="bounds the days a review can gain (never more than the days to SED)",
    ),
    CaseloadColumn(
        "age",
        False,
        "age",
        f"Age in completed years ({AGE_RANGE[0]}-{AGE_RANGE[1]}); give age or date_of_birth.",
    ),
    CaseloadColumn("date_of_birth", False, "date", "Date of birth; give age or date_of_birth."),
    CaseloadColumn(
        "sex",
        False,
        "category",
        "Sex as recorded on NOMIS (special-category data: optional).",
        SEXES,
        cost="the fairness panel cannot compare flag rates by sex",
        effect="never used by the score or the ranking; only by the fairness panel",
    ),
    CaseloadColumn(
        "ethnicity",
        False,
        "category",
        "Broad ethnic group (special-category data: optional).",
        ETHNICITIES,
        cost="the fairness panel cannot compare flag rates by ethnicity",
        effect="never used by the score or the ranking; only by the fairness panel",
    ),
    CaseloadColumn(
        "ogrs3_2yr",
        True,
        "score",
        "OGRS3 2-year proven reoffending, percent 0-100.",
        effect="a model feature (the simulated person's latent risk day depends on it); "
        "never given as a reason, being a static score",
    ),
    CaseloadColumn(
        "rsr_2yr",
        False,
        "score",
        "Risk of Serious Recidivism, 2-year, percent 0-100.",
        cost="no serious-harm context in the reasons",
    ),
    CaseloadColumn(
        "rosh",
        True,
        "category",
        "Risk of Serious Harm level.",
        ROSH_LEVELS,
        effect="a model feature (very high RoSH)",
    ),
    CaseloadColumn(
        "need_domains",
        False,
        "count",
        "OASys criminogenic need domains with significant need (0-10).",
        cost="need read as the simulated population's average",
    ),
    *(_need(i) for i in NEED_ITEMS),
    CaseloadColumn(
        "accommodation_secured",
        False,
        "yesno",
        "Accommodation for release secured (yes/no).",
        cost="no 'accommodation secured' reason; the score uses the average chance",
    ),
    CaseloadColumn(
        "accommodation_secured_date",
        False,
        "date",
        "Date accommodation was secured; blank if not secured.",
        cost="cannot tell whether accommodation came after the last review",
    ),
    CaseloadColumn(
        "programmes_needed",
        False,
        "programmes",
        "Accredited programmes assessed as needed, separated by ';'.",
        cost="no reasons about programmes that cannot be finished before SED",
    ),
    CaseloadColumn(
        "programmes_completed",
        False,
        "programmes",
        "Accredited programmes completed in this sentence, separated by ';'.",
        cost="needed programmes are treated as not completed",
    ),
    CaseloadColumn(
        "last_review_date",
        False,
        "date",
        "Date of the last release review; blank if none since recall.",
        cost="time since last review unknown: the score assumes the statutory review points",
    ),
    CaseloadColumn(
        "om_contact_since_recall",
        False,
        "yesno",
        "Offender-manager contact since recall (yes/no).",
        cost="no 'no contact since recall' reason",
    ),
    CaseloadColumn(
        "wants_release",
        False,
        "yesno",
        "Whether the person wants re-release (yes/no).",
        cost="the score uses the simulated share who decline release, so it is less sharp",
    ),
    CaseloadColumn(
        "further_charge_or_remand",
        False,
        "yesno",
        "A further charge is pending, or the person is remanded in custody on one (yes/no).",
        cost="a pending charge or remand is not seen: check it before acting on a suggestion",
        effect="yes: the case is not ranked and the action is to resolve the charge first "
        "(release on licence would not end a remand in custody)",
    ),
    CaseloadColumn(
        "mappa_level",
        False,
        "category",
        "MAPPA management level (blank if not a MAPPA case).",
        ("1", "2", "3"),
        cost="no MAPPA step in the suggested actions",
        effect="level 2 or 3 adds to the action: agree the release plan with the MAPPA meeting",
    ),
    CaseloadColumn(
        "parole_board_stage",
        False,
        "category",
        "Where the case is with the Parole Board.",
        ("none", "referred", "dossier_due", "dossier_sent", "hearing_listed", "decided"),
        cost="for IPP/DPP and life recalls the action starts from checking the referral",
        effect="IPP/DPP and life recalls: the suggested action is the Board step for this stage "
        "(dossier, representations, hearing); other recalls: a reason notes that executive "
        "release remains possible while the Board considers the case",
    ),
    CaseloadColumn(
        "legal_representative",
        False,
        "yesno",
        "The person has a legal representative for the recall (yes/no).",
        cost="no prompt to arrange legal representation",
        effect="IPP/DPP and life recalls: no adds 'help arrange a legal representative' to the "
        "Board step",
    ),
)
COLUMN_BY_NAME = {c.name: c for c in BASE_COLUMNS}
REQUIRED_COLUMNS = tuple(c.name for c in BASE_COLUMNS if c.required)
DATE_COLUMNS = tuple(c.name for c in BASE_COLUMNS if c.kind == "date")


def caseload_columns(
    programmes: Sequence[str] | None = None,
    categories: Mapping[str, Sequence[str]] | None = None,
) -> tuple[CaseloadColumn, ...]:
    """The caseload columns under the programme rules and profile in force.

    Parameters
    ----------
    programmes : sequence of str, optional
        Programme names a caseload's ``programmes_needed`` and ``programmes_completed`` may
        list: those of the programme rules in force (``--rules FILE``); default the shipped
        rules' (:func:`toolkit.schema.default_programmes`). The scorer reads only whether a
        needed programme is not completed, so any names work; names outside the list are
        refused, naming the list, so a typo is never read as "no programme".
    categories : mapping, optional
        Categories of ``sex`` and ``ethnicity`` a profile declares (``ProfileSpec.categories``);
        default the schema's.
    """
    progs = tuple(default_programmes() if programmes is None else programmes)
    cats = dict(categories or {})
    out = []
    for c in BASE_COLUMNS:
        if c.name == "recall_type":  # name each route's types, from the release rules in force
            c = replace(c, effect=c.effect.replace(_ROUTES_GENERIC, _route_words()))
        elif c.name == "sed_date":  # name the types, from the release rules in force
            c = replace(
                c,
                description=c.description.replace(
                    "the recall types the release rules give no SED", ", ".join(no_sed_types())
                ),
            )
        elif c.kind == "programmes":
            c = replace(c, values=progs)
        elif c.kind == "category" and c.name in cats:
            c = replace(c, values=tuple(cats[c.name]))
        out.append(c)
    return tuple(out)


_ROUTES_GENERIC = (
    "(release rules file: which types go by executive review, by the Parole Board, or "
    "automatically)"
)
#: How a recall type is written in running text (a type not listed: its name).
TYPE_WORDS = {"ipp_dpp": "IPP/DPP", "fixed_term": "fixed-term", "hdc": "HDC"}
ROUTE_WORDS = {
    "executive": "by executive review",
    "parole_board": "by the Parole Board",
    "automatic": "automatically",
}


def _route_words() -> str:
    """Each route's recall types in words, from the release rules: "(release rules file:
    standard and extended by executive review, ...)"."""
    by_route = route_of_type()
    parts = []
    for route, words in ROUTE_WORDS.items():
        names = [TYPE_WORDS.get(t, t) for t, r in by_route.items() if r == route]
        if names:
            joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            parts.append(f"{joined} {words}")
    return "(release rules file): " + ", ".join(parts)


def __getattr__(name: str):
    # the caseload columns under the shipped programme rules (names read from the data file)
    if name == "CASELOAD_COLUMNS":
        return caseload_columns()
    if name == "NO_SED_TYPES":  # recall types with no SED, read from the release rules
        return no_sed_types()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def schema_markdown(columns: Sequence[CaseloadColumn] | None = None) -> str:
    """The schema as a Markdown table (for the README and ``template --help``): each column,
    whether it is required, its meaning, allowed values, how the suggestions use it and what
    leaving it out costs."""
    rows = [
        "| column | required | meaning | allowed values | how it is used | if not given |",
        "|---|---|---|---|---|---|",
    ]
    for c in caseload_columns() if columns is None else columns:
        vals = ", ".join(c.values) if c.values else _KIND_TEXT[c.kind]
        rows.append(
            f"| `{c.name}` | {'yes' if c.required else 'no'} | {c.description} | {vals} | "
            f"{c.effect or _effect(c)} | {c.cost or ('refused' if c.required else '')} |"
        )
    return "\n".join(rows)


def _effect(c: CaseloadColumn) -> str:
    if c.name == "need_accommodation":
        return "a model feature (accommodation need)"
    if c.kind == "need":
        return "not used by the score; kept with the case"
    return "a model feature or a reason" if c.kind != "text" else "shown in the outputs"


_KIND_TEXT = {
    "text": "any text",
    "date": "date YYYY-MM-DD (or DD/MM/YYYY)",
    "category": "",
    "score": "number 0-100",
    "need": "0, 1 or 2",
    "count": "whole number 0-10",
    "age": f"whole number {AGE_RANGE[0]}-{AGE_RANGE[1]}",
    "yesno": "yes or no (Y/N, true/false, 1/0)",
    "programmes": "",
}


# -- parsing helpers (vectorised; used by the checks and by the typed conversion) -------------
# The table helpers are toolkit.validation's (one set for cohorts, caseloads and records);
# the two short names below are the ones the typed conversion in this module reads.
_by_unique = by_unique
_numbers = numbers
#: yes/no spellings a caseload may use (compared case-insensitively).
YESNO_WORDS: dict[str, bool] = {**dict.fromkeys(YES, True), **dict.fromkeys(NO, False)}


def _parse_dates_unique(s: pd.Series) -> pd.Series:
    out = pd.to_datetime(s, format=DATE_FORMATS[0], errors="coerce")
    miss = out.isna() & s.ne("")
    if miss.any():
        out[miss] = pd.to_datetime(s[miss], format=DATE_FORMATS[1], errors="coerce")
    return out


def parse_dates(s: pd.Series) -> pd.Series:
    """Text to datetime64; blank or unparseable -> NaT (ISO first, then DD/MM/YYYY)."""
    return by_unique(s, _parse_dates_unique).astype("datetime64[ns]")


def parse_yesno(s: pd.Series) -> pd.Series:
    """yes/no text to a nullable boolean (blank -> NA); see :data:`YESNO_WORDS`."""
    return parse_bool(s, YESNO_WORDS)


def _check_for(col: CaseloadColumn):
    """A vectorised pandera check (True = fine) and the expectation it names."""
    import pandera.pandas as pa

    blank_ok = not col.required or col.name == "sed_date"
    k = col.kind

    def ok(fn):
        return lambda s: (s.eq("") & blank_ok) | (s.ne("") & fn(s))

    if k == "date":
        fn, exp = (lambda s: parse_dates(s).notna()), "a date YYYY-MM-DD"
    elif k == "category":
        fn, exp = (lambda s: s.str.lower().isin(col.values)), "one of " + ", ".join(col.values)
    elif k == "score":
        fn, exp = (lambda s: numbers(s).between(0, 100)), "a number from 0 to 100"
    elif k == "need":
        # "1.0" is how pandas and spreadsheets often write a 1 after a blank cell; 1.5 is refused
        fn, exp = (lambda s: whole_numbers(s).isin((0.0, 1.0, 2.0))), "0, 1 or 2"
    elif k == "count":
        fn, exp = (lambda s: whole_numbers(s).between(0, 10)), "a whole number from 0 to 10"
    elif k == "age":
        fn, exp = (lambda s: whole_numbers(s).between(*AGE_RANGE)), "a whole number from 18 to 100"
    elif k == "yesno":
        fn, exp = (lambda s: parse_yesno(s).notna()), "yes or no"
    elif k == "programmes":
        known = {_prog_key(v) for v in col.values}

        def _valid_lists(u):
            parts = u.str.split(";").explode().map(_prog_key)
            good = parts.isin(known) | parts.eq("")
            return good.groupby(level=0).all().reindex(u.index)

        def fn(s):
            return by_unique(s, _valid_lists)

        exp = (
            "programme names from "
            + ", ".join(col.values)
            + " separated by ';', case, spaces and underscores ignored (the programmes of the "
            "rules in force; another programme file is given with --rules FILE)"
        )
    else:
        fn, exp = (lambda s: s.ne("")), "a value"
    if col.required and not blank_ok:
        exp_full = f"{exp} (required)"
    else:
        exp_full = f"{exp} or blank"
    return pa.Check(ok(fn), error=exp_full), exp_full


def _prog_key(name) -> str:
    """A programme name compared ignoring case, spaces, underscores and hyphens."""
    return "".join(ch for ch in str(name).lower() if ch not in " _-\t")


def _did_you_mean(value: str, values: Sequence[str]) -> str:
    """The unknown names in a ';' list, each with the nearest known name (difflib)."""
    import difflib

    keys = {_prog_key(v): v for v in values}
    out = []
    for part in str(value).split(";"):
        k = _prog_key(part)
        if not k or k in keys:
            continue
        near = difflib.get_close_matches(k, list(keys), n=1, cutoff=0.6)
        hint = f"; did you mean {keys[near[0]]!r}?" if near else ""
        out.append(f"unknown programme {part.strip()!r}{hint}")
    return ", ".join(out)


def _canonical_programmes(u: pd.Series, values: Sequence[str]) -> pd.Series:
    """Programme lists with each name written as the rules write it ('' parts dropped)."""
    keys = {_prog_key(v): v for v in values}
    parts = u.str.split(";").explode().map(_prog_key).map(keys).dropna()
    return parts.groupby(level=0).agg(";".join).reindex(u.index).fillna("")


def _build_schema(present: list[str], as_of: pd.Timestamp, columns=None):
    """The caseload's pandera schema: every column as text with its check, then the
    cross-column rules (dates, then age), each reported against the column it names."""
    import pandera.pandas as pa

    cols = {}
    for c in caseload_columns() if columns is None else columns:
        check, _ = _check_for(c)
        cols[c.name] = pa.Column(
            str,
            check,
            required=c.required,
            nullable=False,
        )
    wide = [*_date_checks(present, as_of), *_age_checks(present, as_of)]
    return pa.DataFrameSchema(cols, checks=wide, strict=False, coerce=False)


def _date_checks(present: list[str], as_of: pd.Timestamp) -> list:
    """Cross-column rules on the case reference and the dates (pandera wide checks)."""
    import pandera.pandas as pa

    no_sed = no_sed_types()
    wide = [
        pa.Check(
            lambda d: ~d["case_reference"].str.lower().duplicated(keep=False),
            error="case_reference|duplicate case reference (compared ignoring case)",
        ),
        pa.Check(
            lambda d: ~(parse_dates(d["sed_date"]) < parse_dates(d["recall_date"])),
            error="sed_date|SED before the recall date",
        ),
        pa.Check(
            lambda d: ~(parse_dates(d["sed_date"]) < as_of),
            error=f"sed_date|SED before the as-of date {as_of.date()}: the sentence has expired "
            "(check the date, or give the date of the suggestions with --as-of)",
        ),
        pa.Check(
            lambda d: d["sed_date"].ne("") | d["recall_type"].str.lower().isin(no_sed + ("",)),
            error="sed_date|blank SED; only indeterminate sentences ("
            + ", ".join(no_sed)
            + ") have none",
        ),
        pa.Check(
            lambda d: ~(parse_dates(d["recall_date"]) > as_of),
            error=f"recall_date|recall date after the as-of date {as_of.date()}",
        ),
    ]
    if "last_review_date" in present:
        wide.append(
            pa.Check(
                lambda d: (
                    ~(parse_dates(d["last_review_date"]) < parse_dates(d["recall_date"]))
                    & ~(parse_dates(d["last_review_date"]) > as_of)
                ),
                error="last_review_date|last review outside recall date .. as-of date",
            )
        )
    if "accommodation_secured_date" in present and "accommodation_secured" in present:
        wide.append(
            pa.Check(
                lambda d: (
                    d["accommodation_secured_date"].eq("")
                    | parse_yesno(d["accommodation_secured"]).fillna(True).astype(bool)
                ),
                error="accommodation_secured_date|a date given but accommodation_secured is no",
            )
        )
    return wide


def _age_checks(present: list[str], as_of: pd.Timestamp) -> list:
    """Cross-column rules on age and date of birth (either is required; they must agree)."""
    import pandera.pandas as pa

    wide = []
    has_age = "age" in present
    has_dob = "date_of_birth" in present
    if not has_age and not has_dob:
        wide.append(pa.Check(lambda d: d.index < -1, error="age|no age or date_of_birth column"))
    else:

        def age_given(d):
            a = d["age"].ne("") if has_age else False
            b = d["date_of_birth"].ne("") if has_dob else False
            return a | b

        wide.append(pa.Check(age_given, error="age|neither age nor date_of_birth given"))
    if has_dob:
        wide.append(
            pa.Check(
                lambda d: (
                    d["date_of_birth"].eq("")
                    | _age_from_dob(parse_dates(d["date_of_birth"]), as_of).between(*AGE_RANGE)
                ),
                error=f"date_of_birth|age on {as_of.date()} outside {AGE_RANGE[0]}-{AGE_RANGE[1]}",
            )
        )
    if has_dob and has_age:
        wide.append(
            pa.Check(
                lambda d: (
                    d["date_of_birth"].eq("")
                    | d["age"].eq("")
                    | ~(
                        numbers(d["age"])
                        != _age_from_dob(parse_dates(d["date_of_birth"]), as_of).astype(float)
                    )
                ),
                error=f"age|age disagrees with date_of_birth (age on {as_of.date()} from the "
                "date of birth); correct one of them",
            )
        )
    return wide


def _age_from_dob(dob: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    years = as_of.year - dob.dt.year
    before = (dob.dt.month > as_of.month) | (
        (dob.dt.month == as_of.month) & (dob.dt.day > as_of.day)
    )
    return years - before.astype("Int64")


SAVE_AS = "save it from the spreadsheet as 'CSV UTF-8 (comma delimited)' and try again"


def _decode(p: Path, raw: bytes) -> str:
    """Bytes to text: UTF-8 (with or without the BOM spreadsheets add), else Windows-1252
    (what a spreadsheet's plain "CSV (comma delimited)" writes on Windows); a NUL byte (a
    UTF-16 "Unicode text" file, or a binary file) is refused with its row."""
    if b"\x00" in raw:
        row = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise CaseloadError(
            str(p), [f"row {row}: a NUL byte: this is not a plain-text CSV file; {SAVE_AS}"]
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        row = raw[: exc.start].count(b"\n") + 1
        raise CaseloadError(
            str(p),
            [f"row {row}: text in an unknown encoding (not UTF-8 or Windows-1252); {SAVE_AS}"],
        ) from None


def _delimiter(header: str) -> str:
    """Comma, or the semicolon (or tab) a spreadsheet in a comma-decimal locale writes, told
    from the header line (column names hold none of them)."""
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] > counts[","] else ","


def read_caseload_text(path: str | Path) -> pd.DataFrame:
    """Read a caseload CSV as text (every cell a stripped string, blanks as ``""``).

    Reads UTF-8 (with or without a BOM) or Windows-1252, comma-, semicolon- or tab-separated;
    refuses a NUL byte with its row, and a file with no case rows ("no cases in FILE").
    """
    import io

    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise CaseloadError(str(p), ["file not found"]) from None
    except OSError as exc:
        raise CaseloadError(str(p), [f"cannot read ({exc.strerror})"]) from None
    text = _decode(p, raw)
    header = text.split("\n", 1)[0]
    if not header.strip():
        raise CaseloadError(str(p), [f"no cases in {p}: the file is empty"])
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=_delimiter(header),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CaseloadError(str(p), [f"not a readable CSV file ({exc}); {SAVE_AS}"]) from None
    if len(df) == 0:
        raise CaseloadError(
            str(p),
            [
                f"no cases in {p}: the file has column names but no case rows; add one row per "
                "case below the header"
            ],
        )
    df.columns = [str(c).strip().lower() for c in df.columns]
    for c in df.columns:
        s = df[c]
        # str.strip on 100,000 rows costs ~10 ms per column; skip columns with no padding.
        if s.str.startswith(" ").any() or s.str.endswith(" ").any():
            df[c] = s.str.strip()
    return df


def problems_in(text: pd.DataFrame, as_of: pd.Timestamp, columns=None) -> list[str]:
    """Every problem in a text caseload, one line each, in row order (file problems first)."""
    fc = failure_cases(text, _build_schema(list(text.columns), as_of, columns))
    return [] if fc is None else _describe(fc, text, columns)


def _describe(fc: pd.DataFrame, text: pd.DataFrame, columns=None) -> list[str]:
    by_name = {c.name: c for c in (caseload_columns() if columns is None else columns)}
    lines: list[tuple[int, str, str]] = []
    seen = set()
    for rec in fc.to_dict("records"):
        check = str(rec["check"])
        col = rec["column"]
        idx = rec["index"]
        if check == "column_in_dataframe":
            lines.append((0, "", f"missing required column `{rec['failure_case']}`"))
            continue
        if check == "field_uniqueness":
            msg = f"duplicate case reference {rec['failure_case']!r}"
            target = "case_reference"
        elif "|" in check:  # wide check: report once per row, on the column it is about
            target, msg = check.split("|", 1)
            if idx is None or pd.isna(idx) or (int(idx), target) in seen:
                continue
            seen.add((int(idx), target))
            val = text[target].iat[int(idx)] if target in text.columns else ""
            msg = f"{msg}; value {val!r}"
        else:
            target = col
            msg = f"{rec['failure_case']!r} is not {check}"
            c = by_name.get(col)
            if c is not None and c.kind == "programmes":
                hint = _did_you_mean(rec["failure_case"], c.values)
                if hint:
                    msg = (
                        f"{rec['failure_case']!r}: {hint} (known: {', '.join(c.values)}; another "
                        "programme file is given with --rules FILE)"
                    )
        if idx is None or pd.isna(idx):
            lines.append((0, target, msg))
        else:
            lines.append((int(idx) + 2, target, msg))
    lines.sort(key=lambda t: (t[0], t[1]))
    return [
        f"row {r}, column {c}: {m}" if r else (f"column {c}: {m}" if c else m) for r, c, m in lines
    ]


@dataclass(frozen=True)
class Caseload:
    """A validated caseload: typed columns plus what is missing.

    Attributes
    ----------
    frame : pandas.DataFrame
        Typed columns (dates as datetime64, yes/no as boolean, numbers as float; missing
        optional columns absent).
    as_of : pandas.Timestamp
    missing_optional : tuple of str
        Optional columns not in the file.
    """

    frame: pd.DataFrame
    as_of: pd.Timestamp
    missing_optional: tuple[str, ...]

    def absence_costs(self) -> list[str]:
        """What each missing optional column costs, in plain words."""
        return absence_costs(self.missing_optional)


def absence_costs(missing: tuple[str, ...]) -> list[str]:
    """One line per missing optional column (need items grouped) saying what it costs."""
    out = []
    needs = [m for m in missing if m in NEED_ITEMS]
    for m in missing:
        if m in NEED_ITEMS:
            continue
        out.append(f"{m} not given: {COLUMN_BY_NAME[m].cost}")
    if needs:
        out.append(
            f"{len(needs)} need item(s) not given ({', '.join(needs[:3])}"
            f"{', ...' if len(needs) > 3 else ''}): {COLUMN_BY_NAME[needs[0]].cost}"
        )
    return out


def _typed(text: pd.DataFrame, as_of: pd.Timestamp, columns=None) -> pd.DataFrame:
    out = {}
    by_name = {c.name: c for c in (caseload_columns() if columns is None else columns)}
    for name in text.columns:
        col = by_name.get(name)
        s = text[name]
        if col is None:
            continue  # extra columns are ignored (and never copied to outputs)
        if col.kind == "date":
            out[name] = parse_dates(s)
        elif col.kind == "category":
            out[name] = pd.Categorical(s.str.lower().where(s.ne("")), categories=list(col.values))
        elif col.kind in ("score", "need", "count", "age"):
            out[name] = _numbers(s).astype("float64")
        elif col.kind == "yesno":
            out[name] = parse_yesno(s)
        elif col.kind == "programmes":
            out[name] = _by_unique(s, lambda u, v=col.values: _canonical_programmes(u, v))
        else:
            out[name] = s
    df = pd.DataFrame(out, index=text.index)
    if "date_of_birth" in df:
        dob_age = _age_from_dob(df["date_of_birth"], as_of).astype("float64")
        df["age"] = df["age"].fillna(dob_age) if "age" in df else dob_age
    return df


def validate_caseload(
    source: str | Path | pd.DataFrame,
    *,
    as_of: str | pd.Timestamp | None = None,
    programmes: Sequence[str] | None = None,
    categories: Mapping[str, Sequence[str]] | None = None,
) -> Caseload:
    """Read and validate a caseload; raise :class:`CaseloadError` listing every problem.

    Parameters
    ----------
    source : path or pandas.DataFrame
        A CSV file (read as text) or a DataFrame of text cells.
    as_of : date, optional
        The date the suggestions are for (default: today). Recall and review dates after it
        are problems.
    programmes, categories : optional
        Programme names and categories in force (see :func:`caseload_columns`).

    Returns
    -------
    Caseload
    """
    as_of = (
        pd.Timestamp(as_of).normalize() if as_of is not None else pd.Timestamp.today().normalize()
    )
    if isinstance(source, pd.DataFrame):
        name = "caseload"
        text = source.astype(str).replace({"nan": "", "<NA>": "", "NaT": "", "None": ""})
        text.columns = [str(c).strip().lower() for c in text.columns]
        if len(text) == 0:
            raise CaseloadError(name, [f"no cases in the {name}: it has no rows"])
        text = text.apply(lambda c: c.str.strip())
    else:
        name = str(source)
        text = read_caseload_text(source)
    columns = caseload_columns(programmes, categories)
    problems = problems_in(text, as_of, columns)
    if problems:
        raise CaseloadError(name, problems)
    missing = tuple(c.name for c in columns if not c.required and c.name not in text)
    missing = tuple(m for m in missing if m not in ("age", "date_of_birth"))
    return Caseload(_typed(text, as_of, columns).reset_index(drop=True), as_of, missing)
