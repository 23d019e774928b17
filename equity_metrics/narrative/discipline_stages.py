"""Discipline stages by group: referral -> in-school suspension -> out-of-school suspension -> expulsion.

Per group and stage, two rates: per enrolled student (how many students of the group reach the stage), and,
after the referral, per referred student (of the group's students referred, the share given each sanction:
the conditional share, OJJDP's staged denominator). A *referral* is any disciplinary action on file for the
student that year, so a district whose file lists only removals has no referral stage: the stages then start
at the in-school suspension, and the result says so. The sanctions are not nested (an out-of-school
suspension needs no earlier in-school one), so every conditional share is of the referred students.

Counts come from student-level records only (never from aggregated counts, which have no referrals), and
every count from the stage's protected table (`protected`): the stages show nothing the rates do not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity_metrics.core.codes import ACTIONS
from equity_metrics.measures import aggregate, analysis, metrics, protected
from equity_metrics.measures.aggregate import Filters, check_dimensions, filter_sql, grouping_sql
from equity_metrics.measures.indicators import INDICATORS, REFERRAL, STAGE_SANCTIONS, Indicator
from equity_metrics.measures.metrics import RATE_COLUMNS, MetricOptions
from equity_metrics.narrative import findings
from equity_metrics.storage.facts import SOURCES
from equity_metrics.storage.store import Store, quote_identifier

PER_STUDENT = "per enrolled student"
OF_REFERRED = "of students referred"
# Actions short of a removal (detention, conference, warning, parent contact...: codes.ACTION_CODES). A
# file that records none of them records only removals, and its "referrals" would be the removals again.
MINOR_ACTIONS: tuple[str, ...] = ("Other",)
if not set(MINOR_ACTIONS) <= set(ACTIONS):
    raise RuntimeError("MINOR_ACTIONS must be canonical actions")

SANCTIONS: tuple[Indicator, ...] = tuple(INDICATORS[i] for i in STAGE_SANCTIONS)


def of_referred(stage: Indicator) -> Indicator:
    """The sanction as a share of the referred students ("receive an out-of-school suspension once referred")."""
    return Indicator(f"{stage.id}_of_referred", f"{stage.label}, of students referred", "Discipline", "rate",
                     "student_year", stage.value, f"{stage.event} once referred", population="referred",
                     population_label="students referred", requires="discipline",
                     description=f"Of the students referred for discipline, the share with at least one "
                                 f"{stage.label.lower()}.")


@dataclass(frozen=True)
class StagedRates:
    """Suppressed rates of every stage, per enrolled student and of students referred, by group.

    `table` has the columns basis (PER_STUDENT or OF_REFERRED), stage (an indicator id), stage_label, the unit
    and group dimensions, then metrics.RATE_COLUMNS; one row per basis x stage x cell, stages in order.
    """

    stages: tuple[Indicator, ...]
    groups: tuple[str, ...]
    units: tuple[str, ...]
    filters: Filters
    options: MetricOptions
    table: pd.DataFrame
    referral_recorded: bool

    @property
    def school_years(self) -> tuple[str, ...]:
        return self.filters.school_years

    @property
    def per_student(self) -> pd.DataFrame:
        return self.table[self.table["basis"] == PER_STUDENT].reset_index(drop=True)

    @property
    def of_referred(self) -> pd.DataFrame:
        return self.table[self.table["basis"] == OF_REFERRED].reset_index(drop=True)

    def stage_indicator(self, stage_id: str, basis: str = PER_STUDENT) -> Indicator:
        stage = next(s for s in self.stages if s.id == stage_id)
        return stage if basis == PER_STUDENT else of_referred(stage)


def resolve_years(store: Store, filters: Filters, units: Sequence[str] = ()) -> Filters:
    """The filters' years that have student-level discipline records; with none chosen, the latest (or all
    of them when years are units). A year without records is never shown as zero referrals."""
    years = aggregate.student_level_years(store, "discipline")  # with a roster, oldest first
    if not years:
        raise analysis.NoDataError("No discipline records: the stages need a discipline file with one row per "
                                   "action (and the enrollment roster); load them on the Data page.")
    if filters.school_years:
        kept = [y for y in filters.school_years if y in years]
        if not kept:
            raise analysis.NoDataError(
                f"No student-level discipline records for {', '.join(filters.school_years)}, so the stages cannot "
                f"be measured (years with records: {', '.join(years)}).")
        return filters.with_years(kept)
    return filters.with_years(years if "school_year" in units else [years[-1]])


def referrals_recorded(store: Store, school_years: Sequence[str]) -> bool:
    """True when the discipline file of every one of these years records actions short of a removal."""
    recorded = store.scalar("SELECT count(DISTINCT school_year) FROM discipline "
                            "WHERE school_year = ANY($years) AND action = ANY($minor)",
                            {"years": list(school_years), "minor": list(MINOR_ACTIONS)})
    return bool(school_years) and int(recorded) == len(set(school_years))


def stage_cells(store: Store, dimensions: Sequence[str], filters: Filters = Filters()) -> pd.DataFrame:
    """One row per cell: the dimensions, `enrolled`, and per stage id the students reaching it (at least one
    such action that year); one GROUP BY over the student-year table joined to the discipline records."""
    source = SOURCES["student_year"]
    dimensions = check_dimensions(source, dimensions)
    where, params = filter_sql(filters, source)
    select_dims, group_by = grouping_sql(dimensions)
    counts = ", ".join([
        "count(*) AS enrolled",
        f"count_if(referred) AS {quote_identifier(REFERRAL.id)}",
        *(f"count_if(coalesce({quote_identifier(s.value)}, FALSE)) AS {quote_identifier(s.id)}" for s in SANCTIONS),
    ])
    sql = (f"SELECT {select_dims}{counts} FROM ("
           f"SELECT f.*, coalesce(r.referred, FALSE) AS referred FROM {source.table} f "
           "LEFT JOIN (SELECT DISTINCT school_year, student_id, TRUE AS referred FROM discipline) r "
           f"USING (school_year, student_id)) WHERE {where} {group_by}")
    return store.query(sql, params)


def staged_rates(store: Store, by: Sequence[str] = ("race",), filters: Filters = Filters(),
                 options: MetricOptions = MetricOptions()) -> StagedRates:
    """Every stage's rate per enrolled student and (with referrals on file) of students referred, by group,
    compared within each unit (school year, school) like every rate.

    Every count comes from the stage's protected table (`protected`), the same table the Discipline page's
    rates read: a referred count is the referral's numerator there and the conditional denominator here, a
    sanction's count is its numerator in both, and a share of the referred students is shown only where both
    its counts are. So the stages show no count the rates do not."""
    units, groups = analysis.split_dimensions(by)
    if not groups:
        raise ValueError("split by at least one student-group dimension (e.g. race)")
    filters = resolve_years(store, filters, units)
    recorded = referrals_recorded(store, filters.school_years)
    stages = (REFERRAL, *SANCTIONS) if recorded else SANCTIONS
    threshold = options.privacy_threshold
    parts = {stage.id: protected.protected_rate_cells(store, stage, filters.school_years, units, groups, filters,
                                                       threshold) for stage in stages}
    groups = list(protected.check_split(groups))
    if all(cells.empty for cells, _ in parts.values()):
        raise analysis.NoDataError("No enrolled students match these filters.")
    table_units = ["stage", *units]
    per_cells = pd.concat([cells.assign(stage=s.id) for s in stages for cells in [parts[s.id][0]]], ignore_index=True)
    per_totals = pd.concat([t.assign(stage=s.id) for s in stages for t in [parts[s.id][1]]], ignore_index=True)
    per = metrics.rate_table(per_cells[["stage", *units, *groups, *_COUNTS]], groups, table_units, options,
                             per_totals)
    per.insert(0, "basis", PER_STUDENT)
    if not recorded:
        return _result(stages, groups, units, filters, options, per, recorded)
    cond_cells = pd.concat([_of_referred(parts[REFERRAL.id][0], parts[s.id][0], [*units, *groups]).assign(stage=s.id)
                            for s in SANCTIONS], ignore_index=True)
    cond_totals = pd.concat([_of_referred(parts[REFERRAL.id][1], parts[s.id][1], units).assign(stage=s.id)
                             for s in SANCTIONS], ignore_index=True)
    cond = metrics.rate_table(cond_cells[["stage", *units, *groups, *_COUNTS]], groups, table_units, options,
                              cond_totals)
    cond.insert(0, "basis", OF_REFERRED)
    cond = cond[cond["denominator"].fillna(1).to_numpy(dtype="float64") > 0]
    return _result(stages, groups, units, filters, options, pd.concat([per, cond], ignore_index=True), recorded)


_COUNTS = ("denominator", "numerator", *metrics.PROTECTION_COLUMNS)


def _of_referred(referred: pd.DataFrame, sanction: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Cells of a sanction among the referred students: the referral's numerator is the denominator, the
    sanction's numerator the numerator; either hidden in its protected table hides the cell's counts."""
    left = referred[[*keys, "numerator", "hide_numerator"]].reset_index(drop=True)
    right = sanction[[*keys, "numerator", "hide_numerator"]].reset_index(drop=True)
    if keys:
        merged = left.merge(right, on=list(keys), how="left", suffixes=("_r", "_s"))
    else:  # one row each: all students of the unit
        merged = left.add_suffix("_r").join(right.add_suffix("_s"))
    hide_referred = merged["hide_numerator_r"].astype(bool).to_numpy()
    out = merged[list(keys)].copy()
    out["denominator"] = merged["numerator_r"].astype("int64")
    out["numerator"] = merged["numerator_s"].fillna(0).astype("int64")
    out["hide_denominator"] = hide_referred
    out["hide_numerator"] = hide_referred | merged["hide_numerator_s"].fillna(False).astype(bool).to_numpy()
    return out


def _result(stages: tuple[Indicator, ...], groups: Sequence[str], units: Sequence[str], filters: Filters,
            options: MetricOptions, table: pd.DataFrame, recorded: bool) -> StagedRates:
    labels = {s.id: s.label for s in stages}
    table.insert(2, "stage_label", table["stage"].map(labels))
    columns = ["basis", "stage", "stage_label", *units, *groups, *RATE_COLUMNS]
    return StagedRates(stages, tuple(groups), tuple(units), filters, options, table[columns].reset_index(drop=True),
                       recorded)


# ---- sentences --------------------------------------------------------------------------------------------
def _rows_of(table: pd.DataFrame, group: dict[str, str]) -> pd.DataFrame:
    mask = np.ones(len(table), dtype=bool)
    for dimension, value in group.items():
        mask &= (table[dimension].astype(str) == value).to_numpy()
    return table[mask]


def _pick(rows: pd.DataFrame) -> pd.Series | None:
    """The row with the largest risk ratio among the certain ones, else among the calculated ones."""
    rows = rows[np.isfinite(rows["risk_ratio"].to_numpy(dtype="float64"))]
    if rows.empty:
        return None
    certain = rows[findings.certain(rows)]
    chosen = certain if not certain.empty else rows
    return chosen.loc[chosen["risk_ratio"].astype("float64").idxmax()]


def _series(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def stage_headline(result: StagedRates) -> str:
    """One sentence following the group most over-represented at the first stage through every stage:
    "Compared with all other students, Black or African American students were 2.3 times as likely to be
    referred for discipline, ... and 2.1 times as likely to be expelled (2024-25); every one of these
    differences is statistically significant." Only tests that showed it are called significant."""
    per, groups = result.per_student, [*result.units, *result.groups]
    year = ", ".join(result.school_years)
    first = result.stages[0]
    row = _pick(per[per["stage"] == first.id])
    if row is None:
        return f"Discipline stages: no group could be compared at the {first.label.lower()} stage with these filters."
    group = {g: str(row[g]) for g in groups}
    noun = findings.mid_sentence(findings.group_noun(group))
    parts, uncertain, missing = [], [], []
    for stage in result.stages:
        rows = _rows_of(per[per["stage"] == stage.id], group)
        ratio = float(rows["risk_ratio"].iloc[0]) if len(rows) else np.nan
        if not np.isfinite(ratio):
            missing.append(stage.label.lower())
            continue
        parts.append(f"{findings.times(ratio)} times as likely to {stage.event}")
        if not findings.certain(rows).item():
            uncertain.append(stage.label.lower())
    if not uncertain:
        verdict = ("every one of these differences is statistically significant" if len(parts) > 1
                   else "the difference is statistically significant")
    elif len(uncertain) == len(parts):
        verdict = ("none of these differences is statistically significant: each could be due to chance"
                   if len(parts) > 1 else "the difference could be due to chance")
    else:
        verdict = f"the difference{'s' if len(uncertain) > 1 else ''} for {_series(uncertain)} could be due to chance"
    comparison = result.options.comparison_phrase("students")
    sentence = f"Compared with {comparison}, {noun} were {_series(parts)} ({year}); {verdict}."
    if missing:
        sentence += f" Not compared (too few students, or hidden): {_series(missing)}."
    return sentence


def conditional_headline(result: StagedRates) -> str:
    """Of the students referred, the sanction where the group of `stage_headline` differs most from its
    comparison (else the largest such difference of any group), as findings.rate_sentence words it."""
    if not result.referral_recorded:
        return ("Referrals are not on file (the discipline file lists no action short of a removal), so the "
                "share of referred students given each sanction cannot be measured.")
    cond, per, groups = result.of_referred, result.per_student, [*result.units, *result.groups]
    lead = _pick(per[per["stage"] == result.stages[0].id])
    row = _pick(_rows_of(cond, {g: str(lead[g]) for g in groups})) if lead is not None else None
    if row is None:
        row = _pick(cond)
    if row is None:
        return "Of the students referred, no group's share could be compared with these filters."
    return findings.rate_sentence(result.stage_indicator(str(row["stage"]), OF_REFERRED), row, groups, result.options)


def stage_hidden_notes(result: StagedRates, basis: str = PER_STUDENT) -> list[str]:
    """'Group (stages): reason' for every group not fully shown at some stage of one basis, so no group
    vanishes silently: "American Indian or Alaska Native students (referral, out-of-school suspension): hidden
    so a suppressed count cannot be recovered (complementary suppression)"."""
    table = result.table[result.table["basis"] == basis]
    stages: dict[tuple[str, str], list[str]] = {}
    for _, row in table.iterrows():
        if not row["note"] or row["note"] == "comparison group":
            continue
        noun = findings.group_noun({g: str(row[g]) for g in (*result.groups, *result.units)})
        stages.setdefault((noun, row["note"]), []).append(row["stage_label"].lower())
    return [f"{noun} ({', '.join(labels)}): {note}" for (noun, note), labels in stages.items()]
