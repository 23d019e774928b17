"""A school-level survey summary: a published file with one row per school and, per respondent type (p parents,
t teachers, s students), the response rate, respondents and eligible, scale scores, and per item its score and
the share (and number) of respondents choosing each answer. Recognised from its headers and unpivoted into one
row per figure (kind `survey_summary`).

The NYC School Survey school-level files are the model (`dbn`, `schoolname`, `rr_p`, `N_p`, `nr_p`,
`saf_p_11` ... `aca_tot_11`, `p_q1a`, `p_q1a_1`, `p_N_q1a_1`). The school year is read from the `_11` suffix of
the scale-score columns (the only place the file says it): a 2-digit year is the spring year, as a 4-digit year
column is read elsewhere (the 2011 survey was given in spring 2011: school year 2010-11). `--year` overrides.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from equity_metrics.core.school_year import school_year_of
from equity_metrics.ingest.guessing import ColumnGuess
from equity_metrics.ingest.layout_fields import first_column, school_fields
from equity_metrics.ingest.mapping import Mapping, Unpivot

__all__ = ["SCALES", "is_survey_summary", "summary_columns", "survey_summary_guess", "year_from_suffix"]

SCALES = {"saf": "Safety & Respect", "com": "Communication", "eng": "Engagement", "aca": "Academic Expectations"}
_RESPONSE = re.compile(r"^(rr|N|nr)_([pts])$")
_SCALE = re.compile(r"^(saf|com|eng|aca)_([pts]|tot)_(\d{2})$")
_ITEM = re.compile(r"^([pts])_(N_)?(q\d+[a-z]?)(?:_(\d+))?$")
_MEASURES = {"rr": "response_rate", "N": "respondents", "nr": "eligible"}
_IDS = ("dbn", "school code", "school id", "school dbn", "location code")
_NAMES = ("schoolname", "school name", "school", "location name")


def summary_columns(columns: Sequence[str]) -> dict[str, tuple[str, str | None, str, str | None]]:
    """Raw header -> (measure, respondent, item, option) for every figure column of a survey summary."""
    found: dict[str, tuple[str, str | None, str, str | None]] = {}
    checked = {f"{m.group(1)}_{m.group(3)}" for c in columns
               if (m := _ITEM.match(str(c).strip())) and m.group(2) and m.group(4) is None}
    for column in columns:
        name = str(column).strip()
        if match := _RESPONSE.match(name):
            found[column] = (_MEASURES[match.group(1)], match.group(2), "response", None)
        elif match := _SCALE.match(name):
            found[column] = ("scale_score", match.group(2), match.group(1), None)
        elif match := _ITEM.match(name):
            respondent, count, item, option = match.groups()
            if f"{respondent}_{item}" in checked and option is None:  # one box of a "check all that apply" item
                box = re.fullmatch(r"(q\d+)([a-z])", item)
                if box:
                    found[column] = ("checked_count" if count else "checked_percent", respondent,
                                     f"{respondent}_{box.group(1)}", box.group(2))
                continue
            measure = "item_score" if option is None else "option_count" if count else "option_percent"
            found[column] = (measure, respondent, f"{respondent}_{item}", option)
    return found


def year_from_suffix(columns: Sequence[str]) -> str | None:
    """The school year of the scale-score columns' 2-digit suffix (`saf_p_11`: spring 2011, 2010-11); None when
    there is none or they disagree."""
    years = {m.group(3) for c in columns if (m := _SCALE.match(str(c).strip()))}
    return school_year_of(2000 + int(years.pop()) - 1) if len(years) == 1 else None


def is_survey_summary(columns: Sequence[str]) -> bool:
    """A school (code or name), respondents per respondent type, and at least ten item columns."""
    found = summary_columns(columns)
    measures = [m for m, *_ in found.values()]
    return (first_column(columns, _IDS) or first_column(columns, _NAMES)) is not None and "respondents" in measures \
        and sum(1 for m in measures if m in ("option_percent", "option_count")) >= 10


def survey_summary_guess(columns: Sequence[str]) -> ColumnGuess:
    """The mapping unpivoting every figure column into rows, and why each field comes from where."""
    found = summary_columns(columns)
    school_id, school_name = first_column(columns, _IDS), first_column(columns, _NAMES)
    mapped, school_reasons, from_name = school_fields(school_id, school_name, "the school code, read as text")
    reasons = {"measure": f"{len(found):,} figure columns: rr_/N_/nr_ (response rate, respondents, eligible), "
                          "saf/com/eng/aca_X_YY (scale scores 0-10), X_qNN (item score), X_qNN_k (% choosing "
                          "option k), X_N_qNN_k (number choosing option k), X_qNNa with X_N_qNNa (share and "
                          "number of respondents checking box a of a check-all item); X is p, t or s",
               "value": "the cells of those columns; a blank cell is missing, never 0", **school_reasons}
    year = year_from_suffix(columns)
    constants = {"school_year": year} if year else {}
    if year:
        suffix = next(m.group(3) for c in columns if (m := _SCALE.match(str(c).strip())))
        reasons["school_year"] = (f"school year {year}: from the '_{suffix}' suffix of the scale-score columns "
                                  f"(the only place the file gives it), read as the spring year 20{suffix}, as a "
                                  "4-digit year column is; --year overrides")
    unpivot = Unpivot(columns=tuple(found), name_field="item", value_field="value",
                      names={c: item for c, (_, _, item, _) in found.items()},
                      category_field="measure", categories={c: m for c, (m, *_) in found.items()},
                      attributes={"respondent": {c: r for c, (_, r, _, _) in found.items() if r},
                                  "option": {c: o for c, (*_, o) in found.items() if o}})
    mapping = Mapping(kind="survey_summary", columns=mapped, constants=constants, unpivot=unpivot,
                      school_id_from_name=from_name)
    notes = ("Other columns (such as d75, studentssurveyed, schooltype) describe the school and are not read.",)
    return ColumnGuess(mapping, reasons, notes)
