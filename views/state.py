"""The sidebar filters every page shares, and the frozen state pages read from them.

`app.py` calls `sidebar()` once per run, before the page; the widgets live in app.py's scope, so their values
persist across pages. Pages call `current()` to get a `ViewState`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

import streamlit as st

from equity_metrics.core.constants import DEFAULT_MIN_N, DIMENSIONS, GRADE_BANDS, GROUP_DIMENSIONS
from equity_metrics.core.i18n import N_, Translator
from equity_metrics.measures import aggregate
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.metrics import ALL_OTHERS, MetricOptions
from equity_metrics.narrative import wording
from equity_metrics.storage.store import Store
from views.language import _, language_picker, tr

ALL_GRADES = N_("All grades")
ALL_SCHOOLS = N_("All schools (district)")
STATE_KEY = "view_state"


@dataclass(frozen=True)
class ViewState:
    """What the sidebar says: which year, schools and grades, which groups, compared with whom."""

    school_year: str | None
    schools: tuple[str, ...]
    grade_band: str | None
    dimension: str
    comparison: str
    min_n: int
    lang: str = "en"  # the language of the page's words (views.language)

    @property
    def filters(self) -> Filters:
        return Filters(school_years=(self.school_year,) if self.school_year else (), schools=self.schools,
                       grade_band=self.grade_band)

    @property
    def options(self) -> MetricOptions:
        return MetricOptions(comparison=self.comparison, min_n=self.min_n)

    @property
    def by(self) -> tuple[str, ...]:
        return (self.dimension,)

    def filters_through_year(self, years: Sequence[str]) -> Filters:
        """Every school year up to the chosen one (for trends and multi-year rules), same schools and grades."""
        kept = tuple(y for y in years if self.school_year is None or y <= self.school_year)
        return Filters(school_years=kept, schools=self.schools, grade_band=self.grade_band)


NO_STUDENT_YEARS = N_("(no student data)")  # the year box when only published tables are loaded


def _comparison_label(comparison: str, dimension: str, translated: Translator) -> str:
    if translated.english:
        return "All other students" if comparison == ALL_OTHERS else f"{comparison} students"
    if comparison == ALL_OTHERS:
        return translated.gettext("All other students")
    return wording.group_noun({dimension: comparison}, "students", translated)


def _year_caption(years: Sequence[str], store: Store) -> None:
    if not years and not store.is_empty():
        st.caption(_("No file of students, or of counts by school, is loaded: a published table (staff by race, "
                     "a survey summary, shares of enrollment) is shown on its page, with its own year."))


def sidebar(store: Store) -> ViewState:
    """Draw the shared filters in the sidebar and remember the resulting state for the page."""
    years = aggregate.school_years(store)
    default_year, why = aggregate.default_school_year(store)
    schools = aggregate.schools(store)
    # The options' labels are made with this run's language, bound here: a format_func may be called after the
    # run (AppTest does), when the session's language must not be looked up again.
    translated = tr()
    term, gettext = translated.term, translated.gettext
    with st.sidebar:
        st.header(_("Filters"))
        year = st.selectbox(_("School year"), years[::-1] or [NO_STUDENT_YEARS], key="filter_year",
                            index=years[::-1].index(default_year) if default_year in years else 0,
                            format_func=lambda y: gettext(NO_STUDENT_YEARS) if y == NO_STUDENT_YEARS else y,
                            help=_("Groups are compared within this school year."))
        if why and year == default_year:
            st.caption(why)
        _year_caption(years, store)
        school = st.selectbox(_("School"), [ALL_SCHOOLS, *schools], key="filter_school",
                              format_func=lambda s: gettext(ALL_SCHOOLS) if s == ALL_SCHOOLS else s,
                              help=_("One school or the whole district. Sets of schools are not offered: their "
                                     "totals would let hidden counts be worked out from the district's."))
        band = st.selectbox(_("Grade band"), [ALL_GRADES, *GRADE_BANDS], key="filter_grade_band",
                            format_func=lambda b: gettext(ALL_GRADES) if b == ALL_GRADES else term(b))
        dimension = st.selectbox(_("Student groups"), GROUP_DIMENSIONS, key="filter_dimension",
                                 format_func=lambda d: term(DIMENSIONS[d].label))
        comparisons = [ALL_OTHERS, *DIMENSIONS[dimension].values]
        comparison = st.selectbox(_("Compare each group with"), comparisons, key="filter_comparison",
                                  format_func=lambda c: _comparison_label(c, dimension, translated))
        min_n = st.number_input(_("Minimum group size (n)"), min_value=10, max_value=1000, value=DEFAULT_MIN_N, step=5,
                                key="filter_min_n", help=_("Rates and ratios are not calculated for smaller groups. "
                                                           "Counts under 10 are always hidden."))
        lang = language_picker(keep=("filter_year", "filter_school", "filter_grade_band", "filter_dimension",
                                     "filter_comparison"))
    state = ViewState(
        school_year=year if years else None,
        schools=() if school == ALL_SCHOOLS or school not in schools else (school,),
        grade_band=None if band == ALL_GRADES else band,
        dimension=dimension,
        comparison=comparison if comparison in comparisons else ALL_OTHERS,
        min_n=int(min_n),
        lang=lang,
    )
    st.session_state[STATE_KEY] = state
    return state


def current() -> ViewState:
    """The state the sidebar recorded in this run (see `_run_through_app` for a page opened on its own)."""
    state = st.session_state.get(STATE_KEY)
    if state is None:
        _run_through_app()
    return state


def _run_through_app() -> NoReturn:
    """Rerun through app.py when a page file ran on its own.

    Until some run in this server process has called st.navigation, Streamlit treats `pages/` as its legacy
    page folder, and a first visit to a page URL (e.g. /discipline) runs that file without app.py, so no
    sidebar exists. Turning the legacy mode off and rerunning runs app.py, which shows the same page.
    """
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
    st.rerun()
