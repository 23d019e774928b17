"""Table downloads: suppressed result tables as a formatted XLSX workbook (with a notes sheet) or as CSV.

Columns get their display labels; percent, ratio, p-value and count columns get number formats; the header
row is frozen. Text a spreadsheet could run as a formula (starting with =, +, -, @, a tab or a carriage return)
gets a leading apostrophe, while numbers (negative ones included) stay numbers. Every file carries where the
data came from and when it was made (`Provenance`), says "synthetic" when the sample district is loaded, and
states the suppression rules. The tables are written as the library suppressed them: nothing is recomputed.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from equity_metrics.core.constants import DIMENSIONS, SAMPLE_DATA_LABEL
from equity_metrics.core.formulas import neutralise
from equity_metrics.core.i18n import Translator, translator
from equity_metrics.measures.analysis import Result
from equity_metrics.measures.metrics import GAP_COLUMNS, RATE_COLUMNS, MetricOptions
from equity_metrics.narrative import wording
from equity_metrics.narrative.scope import scope
from equity_metrics.storage.store import Store

_SHEET_NAME = re.compile(r"(.+?) \[(.+)\]")  # "file.xlsx [sheet]", as the importer names a workbook's sheets
_YEAR_RATIO = re.compile(r"risk_ratio_(\d{4}-\d{2})")
SHEET_NAME_LIMIT = 31  # Excel's limit on a worksheet name
CSV_ENCODING = "utf-8-sig"  # with a byte-order mark, so Excel reads accents and dashes correctly

COLUMN_LABELS: dict[str, str] = {
    "indicator": "Indicator", "indicator_id": "Indicator id", "domain": "Domain", "school_year": "School year",
    "school": "School", "construct": "Construct", "respondent_type": "Respondent", "latest_year": "Latest year",
    "group": "Group", "sentence": "Finding",
    # rates
    "denominator": "n", "numerator": "With outcome", "rate": "Rate", "rate_ci_low": "95% CI low",
    "rate_ci_high": "95% CI high", "comparison_rate": "Comparison rate", "risk_ratio": "Risk ratio",
    "risk_ratio_ci_low": "RR 95% CI low", "risk_ratio_ci_high": "RR 95% CI high",
    "alternate_risk_ratio": "Alternate risk ratio (IDEA)", "weighted_risk_ratio": "Weighted risk ratio",
    "adjusted_risk_ratio": "Adjusted risk ratio (MH)",
    "adjusted_risk_ratio_ci_low": "Adjusted RR 95% CI low", "adjusted_risk_ratio_ci_high": "Adjusted RR 95% CI high",
    "rate_difference": "Difference (pts)", "p_value": "p-value", "q_value": "q-value (FDR)", "test": "Test",
    "share_of_denominator": "Share of population", "share_of_numerator": "Share of outcome",
    "representation_index": "Representation index", "suppressed": "Suppressed", "note": "Note",
    # score gaps
    "n": "n", "mean": "Mean", "sd": "SD", "median": "Median", "comparison_mean": "Comparison mean",
    "mean_difference": "Difference", "hedges_g": "Hedges' g", "hedges_g_ci_low": "g 95% CI low",
    "hedges_g_ci_high": "g 95% CI high", "median_gap_sd": "Median gap (SDs)",
    "adjusted_mean_difference": "Adjusted difference", "adjusted_mean_difference_ci_low": "Adjusted 95% CI low",
    "adjusted_mean_difference_ci_high": "Adjusted 95% CI high", "adjusted_p_value": "Adjusted p-value",
    # association (race as a predictor)
    "students": "Students", "groups": "Groups", "chi_square": "Chi-square", "df": "df",
    "cramers_v": "Cramér's V", "eta_squared": "Eta squared",
    # IDEA significant disproportionality
    "min_n": "n-size", "min_cell": "Cell size", "threshold": "Threshold",
    "above_threshold_latest": "Above threshold (latest year)", "years_above": "Years above",
    "above_threshold_each_year": "Flag: above in each year", "reasonable_progress": "Reasonable progress",
}

DEFINITIONS: dict[str, str] = {
    "indicator": "The measure (see the methods for its population and event).",
    "school_year": "Groups are compared within one school year, never across years.",
    "denominator": "Students in the group (the population of the indicator).",
    "numerator": "Students in the group with the outcome.",
    "rate": "With outcome / n.",
    "rate_ci_low": "Lower end of the 95% Wilson interval of the rate.",
    "rate_ci_high": "Upper end of the 95% Wilson interval of the rate.",
    "comparison_rate": "Rate of the comparison group (all other students of the unit, or the chosen group).",
    "risk_ratio": "Rate / comparison rate (IDEA, 34 CFR 300.647).",
    "risk_ratio_ci_low": "Lower end of the 95% Katz interval of the risk ratio.",
    "risk_ratio_ci_high": "Upper end of the 95% Katz interval of the risk ratio.",
    "alternate_risk_ratio": "At a school whose own comparison group misses the minimums: the group's rate over "
                            "the district's all other students' rate (34 CFR 300.647(b)(5)).",
    "weighted_risk_ratio": "R_g x (sum of the other groups' standard shares) / (sum of their shares x their "
                           "rates), with the standard (e.g. State) composition entered; hidden groups pooled.",
    "adjusted_risk_ratio": "Mantel-Haenszel risk ratio: the group against the same comparison within strata of "
                           "the dimension named in the note (school, disability status, ...).",
    "adjusted_risk_ratio_ci_low": "Lower end of the 95% Greenland-Robins interval of the adjusted risk ratio.",
    "adjusted_risk_ratio_ci_high": "Upper end of the 95% Greenland-Robins interval of the adjusted risk ratio.",
    "rate_difference": "Rate minus comparison rate, in percentage points.",
    "p_value": "p-value of the named test (chi-square, Fisher's exact test, or Welch's t-test for means).",
    "q_value": "Benjamini-Hochberg q-value: the p-value corrected for every test in the same table (false "
               "discovery rate); a gap is called significant when q < 0.05.",
    "test": "The test that ran: Pearson chi-square, or Fisher's exact test when an expected count is under 5.",
    "share_of_denominator": "The group's share of the known groups' students.",
    "share_of_numerator": "The group's share of the known groups' students with the outcome.",
    "representation_index": "Share of outcome / share of population (above 1: over-represented).",
    "suppressed": "Yes when the group's count or rate is hidden or not calculated.",
    "note": "Why a value is hidden or not calculated.",
    "n": "Students in the group with a value.",
    "mean": "Mean of the group.",
    "sd": "Standard deviation of the group.",
    "median": "Median of the group.",
    "comparison_mean": "Mean of the comparison group.",
    "mean_difference": "Mean minus comparison mean.",
    "adjusted_mean_difference": "The gap adjusted by least squares for the chosen controls, with school fixed "
                                "effects (students compared within their school).",
    "adjusted_mean_difference_ci_low": "Lower end of its 95% interval (errors clustered by school, t on schools - 1 "
                                       "degrees of freedom).",
    "adjusted_mean_difference_ci_high": "Upper end of its 95% interval.",
    "adjusted_p_value": "Two-sided p-value of the adjusted gap.",
    "hedges_g": "Standardized mean difference (Hedges' g, pooled SD, small-sample corrected).",
    "hedges_g_ci_low": "Lower end of the 95% interval of Hedges' g.",
    "hedges_g_ci_high": "Upper end of the 95% interval of Hedges' g.",
    "median_gap_sd": "Median minus the chosen group's median, in SDs of all known students.",
    "students": "Students counted (for a survey: respondents).",
    "groups": "Groups compared (hidden groups pooled into one).",
    "chi_square": "Pearson chi-square across the groups (their outcomes).",
    "df": "Degrees of freedom of the chi-square.",
    "cramers_v": "Cramér's V: how much the groups predict the outcome, from 0 (not at all) to 1.",
    "eta_squared": "Eta squared: the share of the variation in values between the groups.",
    "min_n": "Minimum group size (n-size) for a rate or risk ratio.",
    "min_cell": "Minimum number with the outcome (cell size) for a risk ratio.",
    "threshold": "Risk-ratio threshold for significant disproportionality.",
    "above_threshold_latest": "The latest year's risk ratio is above the threshold.",
    "years_above": "Years in which the risk ratio was above the threshold.",
    "above_threshold_each_year": "Above the threshold in each of the last years the rule looks back "
                                 "(34 CFR 300.647(d)); a year not calculated counts as not above.",
    "reasonable_progress": "A lower risk ratio in each of the last 2 year-over-year steps (34 CFR 300.647(d)(2)).",
    "sentence": "Generated from the numbers; 'statistically significant' only when q < 0.05 (the p-value "
                "corrected for every test of the table) and the risk-ratio interval excludes 1.",
}

PERCENT_COLUMNS = frozenset({"rate", "rate_ci_low", "rate_ci_high", "comparison_rate", "rate_difference",
                             "share_of_denominator", "share_of_numerator"})
RATIO_COLUMNS = frozenset({"risk_ratio", "risk_ratio_ci_low", "risk_ratio_ci_high", "representation_index",
                           "hedges_g", "hedges_g_ci_low", "hedges_g_ci_high", "median_gap_sd"})
COUNT_COLUMNS = frozenset({"denominator", "numerator", "n", "min_n", "min_cell", "years_above", "students"})
MEAN_COLUMNS = frozenset({"mean", "sd", "median", "comparison_mean", "mean_difference", "threshold"})
POINT_COLUMNS = frozenset({"rate_difference"})  # differences of rates: percentage points
P_VALUE_COLUMNS = frozenset({"p_value", "q_value", "adjusted_p_value"})
ASSOCIATION_COLUMNS = frozenset({"cramers_v", "eta_squared"})
_EXCEL_FORMATS = {"percent": "0.0%", "points": '+0.0" pts";-0.0" pts";0.0" pts"', "ratio": "0.00", "count": "#,##0",
                  "mean": "#,##0.0", "p": "0.0000", "association": "0.000"}


@dataclass(frozen=True)
class Provenance:
    """Where the numbers come from and when the file was made: the loaded datasets and the date, and whether
    the synthetic sample district is among them."""

    datasets: tuple[str, ...]
    created: date
    holds_sample: bool = False
    only_sample: bool = False

    @property
    def data_label(self) -> str:
        if self.only_sample:
            return SAMPLE_DATA_LABEL
        if self.holds_sample:
            return f"Your files mixed with the {SAMPLE_DATA_LABEL}"
        return "Your district's files"

    @property
    def files(self) -> str:
        """The dataset names, sheets of one workbook together: 'roster.xlsx [2023-24, 2024-25], discipline.csv'."""
        sheets: dict[str, list[str]] = {}
        for name in self.datasets:
            match = _SHEET_NAME.fullmatch(name)
            file, sheet = (match.group(1), match.group(2)) if match else (name, "")
            sheets.setdefault(file, [])
            if sheet:
                sheets[file].append(sheet)
        return ", ".join(f"{file} [{', '.join(parts)}]" if parts else file for file, parts in sheets.items())

    @property
    def source_line(self) -> str:
        """'Data: Sample data (synthetic): a.csv, b.xlsx [Staff, Schools]. Made 2025-06-30.'"""
        return f"Data: {self.data_label}: {self.files or 'no dataset'}. Made {self.created.isoformat()}."

    def label_in(self, tr: Translator) -> str:
        """`data_label` in the translator's language."""
        if tr.english:
            return self.data_label
        sample = tr.gettext("Sample data (synthetic)")
        if self.only_sample:
            return sample
        if self.holds_sample:
            return tr.gettext("Your files mixed with the {sample}").format(sample=sample)
        return tr.gettext("Your district's files")

    def source_line_in(self, tr: Translator) -> str:
        """`source_line` in the translator's language."""
        if tr.english:
            return self.source_line
        return tr.gettext("Data: {data}: {files}. Made {made}.").format(
            data=self.label_in(tr), files=self.files or tr.gettext("no dataset"), made=tr.date(self.created))


def provenance(store: Store, created: date | None = None) -> Provenance:
    """The store's datasets (oldest first) and today's date (or `created`)."""
    names = [str(n) for n in store.datasets()["name"]][::-1]
    return Provenance(tuple(names), created or date.today(), store.holds_sample(), store.holds_only_sample())


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a table in library column names (already suppressed) and a sentence saying what it is."""

    title: str
    frame: pd.DataFrame
    caption: str = ""


def result_sheet(result: Result) -> Sheet:
    """A library result as a sheet: its unit and group columns, then every rate (or score-gap) measure, with a
    caption naming the indicator, the years and the comparison."""
    measures = GAP_COLUMNS if "hedges_g" in result.table.columns else RATE_COLUMNS
    dims = [*result.units, *result.groups]
    extra = ["median_gap_sd"] if "median_gap_sd" in result.table.columns else []
    by = " and ".join(column_label(d).lower() for d in dims)
    where = scope(result.filters, result.groups, result.units).where()
    caption = (f"{result.indicator.label} by {by}: {where}; each group compared with "
               f"{result.options.comparison_label}.")
    return Sheet(result.indicator.label, result.table[[*dims, *measures, *extra]], caption)


# ---- cell values ----------------------------------------------------------------------------------------
def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and not math.isfinite(value)


def cell_value(value: Any) -> Any:
    """A value as a spreadsheet cell: None for missing, Python numbers and booleans, neutralised text."""
    if isinstance(value, np.generic):
        value = value.item()
    if _missing(value):
        return None
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (date, pd.Timestamp)):
        return value
    return neutralise(str(value))


def column_label(column: str, lang: str = "en") -> str:
    """The display label of a library column: 'rate' -> 'Rate', 'race' -> 'Race/ethnicity' (in `lang`: the
    catalogue's translation of the English label, a dimension's from the glossary)."""
    if lang != "en":
        tr = translator(lang)
        if column in COLUMN_LABELS:
            return tr.gettext(COLUMN_LABELS[column])
        if column in DIMENSIONS:
            return tr.term(DIMENSIONS[column].label)
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column]
    if column in DIMENSIONS:
        return DIMENSIONS[column].label
    year = _YEAR_RATIO.fullmatch(column)
    if year:
        return f"Risk ratio {year.group(1)}"
    return column.replace("_", " ").capitalize()


def column_kind(column: str) -> str:
    """How a column's numbers are shown: percent, points, ratio, count, mean, p, association or plain."""
    if column in POINT_COLUMNS:
        return "points"
    if column in PERCENT_COLUMNS:
        return "percent"
    if (column in RATIO_COLUMNS or _YEAR_RATIO.fullmatch(column)
            or column.endswith(("risk_ratio", "risk_ratio_ci_low", "risk_ratio_ci_high"))):
        return "ratio"
    if column in COUNT_COLUMNS:
        return "count"
    if column in MEAN_COLUMNS or column.startswith("adjusted_mean_difference"):
        return "mean"
    if column in P_VALUE_COLUMNS:
        return "p"
    if column in ASSOCIATION_COLUMNS:
        return "association"
    return "plain"


def p_text(value: float) -> str:
    """A p- or q-value as a reader should see it: '< 0.001', else three decimals ('0.046')."""
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


_NUMBER_TEXT: dict[str, Callable[[float], str]] = {
    "percent": lambda v: f"{v * 100:.1f}%",
    "points": lambda v: f"{v * 100:+.1f} pts",
    "ratio": lambda v: f"{v:.2f}",
    "count": lambda v: f"{int(v):,}",
    "mean": lambda v: f"{v:,.1f}",
    "p": p_text,
    "association": lambda v: f"{v:.3f}",
}


def screen_format(column: str) -> Callable[[float], str] | None:
    """How a number of a result column reads on screen and in reports (a missing one, hidden or not
    calculated, is blank): '10.7%', '+3.2 pts', '1,387', '2.41', '< 0.001'. None: a plain column."""
    return _NUMBER_TEXT.get(column_kind(column))


def _localized_number(kind: str, value: float, tr: Translator) -> str:
    if kind == "percent":
        return tr.percent(value)
    if kind == "points":
        return tr.gettext("{value} pts").format(value=("+" if value >= 0 else "-") + tr.plain(abs(value) * 100, 1))
    if kind == "count":
        return tr.integer(value)
    if kind == "mean":
        return tr.decimal(value, 1)
    if kind == "p":
        return "< " + tr.plain(0.001, 3) if value < 0.001 else tr.plain(value, 3)
    return tr.plain(value, 2 if kind == "ratio" else 3)


def display_text(column: str, value: Any, lang: str = "en") -> str:
    """A value as text for a report or a slide: 12.3%, +3.2 pts, 2.41, 1,234, < 0.001; empty when missing.
    In another language, numbers as its locale writes them, words from the glossary, notes translated."""
    if isinstance(value, np.generic):
        value = value.item()
    if _missing(value):
        return ""
    if lang != "en":
        tr = translator(lang)
        if isinstance(value, bool):
            return tr.gettext("Yes") if value else tr.gettext("No")
        if isinstance(value, str):
            if column == "test":
                return wording.test_name(value, tr)
            return wording.note(value, tr) if column == "note" else tr.term(value)
        kind = column_kind(column)
        if isinstance(value, (int, float)) and kind != "plain":
            return _localized_number(kind, value, tr)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if not isinstance(value, (int, float)):
        return str(value)
    number_text = screen_format(column)
    if number_text is not None:
        return number_text(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with display labels as column names (values unchanged)."""
    return frame.rename(columns={c: column_label(c) for c in frame.columns})


# ---- suppression rules and methods, said the same way in every export ------------------------------------
def suppression_rules(options: MetricOptions, lang: str = "en") -> list[str]:
    """The privacy and minimum rules that applied, in plain words, with their values."""
    tr = translator(lang)
    t = options.privacy_threshold
    return [
        tr.gettext("Counts from 1 to {last} are never shown, nor a count whose complement (n minus the count) is "
                   "from 1 to {last}; everything that would reveal it (rate, interval, comparison, ratio, test, "
                   "share) is hidden with it. Zeros are shown.").format(last=t - 1),
        tr.gettext("Complementary suppression: when a line of cells whose total is public has exactly one hidden "
                   "cell, the smallest other cell is hidden too, so no hidden count can be recovered by subtraction."),
        tr.gettext("n-size {min_n}: no rate, interval, ratio or test for a group with fewer students.").format(
            min_n=options.min_n),
        tr.gettext("Cell size {min_cell}: no risk ratio when the group or its comparison has fewer students with "
                   "the outcome.").format(min_cell=options.min_cell),
        tr.gettext("Unknown race/ethnicity is its own row: shown, never compared, never part of a share."),
        tr.gettext("No student ID or name appears in this file: every number is a count or a statistic of a group."),
    ]


def methods_lines(options: MetricOptions, lang: str = "en") -> list[str]:
    """The methods in brief (docs/methods.md), for a notes sheet, a methods slide or a report's last section."""
    tr = translator(lang)
    return [
        tr.gettext("Each group is compared with {comparison} of the same school year (and school, when split by "
                   "school); years are never pooled.").format(
            comparison=wording.comparison_phrase(options, "students", tr)),
        tr.gettext("Rate = students with the outcome / students in the group, with a 95% Wilson interval."),
        tr.gettext("Risk ratio = rate / comparison rate (IDEA, 34 CFR 300.647), with a 95% Katz interval; "
                   "difference in percentage points."),
        tr.gettext("Test: Pearson chi-square of the 2x2 table, or Fisher's exact test when an expected count is "
                   "under 5. A gap is called statistically significant only when its Benjamini-Hochberg q-value (the "
                   "p-value corrected for every test of the table, false discovery rate) is under 0.05 and the "
                   "risk-ratio interval excludes 1."),
        tr.gettext("Score gaps: difference in means, Hedges' g with its 95% interval, Welch's t-test."),
        tr.gettext("IDEA significant disproportionality: risk ratio vs all other students above the threshold in "
                   "each of the last 3 years (34 CFR 300.647(d)); a year not calculated counts as not above."),
        *suppression_rules(options, lang),
    ]


# ---- XLSX ---------------------------------------------------------------------------------------------------
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_TITLE_FONT = Font(bold=True, size=14)
_BOLD = Font(bold=True)


def sheet_name(title: str, taken: Iterable[str] = ()) -> str:
    """A valid, unique worksheet name: no []:*?/\\ and at most 31 characters."""
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip().strip("'") or "Sheet"
    base = base[:SHEET_NAME_LIMIT]
    taken = {t.lower() for t in taken}
    name, index = base, 2
    while name.lower() in taken:
        suffix = f" ({index})"
        name, index = base[:SHEET_NAME_LIMIT - len(suffix)] + suffix, index + 1
    return name


def _cell_in(column: str, value: Any, lang: str) -> Any:
    """A text cell in `lang` (glossary terms, notes, test names); numbers and flags as they are."""
    value = cell_value(value)
    if lang == "en" or not isinstance(value, str):
        return value
    return neutralise(display_text(column, value, lang))


def _write_table(sheet: Any, frame: pd.DataFrame, lang: str = "en") -> None:
    columns = list(frame.columns)
    sheet.append([column_label(c, lang) for c in columns])
    for cell in sheet[1]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    points = [column_kind(c) == "points" for c in columns]  # written in points (x 100), shown '+3.2 pts'
    for row in frame.itertuples(index=False, name=None):
        sheet.append([_points(cell_value(v)) if p else _cell_in(c, v, lang)
                      for c, v, p in zip(columns, row, points, strict=True)])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        number_format = _EXCEL_FORMATS.get(column_kind(column))
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        longest = max([len(column_label(column, lang)),
                       *(len(str(v)) for v in frame[column].head(200) if not _missing(v))])
        sheet.column_dimensions[letter].width = min(max(10, longest + 2), 60)
    sheet.freeze_panes = "A2"
    if len(frame):
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(frame) + 1}"


def _points(value: Any) -> Any:
    """A difference of rates (a fraction) in percentage points, as the column's header and note say."""
    return value * 100 if isinstance(value, float | int) and not isinstance(value, bool) else value


def _definitions(sheets: Sequence[Sheet], tr: Translator) -> dict[str, str]:
    """Each column's label -> its definition, once per label, in the translator's language."""
    seen: dict[str, str] = {}
    for item in sheets:
        for column in item.frame.columns:
            label = column_label(column, tr.code)
            year = _YEAR_RATIO.fullmatch(column)
            definition = (tr.gettext(DEFINITIONS[column]) if column in DEFINITIONS else
                          tr.gettext("Risk ratio in {year}.").format(year=year.group(1)) if year else "")
            if definition and label not in seen:
                seen[label] = definition
    return seen


def _write_notes(sheet: Any, sheets: Sequence[Sheet], source: Provenance, options: MetricOptions,
                 extra: Sequence[str], lang: str = "en") -> None:
    tr = translator(lang)
    gettext = tr.gettext
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 110

    def line(label: str, text: str = "", bold: bool = False) -> None:
        sheet.append([neutralise(label), neutralise(text)])
        row = sheet.max_row
        sheet.cell(row, 2).alignment = Alignment(wrap_text=True, vertical="top")
        if bold:
            sheet.cell(row, 1).font = _BOLD

    sheet.append([gettext("About this workbook")])
    sheet.cell(1, 1).font = _TITLE_FONT
    line(gettext("Data"), source.label_in(tr), bold=True)
    line(gettext("Datasets"), source.files)
    line(gettext("Made"), tr.date(source.created))
    if source.holds_sample:
        line(gettext("Sample data (synthetic)"), gettext("Invented students in an invented district, made to show "
                                                          "how the tool works. The numbers are not findings about any "
                                                          "real district."), bold=True)
    for text in extra:
        line("", text)
    sheet.append([])
    line(gettext("Sheets"), bold=True)
    for item in sheets:
        line(item.title, item.caption)
    sheet.append([])
    line(gettext("Suppression rules"), bold=True)
    for rule in suppression_rules(options, lang):
        line("", rule)
    sheet.append([])
    line(gettext("Definitions"), bold=True)
    for label, definition in _definitions(sheets, tr).items():
        line(label, definition)


def xlsx_bytes(sheets: Sequence[Sheet], source: Provenance, options: MetricOptions = MetricOptions(),
               extra_notes: Sequence[str] = (), lang: str = "en") -> bytes:
    """A workbook with one formatted sheet per table and a last 'Notes' sheet: data source, date, the sample
    label when it applies, each sheet's caption, the suppression rules and the definitions of the columns (its
    words in `lang`; the sheets' titles and captions are the caller's)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    names: list[str] = []
    for item in sheets:
        name = sheet_name(item.title, names)
        names.append(name)
        _write_table(workbook.create_sheet(name), item.frame, lang)
    _write_notes(workbook.create_sheet(sheet_name(translator(lang).gettext("Notes"), names)), sheets, source, options,
                 extra_notes, lang)
    workbook.properties.title = sheets[0].title if sheets else "Equity Explorer export"
    workbook.properties.creator = "Equity Explorer"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---- CSV ----------------------------------------------------------------------------------------------------
SOURCE_COLUMN = "Data source"
MADE_COLUMN = "Made"


def _numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)


def _csv_text(value: Any) -> Any:
    """A text cell for CSV: formula-like text neutralised, and a bare carriage return made a line break (the
    writer quotes a field with a line break, not one with a lone CR, which readers take for the row's end)."""
    value = cell_value(value)
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def table_csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as the app's quick "Download table (CSV)": library column names, numbers at full precision,
    empty where hidden, formula-like text (a school named '=HYPERLINK(...)') neutralised; UTF-8."""
    out = pd.DataFrame({c: frame[c] if _numeric(frame[c]) else frame[c].map(_csv_text) for c in frame.columns})
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")


def csv_bytes(frame: pd.DataFrame, source: Provenance) -> bytes:
    """The table as CSV (UTF-8 with a byte-order mark): display labels, numbers at full precision (differences
    of rates in percentage points, as their header says), empty cells where a value is hidden, formula-like text
    neutralised, and two last columns naming the data and the date."""
    out = pd.DataFrame({column_label(c): (frame[c] * 100 if column_kind(c) == "points" else frame[c])
                        if _numeric(frame[c]) else frame[c].map(_csv_text) for c in frame.columns})
    out[SOURCE_COLUMN] = neutralise(f"{source.data_label}: {source.files}")
    out[MADE_COLUMN] = source.created.isoformat()
    return out.to_csv(index=False, lineterminator="\n").encode(CSV_ENCODING)
