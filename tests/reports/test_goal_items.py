"""Goals in the report basket: the deck and the HTML report show each goal's progress chart and status."""

from __future__ import annotations

import io
from html import unescape
from pathlib import Path

from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from equity_metrics.charts import goal_charts
from equity_metrics.goals.model import Goal
from equity_metrics.goals.repository import add_goal, delete_goal
from equity_metrics.reports.basket import add_item, list_items
from equity_metrics.reports.deck import basket_deck
from equity_metrics.reports.goal_items import GOAL_KIND, GoalSpec
from equity_metrics.reports.html_report import basket_report
from equity_metrics.storage.store import Store


def slide_texts(slide) -> str:
    return " ".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)


def test_a_deck_from_a_basket_with_a_goal_shows_its_progress_chart(sample_db: Path) -> None:
    with Store(sample_db) as store:
        goal = add_goal(store, Goal("oss", "race", "Black or African American", "risk_ratio", 2.0, "2027-28"))
        add_item(store, GoalSpec(goal.goal_id))
        report = goal_charts.goal_report(store, goal.goal_id)
        assert [item.kind for item in list_items(store)] == [GOAL_KIND]
        deck = Presentation(io.BytesIO(basket_deck(store)))
        html = basket_report(store)
    slides = [s for s in deck.slides if report.title in slide_texts(s)]
    assert len(slides) == 1
    slide = slides[0]
    assert report.sentence in slide_texts(slide)
    pictures = [shape for shape in slide.shapes if shape.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == 1
    assert pictures[0]._element.xpath(".//p:cNvPr/@descr") == [report.sentence]  # alt text
    assert report.sentence in unescape(html)
    assert "<svg" in html


def test_a_deleted_goal_becomes_a_note_not_an_error(sample_db: Path) -> None:
    with Store(sample_db) as store:
        goal = add_goal(store, Goal("oss", "race", "Black or African American", "risk_ratio", 2.0, "2027-28"))
        add_item(store, GoalSpec(goal.goal_id), title="OSS goal")
        delete_goal(store, goal.goal_id)
        deck = Presentation(io.BytesIO(basket_deck(store)))
    assert any("This goal was deleted" in slide_texts(s) for s in deck.slides)
