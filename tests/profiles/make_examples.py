"""Rewrite the example profiles in this folder (run from the repository root).

    python tests/profiles/make_examples.py [OUT_DIR]   # OUT_DIR defaults to this folder

Each file is one case from issue 9's "Why" list, written as a user would write it: only
``[meta]`` and published figures (rounded as a research summary prints them), except
``other_values_with_derived.toml``, which also carries hand-written ``[assumptions]`` and
``[derived]`` blocks. The figures come from a made-up census (``tests/profile_maker.py``), so
each profile is consistent by construction. The files are committed; this script documents
how they were made and remakes them byte for byte (fixed seeds).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from profile_maker import (  # noqa: E402
    CENSUS_2014_SIZES,
    _target,
    figures,
    item_counts,
    make_truth,
    person_values,
    set_totals_from_values,
    spread_figures,
    to_toml,
)

DEFAULT_SIZES = {p: n for p, n in CENSUS_2014_SIZES.items() if p != "other_sentenced"}


def _default_blocks() -> str:
    """The default profile's [assumptions] section, as text (copied the way a user would)."""
    text = (HERE.parent.parent / "papers/recall_process_experience/profile.toml").read_text()
    start = text.index("[assumptions.fidelity]")
    end = text.index("\n[derived.oasys_counts]")
    return text[start:end].rsplit("# ====", 1)[0]


def main(out: Path = HERE) -> None:
    """Write every example profile into ``out`` (this folder by default; the test passes a
    temporary folder and compares, so running the tests never writes into the checkout)."""
    (out / "rules").mkdir(parents=True, exist_ok=True)
    # 0. the same shape with other values and the [derived] block written by hand
    t = make_truth(DEFAULT_SIZES | {"other_sentenced": 59369}, np.random.default_rng(0))
    derived = ["[derived.oasys_counts]", 'method = "counted by hand"']
    derived += [f"{g} = {n}" for g, n in t.oasys.items()]
    derived += ["", "[derived.figure1_denominators]", 'method = "every item scored for all"']
    from toolkit.schema import NEED_ITEMS

    for g, n in t.oasys.items():
        derived.append(f"{g} = {{ " + ", ".join(f"{i} = {n}" for i in NEED_ITEMS) + " }")
    (out / "other_values_with_derived.toml").write_text(
        to_toml("Same shape, other values, [derived] by hand", figures(t))
        + "\n"
        + _default_blocks()
        + "\n".join(derived)
        + "\n"
    )
    # 1. only published figures, another census N (a later year: 64,494 -> 66,000 people)
    sizes = {
        "standard": 4150,
        "extended": 480,
        "fixed_term": 290,
        "ipp_dpp": 170,
        "life": 170,
        "hdc": 90,
        "other_sentenced": 60650,
    }
    t = make_truth(sizes, np.random.default_rng(1))
    (out / "published_only_other_n.toml").write_text(
        to_toml("Later census, published figures only", figures(t))
    )
    # 2. a small census: a prison region with 40 recalled people, 5-9 in some recall types
    sizes = {"standard": 19, "extended": 7, "fixed_term": 5, "life": 9}
    t = make_truth(sizes, np.random.default_rng(2))
    (out / "small_census.toml").write_text(to_toml("A region with 40 recalls", figures(t)))
    # 3. women only, written as a person would: female 100%, no male rows
    sizes = {"standard": 160, "extended": 12, "fixed_term": 20, "hdc": 9}
    t = make_truth(sizes, np.random.default_rng(3), female_share=100.0)
    (out / "women_only.toml").write_text(
        to_toml("Women recalled to prison", figures(t, include_male=False))
    )
    # 4. a census without one recall type (no IPP/DPP rows at all)
    sizes = {p: n for p, n in DEFAULT_SIZES.items() if p != "ipp_dpp"}
    t = make_truth(sizes, np.random.default_rng(4))
    (out / "without_ipp_dpp.toml").write_text(
        to_toml("Recall types we hold (no IPP/DPP)", figures(t))
    )
    # 5. a figure kind the 2014 profile did not print: the share of one ethnic group; and a
    #    category nobody is in (no 'out of touch' recalls), simply not printed
    t = make_truth(DEFAULT_SIZES, np.random.default_rng(5), drop_reason="out_of_touch")
    (out / "ethnic_group_share.toml").write_text(
        to_toml("Black share printed; no out-of-touch recalls", figures(t, black_share=True))
    )
    # 6. new categories in a variable's list (issue 9 item 2), each declared in [variables]:
    #    an ethnic group the schema does not list, printed for all recalls
    t = make_truth(DEFAULT_SIZES, np.random.default_rng(6))
    figs = figures(t, black_share=True)
    figs.append(
        _target(
            "ethnicity.gypsy_traveller.all_recalled",
            "all_recalled",
            "ethnicity",
            "share",
            3.0,
            0,
            "gypsy_traveller",
        )
    )
    (out / "new_ethnicity.toml").write_text(
        to_toml("Gypsy, Roma and Traveller share printed", figs)
        + "\n[variables.ethnicity]\n"
        + 'categories = ["white", "black", "asian", "mixed", "other", "gypsy_traveller"]\n'
        + 'reason = "the source prints a Gypsy, Roma and Traveller row"\n'
    )
    #    a recall reason the schema does not list: part of 'other' printed on its own
    t = make_truth(DEFAULT_SIZES, np.random.default_rng(7))
    figs = _split(figures(t), "recall_reason", "all_recalled", "other", "contact_with_victim", 4.0)
    (out / "new_recall_reason.toml").write_text(
        to_toml("Contact with the victim printed as a recall reason", figs)
        + "\n[variables.recall_reason]\n"
        + 'categories = ["contact_with_victim"]\n'
        + 'reason = "the source prints recalls for contact with the victim apart from other"\n'
    )
    #    an index offence group the schema does not list: drug offences apart from 'other'
    t = make_truth(DEFAULT_SIZES, np.random.default_rng(8))
    figs = _split(figures(t), "index_offence_group", "standard", "other", "drugs", 8.0)
    (out / "new_offence_group.toml").write_text(
        to_toml("Drug offences printed as their own group", figs)
        + "\n[variables.index_offence_group]\n"
        + 'categories = ["drugs"]\n'
        + 'members = { drugs = ["drug_import_production", "drug_possession_supply"] }\n'
        + 'reason = "the source prints drug offences as a group"\n'
    )
    # 7. a programme file whose first programme has a name the shipped file does not use
    #    (attended_thinking_skills, no attended_cognitive_skills): the shipped rules, renamed
    rules = (HERE.parent.parent / "papers/recall_process_experience/programmes.toml").read_text()
    first = next(line for line in rules.splitlines() if line.startswith("[programmes."))
    name = first[len("[programmes.") : -1]
    label = next(line for line in rules.splitlines() if line.startswith("label = "))
    (out / "rules" / "renamed_programme.toml").write_text(
        "# The shipped programme rules with the first programme renamed (a test file).\n"
        + rules.replace(f"[programmes.{name}", "[programmes.thinking_skills").replace(
            label, 'label = "Thinking skills"', 1
        )
    )

    # 8-10. medians and standard deviations (issue 9, item 3), from a truth of whole people
    _spread_examples(out)


def _split(figs: list[dict], var: str, pop: str, old: str, new: str, value: float) -> list[dict]:
    """Print ``value`` points of category ``old`` as the new category ``new`` (sum unchanged)."""
    out = []
    for f in figs:
        out.append(f)
        if f["variable"] == var and f["population"] == pop and f.get("category") == old:
            assert f["value"] > value
            f["value"] -= value
            f["printed"] = f"{f['value']:.0f}"
            out.append(_target(f"{var}.{new}.{pop}", pop, var, "share", value, 0, new))
    return out


def _spread_truth(sizes: dict[str, int], seed: int):
    rng = np.random.default_rng(seed)
    t = make_truth(sizes, rng)
    values = person_values(t, rng)
    set_totals_from_values(t, values)
    return t, values, item_counts(t, rng)


def _spread_examples(out: Path) -> None:
    recall = {p: n for p, n in DEFAULT_SIZES.items()}
    # 8. a median only: ages printed as medians (every recall type and All recalled), with
    #    no mean of age anywhere; and the median number of need domains of standard recalls
    t, values, items = _spread_truth(recall, 6)
    levels = [*recall, "all_recalled"]
    picks = [("age", lvl, "median") for lvl in levels] + [("need_domains", "standard", "median")]
    figs = [f for f in figures(t) if not (f["variable"] == "age" and f["statistic"] == "mean")]
    (out / "median_only.toml").write_text(
        to_toml("Ages printed as medians only", figs + spread_figures(t, values, picks, items))
    )
    # 9. mean + median + SD for a group: All recalled prints all three for age and RSR, and
    #    the standard recalls print their own median and SD of age too
    t, values, items = _spread_truth(recall, 7)
    picks = [
        ("age", "all_recalled", "median"),
        ("age", "all_recalled", "sd"),
        ("rsr_2yr", "all_recalled", "median"),
        ("rsr_2yr", "all_recalled", "sd"),
        ("age", "standard", "median"),
        ("age", "standard", "sd"),
    ]
    (out / "group_mean_median_sd.toml").write_text(
        to_toml(
            "Mean, median and SD for All recalled",
            figures(t) + spread_figures(t, values, picks, items),
        )
    )
    # 10. an SD for a group only (no population's own SD): breaches and OGRS4/V of All
    #    recalled, age of All prisoners, and an OASys item's SD for standard recalls
    t, values, items = _spread_truth(recall | {"other_sentenced": 59369}, 8)
    picks = [
        ("previous_breaches", "all_recalled", "sd"),
        ("ogrs4v_2yr", "all_recalled", "sd"),
        ("age", "all_prisoners", "sd"),
        ("need_accommodation", "standard", "sd"),
    ]
    (out / "group_sd.toml").write_text(
        to_toml("SDs printed for groups", figures(t) + spread_figures(t, values, picks, items))
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
