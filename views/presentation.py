"""Presentation mode (issue 6): the findings one per screen, large, for a projector.

The findings are the report basket's items when the basket holds any, else the Overview's largest gaps under
the sidebar's filters. Only the finding on screen is recomputed (`report_items`), so stepping stays quick.
The position lives in `st.session_state` and stops at the first and the last finding (the buttons there are
disabled); it goes back to the first finding when the findings change (another year, an edited basket).
Previous and Next are ordinary buttons (focusable with Tab) with the Left and Right arrow keys as shortcuts.
The "Presentation mode" toggle hides the sidebar and Streamlit's header and enlarges text and charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.narrative import findings
from equity_metrics.narrative.findings import Finding
from equity_metrics.reports.basket import BasketItem, list_items
from equity_metrics.reports.builders import build_item
from equity_metrics.reports.export_tables import provenance
from equity_metrics.reports.report_items import ReportItem, finding_item
from equity_metrics.storage.store import Store
from views.cache import cached, cached_audit
from views.chart_output import show_chart
from views.components import data_source_banner, empty_state
from views.state import ViewState
from views.text import escape_markdown

TOGGLE_KEY = "presentation_mode"
POSITION_KEY = "present_position"  # index of the finding on screen (0 = first)
SHOWN_KEY = "present_shown"  # what the position belongs to: new findings start at the first one
PREVIOUS_SHORTCUT = "Left"
NEXT_SHORTCUT = "Right"
OVERVIEW_LIMIT = 6  # as pages/overview.py: at most six findings, one per indicator
KEYBOARD_HINT = ("Presentation mode hides the sidebar and the header and enlarges text and charts, for a projector; "
                 "switch it off to get the filters back. Keyboard: the Left and Right arrow keys move between "
                 "findings; Tab reaches the switch and the buttons, Enter or Space presses them (right after using "
                 "the switch, press Tab once: the switch keeps the arrow keys while it has the focus).")
PROJECTOR_HINT = ("Left and Right arrow keys: the previous and next finding. Switch Presentation mode off to get "
                  "the filters back.")  # one line: on a projector the slide keeps the screen
NO_DATA = ("Nothing to present yet: load an enrollment roster (and discipline, course or test files) on the Data "
           "page, or add findings to the report from any page.")
NO_FINDING = ("Nothing to present: the report basket is empty and no statistically certain gap above parity was "
              "found with these filters. Add findings to the report from any page, or change the filters.")

# Projector styling, injected only while presentation mode is on: no sidebar, header or toolbar (the page's
# own toggle turns it off again), the full width of the screen, and larger text, headings and buttons, sized by
# the screen's height (vh) so that a slide fits a 1280x720 projector as it fits full HD.
PRESENTATION_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stExpandSidebarButton"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stAppDeployButton"], [data-testid="stMainMenu"] {
    display: none !important;
}
[data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 0.5rem 3rem 0.5rem 3rem !important; }
[data-testid="stMainBlockContainer"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMainBlockContainer"] [data-testid="stMarkdownContainer"] li {
    font-size: min(1.6rem, 2.6vh); line-height: 1.4; }
[data-testid="stMainBlockContainer"] h3 { font-size: min(2.6rem, 4.2vh) !important; line-height: 1.2 !important;
    padding: 0.25rem 0 !important; }
[data-testid="stMainBlockContainer"] [data-testid="stCaptionContainer"],
[data-testid="stMainBlockContainer"] [data-testid="stCaptionContainer"] p { font-size: min(1.25rem, 2.1vh) !important; }
[data-testid="stMainBlockContainer"] button p { font-size: min(1.4rem, 2.4vh) !important; }
</style>"""

# Charts on a projector: every size the chart sets (text, row steps, label room, heights) times PROJECTOR_SCALE,
# and text the chart leaves to the theme at these sizes. Data, marks and colours are unchanged.
PROJECTOR_SCALE = 1.5
_SCALED_KEYS = frozenset({"fontSize", "labelFontSize", "titleFontSize", "step", "labelLimit", "height"})
_UNSCALED_KEYS = frozenset({"data", "datasets"})  # rows of data are never touched
PROJECTOR_CONFIG = {"axis": {"labelFontSize": 18, "titleFontSize": 20},
                    "legend": {"labelFontSize": 18, "titleFontSize": 20},
                    "header": {"labelFontSize": 18, "titleFontSize": 20},
                    "title": {"fontSize": 24, "subtitleFontSize": 16}, "text": {"fontSize": 16}}


@dataclass(frozen=True, eq=False)  # holds a frame: compared by identity
class SlideShow:
    """What is presented: the basket's items (recomputed one at a time) or the Overview's findings."""

    basket: tuple[BasketItem, ...] = ()
    found: tuple[Finding, ...] = ()
    audit: pd.DataFrame = field(default_factory=pd.DataFrame)  # the Overview's audit table (findings only)
    options: MetricOptions = field(default_factory=MetricOptions)
    school_year: str | None = None

    @property
    def count(self) -> int:
        return len(self.basket) if self.basket else len(self.found)

    @property
    def signature(self) -> tuple[str, ...]:
        """Names the findings and their order: when it changes, the presentation starts again."""
        if self.basket:
            return ("basket", *(f"{i.item_id}|{i.title}|{i.kind}|{i.spec_json}" for i in self.basket))
        return ("overview", *(f.sentence for f in self.found))

    def source_line(self) -> str:
        """Says where the findings come from (shown on the first screen)."""
        if self.basket:
            noun = "finding" if self.count == 1 else "findings"
            return (f"Presenting the report basket: {self.count} {noun}, in the report's order (change it on the "
                    "Report page).")
        return (f"The report basket is empty, so these are the Overview's largest gaps in {self.school_year}, each "
                f"group compared with {self.options.comparison_label}. Add findings to the report from any page to "
                "present them instead.")

    def item(self, store: Store, index: int) -> ReportItem:
        """The finding at `index`, recomputed now as a report item (sentence, chart, notes, alt text)."""
        source = provenance(store)
        if self.basket:
            return build_item(store, self.basket[index], source)
        return finding_item(self.found[index], self.audit, self.options, source)


def load_slide_show(store: Store, state: ViewState) -> SlideShow | None:
    """The basket when it holds items, else the Overview's largest gaps; None when no data is loaded."""
    basket = tuple(list_items(store))
    if basket:
        return SlideShow(basket=basket)
    audit = cached(cached_audit, store, state.by, state.filters, state.options)
    if audit.empty:
        return None
    found = findings.largest_gaps(audit, state.by, state.options, limit=OVERVIEW_LIMIT, per_indicator=1)
    return SlideShow(found=tuple(found), audit=audit, options=state.options, school_year=state.school_year)


def clamp(position: int, count: int) -> int:
    """A position kept inside 0..count-1 (the presentation stops at its ends; 0 when there is nothing)."""
    return min(max(position, 0), max(count - 1, 0))


def current_position(show: SlideShow) -> int:
    """The position on screen: kept across reruns, back to the first finding when the findings changed."""
    if st.session_state.get(SHOWN_KEY) != show.signature:
        st.session_state[SHOWN_KEY] = show.signature
        st.session_state[POSITION_KEY] = 0
    position = clamp(int(st.session_state.get(POSITION_KEY, 0)), show.count)
    st.session_state[POSITION_KEY] = position
    return position


def _step(delta: int, count: int) -> None:
    """Button callback: move by `delta`, stopping at the ends."""
    st.session_state[POSITION_KEY] = clamp(int(st.session_state.get(POSITION_KEY, 0)) + delta, count)


def navigation(position: int, count: int) -> None:
    """Previous and Next (arrow-key shortcuts, disabled at the ends) around "n of N"."""
    previous, where, following = st.columns([1, 1, 1], vertical_alignment="center")
    previous.button("Previous", key="present_previous", icon=":material/arrow_back:", shortcut=PREVIOUS_SHORTCUT,
                    on_click=_step, args=(-1, count), disabled=position == 0, width="stretch")
    where.markdown(f"**{position + 1} of {count}**", text_alignment="center")
    following.button("Next", key="present_next", icon=":material/arrow_forward:", icon_position="right",
                     shortcut=NEXT_SHORTCUT, on_click=_step, args=(1, count), disabled=position >= count - 1,
                     width="stretch")


def _scaled(node: Any) -> Any:
    """A Vega-Lite spec (or part of it) with every size in _SCALED_KEYS multiplied by PROJECTOR_SCALE."""
    if isinstance(node, list):
        return [_scaled(value) for value in node]
    if not isinstance(node, dict):
        return node
    return {key: value if key in _UNSCALED_KEYS
            else round(value * PROJECTOR_SCALE, 1) if key in _SCALED_KEYS and _is_number(value)
            else _scaled(value) for key, value in node.items()}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def projector_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart as a Vega-Lite spec for a projector: its own sizes scaled, the theme's text enlarged."""
    spec = _scaled(chart.to_dict())
    config = spec.setdefault("config", {})
    for part, sizes in PROJECTOR_CONFIG.items():
        config[part] = {**config.get(part, {}), **sizes}
    return spec


def slide(item: ReportItem, position: int, presenting: bool, hint: str = "") -> None:
    """One finding: its title, the sentence as a large heading, the chart across the page, then the notes and
    the keyboard hint in one caption (one line each, no gaps between them: a projector's screen is short)."""
    st.caption(escape_markdown(item.title))
    st.subheader(escape_markdown(item.sentence), anchor=False)
    alt_text, key = item.alt_text or item.sentence, f"present_chart_{position}"
    if item.chart is not None and presenting:
        st.vega_lite_chart(projector_spec(item.chart), width="stretch", alt=alt_text, key=key)
    elif item.chart is not None:
        show_chart(item.chart, width="stretch", alt=alt_text, key=key)
    lines = [escape_markdown(line) for line in (item.hidden_note, item.source_note, hint) if line]
    if lines:
        st.caption("  \n".join(lines))


def presentation_toggle() -> bool:
    """The page's title and the "Presentation mode" toggle; when on, the projector CSS is injected."""
    title, switch = st.columns([3, 1], vertical_alignment="bottom")
    presenting = switch.toggle("Presentation mode", key=TOGGLE_KEY)  # no help icon: Tab goes on to the buttons
    if presenting:
        st.html(PRESENTATION_CSS)
    else:
        title.title("Present")
    return presenting


def presentation_view(store: Store, state: ViewState) -> None:
    """The whole page: toggle, navigation (kept at the top), source line (first screen), one finding, keyboard hint."""
    presenting = presentation_toggle()
    data_source_banner(store, compact=presenting)
    show = load_slide_show(store, state)
    if show is None:
        empty_state(NO_DATA)
        return
    if show.count == 0:
        empty_state(NO_FINDING)
        return
    position = current_position(show)
    navigation(position, show.count)
    if position == 0:
        st.caption(show.source_line())
    slide(show.item(store, position), position, presenting, PROJECTOR_HINT if presenting else KEYBOARD_HINT)
