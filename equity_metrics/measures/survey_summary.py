"""Views of a school survey summary (kind `survey_summary`, such as the NYC School Survey school-level file): the
response (respondents, eligible, response rate), the scale scores (0-10) and the items (the number and share
choosing each option), by school and for all schools.

Every figure comes from one protected table per school year (`survey_cube`): counts from 1 to 9 are hidden, and
enough others that none can be worked out from any combination of views (all schools are the sum of the
schools, an item's answered the sum of its options); a percentage is hidden with its count, a score or a
response rate with the respondents it comes from. Shown counts are exact. A school's percentages, item scores
and response rates are the file's; those for all schools are computed from the summed counts (a rate over the
summed respondents and eligible; a scale score's mean over the schools that have one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity_metrics.measures.aggregate import loaded_year, loaded_years
from equity_metrics.measures.survey_cube import ANSWERED, DISTRICT, SurveyCube, survey_cube
from equity_metrics.storage.store import Store

__all__ = ["RESPONDENTS", "SCALES", "WHAT", "NoSurveySummaryError", "SurveySummary", "survey_summary",
           "survey_summary_items", "survey_summary_years"]

WHAT = ("response", "scores", "items")
RESPONDENTS = {"p": "Parents", "t": "Teachers", "s": "Students", "tot": "All respondents"}
SCALES = {"saf": "Safety & Respect", "com": "Communication", "eng": "Engagement", "aca": "Academic Expectations"}
_HIDDEN_NOTE = ("{n:,} {noun} hidden here: a count from 1 to 9, or one that would reveal one with other figures "
                "(all schools are the sum of the schools, an item's answered the sum of its options); percentages, "
                "scores and response rates that would give a hidden count back are hidden with it.")


class NoSurveySummaryError(ValueError):
    """No survey summary for what was asked (none loaded, another year, an unknown school or item)."""


@dataclass(frozen=True)
class SurveySummary:
    """The table and the notes that go with it (what is hidden and why). The table's `hidden` column says which
    rows hide figures for privacy; a blank figure in a row not hidden is blank in the file."""

    table: pd.DataFrame
    school_year: str
    notes: tuple[str, ...]


def survey_summary_years(store: Store) -> list[str]:
    """The school years with a survey summary, latest first."""
    return loaded_years(store, "survey_summary")


def survey_summary_items(store: Store, school_year: str) -> list[str]:
    """The items of a year (t_q1a, ...), in order."""
    rows = store.cursor().execute("SELECT DISTINCT item FROM survey_summary WHERE school_year = ? AND measure IN "
                                  "('option_count', 'option_percent', 'checked_percent') ORDER BY 1",
                                  [school_year]).fetchall()
    return [r[0] for r in rows]


def _unit(cube: SurveyCube, school: str | None) -> str | None:
    if school is None:
        return None
    wanted = school.strip().casefold()
    found = next((k for k, v in cube.schools.items() if wanted in (k.casefold(), v.casefold())), None)
    if found is None:
        raise NoSurveySummaryError(f"no school {school!r} in the survey summary (give its code, e.g. a DBN)")
    return found


def _named(table: pd.DataFrame, cube: SurveyCube, column: str = "unit") -> pd.DataFrame:
    school_id = table[column].where(table[column] != DISTRICT)
    names = table[column].map(lambda u: cube.schools.get(u, u))
    return table.assign(school_id=school_id, unit=names)


def _response(cube: SurveyCube, unit: str | None) -> pd.DataFrame:
    people = cube.counts[cube.counts["item"] == "response"]
    wide = people.pivot_table(index=["unit", "respondent"], columns="option", values="value", aggfunc="first")
    hidden = people.pivot_table(index=["unit", "respondent"], columns="option", values="hidden", aggfunc="first")
    table = pd.DataFrame({"respondents": wide.get("respondents"), "eligible": wide.get("eligible")})
    flags = hidden.reindex(columns=["respondents", "eligible"]).fillna(False).to_numpy().astype(bool)
    table = table.where(~flags).assign(hidden=flags.any(axis=1))
    rates = cube.rows[cube.rows["measure"] == "response_rate"].set_index(["school_id", "respondent"])["value"]
    table["response_rate"] = rates.reindex(table.index).to_numpy()
    district = table.index.get_level_values("unit") == DISTRICT
    table.loc[district, "response_rate"] = (table["respondents"] / table["eligible"] * 100).round()[district]
    table.loc[table["respondents"].isna() | table["eligible"].isna(), "response_rate"] = np.nan
    table = table.reset_index()
    if unit is not None:
        table = table[table["unit"].isin([unit, DISTRICT])]
    return _order(_named(table, cube), ["respondents", "eligible", "response_rate", "hidden"])


def _order(table: pd.DataFrame, values: list[str], extra: tuple[str, ...] = ()) -> pd.DataFrame:
    table = table.assign(_district=table["school_id"].notna(), _who=table["respondent"].map(list(RESPONDENTS).index),
                         respondent=table["respondent"].map(RESPONDENTS))
    table = table.sort_values(["_district", "school_id", *extra, "_who"], na_position="first")
    return table[["unit", "school_id", "respondent", *[c for c in extra if not c.startswith("_")], *values]]


def _scores(cube: SurveyCube, unit: str | None) -> pd.DataFrame:
    scores = cube.scores.assign(score=cube.scores["value"].where(~cube.scores["hidden"].astype(bool)))
    scores = scores.assign(sum=scores["sum"].where(scores["score"].notna()), hidden=scores["hidden"].astype(bool),
                           scale=scores["item"].map(lambda s: SCALES.get(s, s)), unit=scores["school_id"])
    if unit is not None:
        scores = scores[scores["unit"].isin([unit, DISTRICT])]
    table = _named(scores.drop(columns=["school_id"]), cube)
    table["schools"] = table["schools"].astype("Int64")
    return _order(table.assign(_scale=table["item"].map(list(SCALES).index)), ["score", "sum", "schools", "hidden"],
                  ("_scale", "scale"))


def _items(cube: SurveyCube, unit: str | None, item: str | None) -> pd.DataFrame:
    rows, counts = cube.rows, cube.counts[cube.counts["item"] != "response"]
    if item is not None:
        if item not in set(rows["item"]):
            raise NoSurveySummaryError(f"no item {item!r} in the survey summary (items such as t_q1a, p_q5)")
        rows, counts = rows[rows["item"] == item], counts[counts["item"] == item]
    key = ["unit", "respondent", "item", "option"]
    options = counts[counts["option"] != ANSWERED]
    answered = counts[counts["option"] == ANSWERED][key[:3] + ["value", "hidden"]].rename(
        columns={"value": "answered", "hidden": "answered_hidden"})
    shares = rows[rows["measure"].isin(["option_percent", "checked_percent"])].rename(columns={"school_id": "unit"})
    table = shares[key + ["value"]].rename(columns={"value": "percent"}).merge(
        options[key + ["kind", "value", "hidden"]], on=key, how="outer")
    table = table.merge(answered, on=key[:3], how="left")
    people = cube.counts[(cube.counts["item"] == "response") & (cube.counts["option"] == "respondents")]
    gone = set(zip(people["unit"][people["hidden"]], people["respondent"][people["hidden"]], strict=True))
    gone_now = np.array([(u, r) in gone for u, r in zip(table["unit"], table["respondent"], strict=True)], dtype=bool)
    unproven = table["kind"].isna() & table["percent"].notna()  # a share with no count, not even implied: no
    hidden = table["hidden"].fillna(False).astype(bool) | table["answered_hidden"].fillna(False).astype(bool) | gone_now
    hidden |= unproven  # respondents to imply one from (blank in the file): not shown, as it cannot be protected
    table["count"] = table["value"].where(table["kind"].eq("count") & ~table["hidden"].fillna(False).astype(bool))
    shown_people = people[~people["hidden"]].set_index(["unit", "respondent"])["value"]
    boxes = table["answered"].isna() & table["kind"].eq("count")  # a check-all item: a share of respondents
    table.loc[boxes, "answered"] = shown_people.reindex(pd.MultiIndex.from_frame(
        table.loc[boxes, ["unit", "respondent"]])).to_numpy()
    table.loc[table["answered_hidden"].fillna(False).astype(bool) | gone_now | table["kind"].ne("count"),
              "answered"] = np.nan
    district = table["unit"] == DISTRICT
    table.loc[district, "percent"] = (table["value"] / table["answered"] * 100).round()[district]
    table.loc[hidden.to_numpy(), "percent"] = np.nan
    table["hidden"] = hidden.to_numpy()
    scores = rows[rows["measure"] == "item_score"].rename(columns={"school_id": "unit"})
    bad = set(zip(table["unit"][hidden], table["item"][hidden], strict=True)) | {(u, r) for u, r in gone}
    keep = [(u, i) not in bad and (u, i.split("_")[0]) not in gone for u, i in zip(scores["unit"], scores["item"],
                                                                                   strict=True)]
    table = table.merge(scores[keep][["unit", "item", "value"]].rename(columns={"value": "item_score"}),
                        on=["unit", "item"], how="left")
    if unit is not None:
        table = table[table["unit"].isin([unit, DISTRICT])]
    return _order(_named(table, cube), ["count", "percent", "answered", "item_score", "hidden"], ("item", "option"))


def survey_summary(store: Store, *, what: str = "response", school_year: str | None = None,
                   school: str | None = None, item: str | None = None) -> SurveySummary:
    """One view (`what`: response, scores or items) of the survey summary of one school year (default: the
    latest), for every school and all schools, or one school (its code or name) beside all schools; `item`
    keeps one item (items only)."""
    if what not in WHAT:
        raise ValueError(f"--what {what!r}: the survey summary shows {', '.join(WHAT)}")
    year = loaded_year(store, "survey_summary", school_year, NoSurveySummaryError, "survey summary",
                       "import a school-level survey results file")
    cube = survey_cube(store, year)
    unit = _unit(cube, school)
    table = {"response": lambda: _response(cube, unit), "scores": lambda: _scores(cube, unit),
             "items": lambda: _items(cube, unit, item)}[what]()
    table.insert(0, "school_year", year)
    for column in ("respondents", "eligible", "response_rate", "count", "answered"):
        if column in table:
            table[column] = table[column].round().astype("Int64")
    return SurveySummary(table.reset_index(drop=True), year, _notes(cube, what, unit, item))


def _notes(cube: SurveyCube, what: str, unit: str | None, item: str | None) -> tuple[str, ...]:
    counts = cube.counts if unit is None else cube.counts[cube.counts["unit"].isin([unit, DISTRICT])]
    counts = counts if item is None or what != "items" else counts[counts["item"] == item]
    counts = counts[(counts["item"] == "response") == (what == "response")]
    shown = counts[counts["kind"] == "count"]
    hidden = int(shown["hidden"].sum())
    out = [_HIDDEN_NOTE.format(n=hidden, noun="count" if hidden == 1 else "counts")] if hidden and what != "scores" \
        else []
    if what == "scores":
        scores = cube.scores if unit is None else cube.scores[cube.scores["school_id"].isin([unit, DISTRICT])]
        out.append(f"{int(scores['hidden'].sum()):,} scores hidden here. Scores are 0-10; a school's scores are "
                   "hidden when its respondents are (the scores of all respondents when any type's are); 'All "
                   "schools' is the mean of the schools' scores (their sum beside it), hidden when it would give a "
                   "hidden score back.")
    if what == "response":
        out.append("A school's response rate is the file's (rr_*); all schools': respondents / eligible.")
    if what == "items":
        out.append("A school's percentages and item scores are the file's (items given only as percentages, such "
                   "as the students', have no counts); all schools': the summed counts over the summed answered.")
    return tuple(out)
