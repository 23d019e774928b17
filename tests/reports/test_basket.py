"""The report basket: specs as JSON in the store, in order, kept across sessions, changed in transactions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from equity_metrics.measures.indicators import UnknownIndicatorError
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.reports.basket import (
    IndicatorSpec,
    add_item,
    clear_basket,
    list_items,
    move_item,
    remove_item,
)
from equity_metrics.storage.store import Store
from equity_metrics.storage.user_tables import BASKET_TABLE

BLACK = "Black or African American"


@dataclass(frozen=True)
class NoteSpec:
    """Another module's kind of item: anything with a kind and to_json()."""

    kind: ClassVar[str] = "note"
    text: str

    def to_json(self) -> str:
        return json.dumps({"text": self.text})


def ids(store: Store) -> list[int]:
    return [item.item_id for item in list_items(store)]


def positions(store: Store) -> list[int]:
    return [item.position for item in list_items(store)]


def test_spec_json_round_trip_and_exact_form():
    spec = IndicatorSpec("oss", ("race", "sex"), ("2023-24", "2024-25"), ("Central High School",), "High (9-12)",
                         MetricOptions(comparison="White", min_n=40, min_cell=12), (("race", BLACK),))
    assert IndicatorSpec.from_json(spec.to_json()) == spec
    assert json.loads(spec.to_json()) == {
        "version": 1, "indicator_id": "oss", "by": ["race", "sex"], "school_years": ["2023-24", "2024-25"],
        "schools": ["Central High School"], "grade_band": "High (9-12)",
        "options": {"comparison": "White", "min_n": 40, "min_cell": 12, "privacy_threshold": 10, "confidence": 0.95},
        "group": [["race", BLACK]],
    }
    assert IndicatorSpec.from_json('{"indicator_id": "iss"}') == IndicatorSpec("iss")
    assert spec.filters.school_years == ("2023-24", "2024-25") and spec.filters.grade_band == "High (9-12)"


def test_default_titles():
    assert IndicatorSpec("oss").default_title() == "Out-of-school suspension by race/ethnicity: District, all grades, latest year"
    assert (IndicatorSpec("oss", ("school_year", "race")).default_title()
            == "Out-of-school suspension by school year and race/ethnicity: District, all grades, every year")
    assert (IndicatorSpec("oss", ("race", "sex"), ("2023-24",)).default_title()
            == "Out-of-school suspension by race/ethnicity and sex: District, all grades, 2023-24")


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"indicator_id": "nope"}, UnknownIndicatorError),
    ({"indicator_id": "oss", "by": ("colour",)}, ValueError),
    ({"indicator_id": "oss", "by": ("school_year",)}, ValueError),  # no student-group dimension
    ({"indicator_id": "oss", "by": ("school_year", "school", "race")}, ValueError),  # two units: no chart for it
    ({"indicator_id": "oss", "by": ("school", "race", "sex")}, ValueError),
    ({"indicator_id": "math_scale_score", "by": ("school_year", "race")}, ValueError),
    ({"indicator_id": "oss", "grade_band": "Grade 13"}, ValueError),
    ({"indicator_id": "oss", "group": (("sex", "Male"),)}, ValueError),
])
def test_specs_a_report_cannot_draw_are_refused(kwargs, error):
    with pytest.raises(error):
        IndicatorSpec(**kwargs)


def test_add_list_move_remove_clear(empty_store):
    store = empty_store
    assert list_items(store) == []
    first = add_item(store, IndicatorSpec("oss"))
    second = add_item(store, IndicatorSpec("iss"), "  In-school suspension  ")
    third = add_item(store, IndicatorSpec("oss", ("race", "sex")))
    assert ids(store) == [first, second, third] and positions(store) == [1, 2, 3]
    items = list_items(store)
    assert [i.title for i in items] == ["Out-of-school suspension by race/ethnicity: District, all grades, latest year",
                                        "In-school suspension",
                                        "Out-of-school suspension by race/ethnicity and sex: District, all grades, latest year"]
    assert items[0].kind == "indicator" and items[0].indicator_spec() == IndicatorSpec("oss")
    assert items[0].added_at is not None
    # The same spec twice is one item.
    assert add_item(store, IndicatorSpec("oss"), "another title") == first and len(list_items(store)) == 3

    move_item(store, third, 1)
    assert ids(store) == [third, first, second] and positions(store) == [1, 2, 3]
    move_item(store, third, 99)  # beyond the end: last
    assert ids(store) == [first, second, third]
    move_item(store, second, 0)  # before the start: first
    assert ids(store) == [second, first, third]
    with pytest.raises(KeyError):
        move_item(store, 12345, 1)

    assert remove_item(store, second) and not remove_item(store, second)
    assert ids(store) == [first, third] and positions(store) == [1, 2]
    fourth = add_item(store, IndicatorSpec("expulsion"))
    assert fourth not in (first, second, third) and positions(store) == [1, 2, 3]

    assert clear_basket(store) == 3 and list_items(store) == []


def test_another_kind_is_stored_as_its_json(empty_store):
    item_id = add_item(empty_store, NoteSpec("remember the board meeting"))
    (item,) = list_items(empty_store)
    assert (item.item_id, item.kind, item.title) == (item_id, "note", "Note")
    assert json.loads(item.spec_json) == {"text": "remember the board meeting"}
    with pytest.raises(ValueError):
        item.indicator_spec()


def test_the_basket_persists_in_the_store_file(tmp_path: Path):
    path = tmp_path / "store.duckdb"
    with Store(path) as store:
        add_item(store, IndicatorSpec("oss"))
        add_item(store, IndicatorSpec("iss", group=(("race", BLACK),)))
    with Store(path, read_only=True) as store:
        items = list_items(store)
    assert [i.indicator_spec() for i in items] == [IndicatorSpec("oss"), IndicatorSpec("iss", group=(("race", BLACK),))]


def test_a_failed_change_leaves_the_basket_as_it_was(empty_store, monkeypatch):
    add_item(empty_store, IndicatorSpec("oss"))
    add_item(empty_store, IndicatorSpec("iss"))
    before = list_items(empty_store)

    import equity_metrics.reports.basket as basket

    def broken(cursor, ordered_ids):
        cursor.execute(f"UPDATE {BASKET_TABLE} SET position = 7 WHERE item_id = ?", [ordered_ids[0]])
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(basket, "_renumber", broken)
    with pytest.raises(RuntimeError):
        move_item(empty_store, before[1].item_id, 1)
    assert list_items(empty_store) == before


def test_a_store_without_the_basket_table_has_an_empty_basket(tmp_path: Path):
    path = tmp_path / "old.duckdb"
    with Store(path) as store, store.transaction() as cursor:
        cursor.execute(f"DROP TABLE {BASKET_TABLE}")
    with Store(path, read_only=True) as store:
        assert list_items(store) == []
