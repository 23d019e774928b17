"""The schema of a mapping saved as JSON, checked before a `Mapping` is built from it.

A mapping file comes from the Data page's download, from another district or from an editor, so anything can be
in it: a list where a column name belongs, a number as a kind, a misspelt key. Each problem is found and named
by its place in the file (`columns.student_id`, `unpivot.columns[2]`), one message per problem, so the file can
be fixed in one pass; nothing reaches the importer's SQL that is not the expected type.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from equity_metrics.storage.schema import KINDS

_UNPIVOT_KEYS = ("columns", "name_field", "value_field", "names", "category_field", "categories", "attributes")
_RACE_QUESTION_KEYS = ("hispanic", "flags", "listed")


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)


def _text(value: object, place: str, what: str, problems: list[str], optional: bool = False) -> bool:
    if isinstance(value, str) and value.strip() or (optional and value is None):
        return True
    got = "empty text" if isinstance(value, str) else _type_name(value)
    problems.append(f"{place}: expected {what} (text), got {got}")
    return False


def _object(value: object, place: str, problems: list[str]) -> bool:
    if isinstance(value, dict):
        return True
    problems.append(f"{place}: expected an object ({{...}}), got {_type_name(value)}")
    return False


def _text_map(value: object, place: str, what: str, problems: list[str]) -> None:
    if _object(value, place, problems):
        for key, item in value.items():
            _text(item, f"{place}.{key}", what, problems)


def _field_keys(value: dict, place: str, kind: str | None, problems: list[str]) -> None:
    if kind is None:
        return
    names = KINDS[kind].field_names
    for key in value:
        if key not in names:
            problems.append(f"{place}.{key}: {KINDS[kind].label} has no field {key!r} (fields: {', '.join(names)})")


def _check_kind(data: dict, problems: list[str]) -> str | None:
    if "kind" not in data:
        problems.append(f"kind: missing; give one of {', '.join(KINDS)}")
        return None
    kind = data["kind"]
    if not isinstance(kind, str) or kind not in KINDS:
        shown = repr(kind) if isinstance(kind, str) else _type_name(kind)
        problems.append(f"kind: {shown} is not a kind; use one of {', '.join(KINDS)}")
        return None
    return kind


def _check_columns(data: dict, kind: str | None, problems: list[str]) -> None:
    if "columns" in data and _object(data["columns"], "columns", problems):
        _field_keys(data["columns"], "columns", kind, problems)
        for key, column in data["columns"].items():
            _text(column, f"columns.{key}", "a column name", problems)
    if "constants" in data and _object(data["constants"], "constants", problems):
        _field_keys(data["constants"], "constants", kind, problems)
        for key, value in data["constants"].items():
            if not (isinstance(value, str | int | float) and not isinstance(value, bool)):
                problems.append(f"constants.{key}: expected a value (text), got {_type_name(value)}")
    if "code_overrides" in data and _object(data["code_overrides"], "code_overrides", problems):
        _field_keys(data["code_overrides"], "code_overrides", kind, problems)
        for key, codes in data["code_overrides"].items():
            _text_map(codes, f"code_overrides.{key}", "a value", problems)


def _check_unpivot(value: object, kind: str | None, problems: list[str]) -> None:
    if value is None or not _object(value, "unpivot", problems):
        return
    problems.extend(f"unpivot.{key}: unknown key (known: {', '.join(_UNPIVOT_KEYS)})"
                    for key in value if key not in _UNPIVOT_KEYS)
    columns = value.get("columns")
    if not isinstance(columns, list) or not columns:
        problems.append(f"unpivot.columns: expected a list of column names, got {_type_name(columns)}")
    else:
        for index, column in enumerate(columns):
            _text(column, f"unpivot.columns[{index}]", "a column name", problems)
    for key in ("name_field", "value_field", "category_field"):
        optional = key == "category_field"
        if (key in value or not optional) and _text(value.get(key), f"unpivot.{key}", "a field name", problems,
                                                     optional) and kind and value.get(key) is not None \
                and value[key] not in KINDS[kind].field_names:
            problems.append(f"unpivot.{key}: {KINDS[kind].label} has no field {value[key]!r}")
    for key in ("names", "categories"):
        if key in value:
            _text_map(value[key], f"unpivot.{key}", "a value", problems)
    if "attributes" in value and _object(value["attributes"], "unpivot.attributes", problems):
        _field_keys(value["attributes"], "unpivot.attributes", kind, problems)
        for key, values in value["attributes"].items():
            _text_map(values, f"unpivot.attributes.{key}", "a value", problems)


def _check_race_questions(value: object, problems: list[str]) -> None:
    if value is None or not _object(value, "race_questions", problems):
        return
    problems.extend(f"race_questions.{key}: unknown key (known: {', '.join(_RACE_QUESTION_KEYS)})"
                    for key in value if key not in _RACE_QUESTION_KEYS)
    for key in ("hispanic", "listed"):
        _text(value.get(key), f"race_questions.{key}", "a column name", problems, optional=True)
    if "flags" in value:
        _text_map(value["flags"], "race_questions.flags", "a column name", problems)


def _whole_number(low: int, high: int, optional: bool = False) -> Callable[[object, str, list[str]], None]:
    def check(value: object, place: str, problems: list[str]) -> None:
        if optional and value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            got = value if isinstance(value, int) and not isinstance(value, bool) else _type_name(value)
            problems.append(f"{place}: expected a whole number from {low} to {high}, got {got}")
    return check


def _flag(value: object, place: str, problems: list[str]) -> None:
    if not isinstance(value, bool):
        problems.append(f"{place}: expected true or false, got {_type_name(value)}")


_SCALARS: dict[str, Callable[[object, str, list[str]], None]] = {
    "header_row": _whole_number(0, 1_000, optional=True),
    "date_format": lambda v, p, problems: _text(v, p, "a date format such as %m/%d/%Y", problems) and None,
    "year_from_date": lambda v, p, problems: _text(v, p, "a column name", problems, optional=True) and None,
    "year_start_month": _whole_number(1, 12),
    "year_start_day": _whole_number(1, 31),
    "school_id_from_name": _flag,
}


def mapping_problems(data: object, known: Sequence[str]) -> list[str]:
    """Every problem of a mapping's parsed JSON (`known`: the mapping's keys,
    mapping.MAPPING_FIELDS), each naming its place; [] when it can be built."""
    if not isinstance(data, dict):
        return [f"the mapping must be a JSON object ({{\"kind\": ..., \"columns\": {{...}}}}), not {_type_name(data)}"]
    known = list(known)
    problems = [f"{key}: unknown key (known: {', '.join(known)})" for key in data if key not in known]
    kind = _check_kind(data, problems)
    _check_columns(data, kind, problems)
    _check_unpivot(data.get("unpivot"), kind, problems)
    _check_race_questions(data.get("race_questions"), problems)
    for key, check in _SCALARS.items():
        if key in data:
            check(data[key], key, problems)
    return problems
