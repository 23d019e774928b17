"""The standard yearly audit in one file: every indicator with data by race/ethnicity for one school year,
the largest certain gaps as findings, and the IDEA significant-disproportionality flags across years, written
as a workbook (.xlsx), a slide deck (.pptx) or a self-contained report (.html).

Everything comes from the library's suppressed tables (`analysis.audit`, `analysis.gaps`,
`disproportionality.disproportionality_table`); only the findings' charts are rendered, so a run takes
seconds. `python -m equity_metrics audit --out FILE` runs it for scheduled audits.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from equity_metrics.core.i18n import Translator, language, translator
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import DimensionError, Filters
from equity_metrics.measures.disproportionality import disproportionality_table
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.measures.metrics import GAP_COLUMNS, MetricOptions
from equity_metrics.measures.rules import MultiYearRule
from equity_metrics.narrative import findings, wording
from equity_metrics.narrative.findings import Finding
from equity_metrics.reports.deck import TableSlide, build_deck
from equity_metrics.reports.export_tables import Provenance, Sheet, provenance, xlsx_bytes
from equity_metrics.reports.html_report import TableSection, build_report
from equity_metrics.reports.report_items import ReportItem, finding_item
from equity_metrics.storage.store import Store

AUDIT_SUFFIXES = (".xlsx", ".pptx", ".html")
AUDIT_BY = ("race",)
AUDIT_FINDINGS = 8  # findings (and so charts) in a deck or report: the largest certain gaps, one per indicator
IDEA_DOMAIN = "Special education"
IDEA_SLIDE_ROWS = 10
# The columns a report or a slide shows of the long tables (the workbook keeps every column).
REPORT_RATE_COLUMNS = ("indicator", "race", "denominator", "numerator", "rate", "rate_ci_low", "rate_ci_high",
                       "comparison_rate", "risk_ratio", "risk_ratio_ci_low", "risk_ratio_ci_high", "p_value", "q_value", "note")
REPORT_GAP_COLUMNS = ("indicator", "race", "n", "mean", "sd", "comparison_mean", "mean_difference", "hedges_g",
                      "hedges_g_ci_low", "hedges_g_ci_high", "p_value", "note")
REPORT_PREDICTOR_COLUMNS = ("indicator", "school_year", "students", "cramers_v", "eta_squared", "p_value")
REPORT_IDEA_COLUMNS = ("indicator", "race", "latest_year", "denominator", "numerator", "risk_ratio",
                       "years_above", "above_threshold_each_year", "reasonable_progress", "note")


@dataclass(frozen=True, eq=False)  # holds frames: compared by identity
class StandardAudit:
    """The audit of one school year: suppressed tables, findings and where the data came from."""

    school_year: str
    options: MetricOptions
    rule: MultiYearRule
    source: Provenance
    rates: pd.DataFrame  # indicator, domain, indicator_id, school_year, race, RATE_COLUMNS
    gaps: pd.DataFrame  # indicator, domain, indicator_id, school_year, race, GAP_COLUMNS
    idea: pd.DataFrame  # one row per special-education indicator x race (disproportionality_table)
    findings: tuple[Finding, ...]
    idea_years: tuple[str, ...] = ()
    predictor: pd.DataFrame = field(default_factory=pd.DataFrame)  # race as a predictor (predictor_table)
    lang: str = "en"  # the language of its words ('en', 'es', 'zh'): findings, titles, notes, charts

    @property
    def tr(self) -> Translator:
        return translator(self.lang)

    @property
    def title(self) -> str:
        return self.tr.gettext("Equity audit, {year}").format(year=self.school_year)

    @property
    def comparison(self) -> str:
        return wording.comparison_phrase(self.options, "students", self.tr)

    @property
    def rule_label(self) -> str:
        if self.tr.english:
            return self.rule.label
        return self.tr.gettext("{measure} {sign} {threshold} in each of the last {years} years").format(
            measure=self.tr.gettext("risk ratio") if self.rule.measure == "risk_ratio" else self.rule.measure,
            sign="≥" if self.rule.inclusive else ">", threshold=self.tr.plain(self.rule.threshold, 1).rstrip("0").rstrip(",.") ,
            years=self.rule.years)

    @property
    def indicators_measured(self) -> int:
        return int(pd.concat([self.rates["indicator_id"], self.gaps["indicator_id"]]).nunique())

    @property
    def flagged(self) -> pd.DataFrame:
        """IDEA pairs above the threshold in each of the last years the rule looks back."""
        return self.idea[self.idea["above_threshold_each_year"].astype(bool)] if len(self.idea) else self.idea

    @property
    def subtitle(self) -> str:
        return self.tr.gettext("Every indicator with data in {year} by race/ethnicity, each group compared with "
                               "{comparison}; IDEA significant disproportionality ({rule}).").format(
            year=self.school_year, comparison=self.comparison, rule=self.rule_label)


def _labelled(table: pd.DataFrame) -> pd.DataFrame:
    """Indicator label and domain in front of an indicator_id table."""
    if table.empty:
        return table
    labels = [INDICATORS[i].label for i in table["indicator_id"]]
    domains = [INDICATORS[i].domain for i in table["indicator_id"]]
    return pd.concat([pd.DataFrame({"indicator": labels, "domain": domains}, index=table.index), table], axis=1)


def _years(store: Store) -> list[str]:
    every = set().union(*analysis.data_years(store).values()) if not store.is_empty() else set()
    return sorted(str(y) for y in every)


def _gaps_table(store: Store, filters: Filters, options: MetricOptions) -> pd.DataFrame:
    frames = []
    for indicator in analysis.indicators_with_data(store, filters):
        if indicator.kind != "mean":
            continue
        try:
            result = analysis.gaps(store, indicator.id, AUDIT_BY, filters, options)
        except (analysis.NoDataError, DimensionError):
            continue
        table = result.table[[*AUDIT_BY, *GAP_COLUMNS]]
        frames.append(table.assign(indicator_id=indicator.id, school_year=", ".join(result.school_years))[
            ["indicator_id", "school_year", *AUDIT_BY, *GAP_COLUMNS]])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["indicator_id", "school_year", *AUDIT_BY, *GAP_COLUMNS])


PREDICTOR_COLUMNS = ("indicator_id", "school_year", "students", "groups", "chi_square", "df", "p_value",
                     "cramers_v", "eta_squared")


def predictor_table(store: Store, year: str, years: Sequence[str], options: MetricOptions) -> pd.DataFrame:
    """How much race/ethnicity predicts each indicator with data in `year`, in that year and the one before
    (`analysis.association_by_year`: Cramér's V for rates, eta squared for means, from shown counts with the
    hidden groups pooled)."""
    earlier = [y for y in years if y < year]
    wanted = Filters(school_years=(*earlier[-1:], year))
    frames = []
    for indicator in analysis.indicators_with_data(store, Filters(school_years=(year,))):
        try:
            frame = analysis.association_by_year(store, indicator.id, AUDIT_BY[0], wanted, options)
        except (analysis.NoDataError, ValueError):
            continue
        frames.append(frame.assign(indicator_id=indicator.id).reindex(columns=list(PREDICTOR_COLUMNS)))
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(PREDICTOR_COLUMNS)))


def idea_table(store: Store, years: Sequence[str], options: MetricOptions,
               rule: MultiYearRule = MultiYearRule()) -> pd.DataFrame:
    """The IDEA significant-disproportionality table (as on the Special education page) over the special
    education indicators with data in `years`: one audit query per source, each year compared on its own."""
    chosen = [i for i in INDICATORS.values() if i.domain == IDEA_DOMAIN and i.kind == "rate"]
    by_year = analysis.audit(store, ("school_year", "race"), Filters(school_years=tuple(years)), options, chosen)
    if by_year.empty:
        return disproportionality_table({}, options, rule)
    tables = {indicator_id: part.drop(columns="indicator_id").reset_index(drop=True)
              for indicator_id, part in by_year.groupby("indicator_id", sort=False)}
    return disproportionality_table(tables, options, rule)


def run_audit(store: Store, year: str | None = None, options: MetricOptions = MetricOptions(),
              rule: MultiYearRule = MultiYearRule(), created: date | None = None, lang: str = "en") -> StandardAudit:
    """Compute the standard audit of `year` (default: the latest year with data), its words in `lang`.
    NoDataError when the store is empty or nothing can be measured in that year."""
    if store.is_empty():
        raise analysis.NoDataError(f"The store {store.path} holds no data: import your files first "
                                   "(python -m equity_metrics import FILE).")
    years = _years(store)
    if year is None:
        year = years[-1]
    elif year not in years:
        raise analysis.NoDataError(f"No data for {year} (years with data: {', '.join(years)}).")
    filters = Filters(school_years=(year,))
    rates = analysis.audit(store, AUDIT_BY, filters, options)
    gaps = _gaps_table(store, filters, options)
    if rates.empty and gaps.empty:
        raise analysis.NoDataError(f"Nothing can be measured by race/ethnicity in {year}: load an enrollment roster "
                                   "and outcome files for that year.")
    idea_years = tuple(y for y in years if y <= year)
    idea = idea_table(store, idea_years, options, rule)
    found = (findings.largest_gaps(rates, list(AUDIT_BY), options, limit=AUDIT_FINDINGS, per_indicator=1,
                                   lang=lang) if not rates.empty else [])
    if len(idea):
        idea = idea.sort_values(["above_threshold_each_year", "years_above", "risk_ratio"], ascending=False,
                                kind="stable", na_position="last").reset_index(drop=True)
    predictor = predictor_table(store, year, years, options)
    return StandardAudit(year, options, rule, provenance(store, created), _labelled(rates), _labelled(gaps),
                         _labelled(idea), tuple(found), idea_years, _labelled(predictor), language(lang))


# ---- the three files ----------------------------------------------------------------------------------------
def findings_frame(audit: StandardAudit) -> pd.DataFrame:
    """One row per finding: where, who, the sentence and its numbers (all shown values)."""
    tr = audit.tr
    return pd.DataFrame([{
        "domain": tr.term(f.indicator.domain), "indicator": tr.term(f.indicator.label), "school_year": f.school_year,
        "group": wording.group_noun(f.group, findings.subject_noun(f.indicator), tr), "sentence": f.sentence,
        "denominator": f.denominator, "numerator": f.numerator, "rate": f.rate, "comparison_rate": f.comparison_rate,
        "risk_ratio": f.risk_ratio, "risk_ratio_ci_low": f.risk_ratio_ci_low,
        "risk_ratio_ci_high": f.risk_ratio_ci_high, "p_value": f.p_value, "test": f.test,
    } for f in audit.findings], columns=["domain", "indicator", "school_year", "group", "sentence", "denominator",
                                         "numerator", "rate", "comparison_rate", "risk_ratio", "risk_ratio_ci_low",
                                         "risk_ratio_ci_high", "p_value", "test"])


def _captions(audit: StandardAudit) -> dict[str, str]:
    tr, year = audit.tr, audit.school_year
    return {
        "findings": tr.gettext("The largest statistically certain gaps in {year} (Benjamini-Hochberg q < 0.05 "
                               "across every test of the audit, risk-ratio interval excluding 1), one per indicator, "
                               "largest first.").format(year=year),
        "rates": tr.gettext("Every rate indicator with data in {year}, each race/ethnicity group compared with "
                            "{comparison}.").format(year=year, comparison=audit.comparison),
        "gaps": tr.gettext("Every mean (scale scores, days lost, survey answers) with data in {year}, by "
                           "race/ethnicity.").format(year=year),
        "idea": tr.gettext("IDEA significant disproportionality, {years}: risk ratio vs all other students by "
                           "race/ethnicity; flag: {rule}.").format(years=", ".join(audit.idea_years),
                                                                   rule=audit.rule_label),
        "predictor": tr.gettext("How much race/ethnicity predicts each outcome in {year} and the year before: "
                                "Cramér's V for rates, eta squared for means (0: not at all). A district policy's aim "
                                "is that race cease to be a reliable predictor of student achievement and "
                                "success.").format(year=year),
    }


def audit_items(audit: StandardAudit) -> list[ReportItem]:
    """Each finding as a report item (sentence, small chart, its indicator's rows)."""
    rates = audit.rates.drop(columns=["indicator", "domain"], errors="ignore")
    return [finding_item(f, rates, audit.options, audit.source, audit.lang) for f in audit.findings]


def audit_xlsx(audit: StandardAudit) -> bytes:
    captions, gettext = _captions(audit), audit.tr.gettext
    sheets = [
        Sheet(gettext("Findings"), findings_frame(audit), captions["findings"]),
        Sheet(gettext("Rates by race"), audit.rates, captions["rates"]),
        Sheet(gettext("Score gaps by race"), audit.gaps, captions["gaps"]),
        Sheet(gettext("IDEA disproportionality"), audit.idea, captions["idea"]),
        Sheet(gettext("Race as a predictor"), audit.predictor, captions["predictor"]),
    ]
    return xlsx_bytes(sheets, audit.source, audit.options, [audit.subtitle], audit.lang)


def _columns(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    return frame[[c for c in columns if c in frame.columns]]


def _idea_summary(audit: StandardAudit) -> pd.DataFrame:
    """The IDEA rows for a slide: every pair flagged or above the threshold in the latest year, and at least
    the IDEA_SLIDE_ROWS highest (the table is sorted: flagged, then years above, then the latest ratio)."""
    idea = audit.idea
    if idea.empty:
        return idea
    above = int((idea["above_threshold_each_year"].astype(bool) | idea["above_threshold_latest"].astype(bool)).sum())
    return _columns(idea.head(max(above, IDEA_SLIDE_ROWS)), REPORT_IDEA_COLUMNS)


def audit_deck(audit: StandardAudit) -> bytes:
    captions, gettext = _captions(audit), audit.tr.gettext
    summary = _idea_summary(audit)
    caption = gettext("{flagged} of {pairs} indicator × group pairs flagged ({rule}). Shown: every pair flagged or "
                      "above the threshold in the latest year, and the highest risk ratios.").format(
        flagged=len(audit.flagged), pairs=len(audit.idea), rule=audit.rule_label)
    tables = [TableSlide(gettext("IDEA significant disproportionality"), summary, caption)]
    if not audit.findings:
        tables.insert(0, TableSlide(gettext("Findings"), findings_frame(audit),
                                    gettext("{caption} None this year.").format(caption=captions["findings"])))
    return build_deck(audit.title, audit_items(audit), audit.source, audit.subtitle, tables, audit.options,
                      audit.lang)


def audit_html(audit: StandardAudit) -> str:
    captions, tr = _captions(audit), audit.tr
    tables = [TableSection(tr.gettext("IDEA significant disproportionality"), _columns(audit.idea, REPORT_IDEA_COLUMNS),
                           captions["idea"])]
    for domain in dict.fromkeys(audit.rates.get("domain", pd.Series(dtype=str))):
        part = audit.rates[audit.rates["domain"] == domain]
        tables.append(TableSection(tr.gettext("Rates by race/ethnicity: {domain}").format(domain=tr.term(domain)),
                                   _columns(part, REPORT_RATE_COLUMNS), captions["rates"]))
    if len(audit.gaps):
        tables.append(TableSection(tr.gettext("Score gaps by race/ethnicity"), _columns(audit.gaps, REPORT_GAP_COLUMNS),
                                   captions["gaps"]))
    if len(audit.predictor):
        tables.append(TableSection(tr.gettext("Race as a predictor"),
                                   _columns(audit.predictor, REPORT_PREDICTOR_COLUMNS), captions["predictor"]))
    return build_report(audit.title, audit_items(audit), audit.source, audit.subtitle, tables, audit.options,
                        audit.lang)


def audit_bytes(audit: StandardAudit, suffix: str) -> bytes:
    """The audit as the file type named by `suffix` (.xlsx, .pptx or .html)."""
    suffix = suffix.lower()
    if suffix == ".xlsx":
        return audit_xlsx(audit)
    if suffix == ".pptx":
        return audit_deck(audit)
    if suffix == ".html":
        return audit_html(audit).encode("utf-8")
    raise ValueError(f"unknown file type {suffix!r}; use {', '.join(AUDIT_SUFFIXES)}")


def write_audit(audit: StandardAudit, path: Path) -> Path:
    """Write the audit to `path` (type from its suffix) through a temporary file in the same folder, so a
    failed run leaves no half-written file and an earlier audit stays whole."""
    data = audit_bytes(audit, path.suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
