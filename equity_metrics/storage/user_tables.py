"""Tables the user writes by hand in the app (not imported data): goals and the report basket.

Their DDL lives here so the store creates them with the canonical tables. Each module that uses a table owns
its statement: `goals.py` owns GOALS_SQL, `basket.py` owns BASKET_SQL.
"""

GOALS_TABLE = "goals"
GOALS_SQL = f"""
CREATE TABLE IF NOT EXISTS {GOALS_TABLE} (
    goal_id INTEGER PRIMARY KEY,
    indicator_id VARCHAR NOT NULL,
    dimension VARCHAR NOT NULL,
    group_value VARCHAR NOT NULL,
    school VARCHAR,
    comparison VARCHAR NOT NULL,
    measure VARCHAR NOT NULL,
    baseline_year VARCHAR,
    target_value DOUBLE NOT NULL,
    target_year VARCHAR NOT NULL,
    owner VARCHAR,
    strategy VARCHAR,
    note VARCHAR,
    created_at TIMESTAMP
)
"""

BASKET_TABLE = "report_basket"
BASKET_SQL = f"""
CREATE TABLE IF NOT EXISTS {BASKET_TABLE} (
    item_id INTEGER PRIMARY KEY,
    position INTEGER NOT NULL,
    item_kind VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    spec_json VARCHAR NOT NULL,
    added_at TIMESTAMP
)
"""

USER_TABLES_SQL = (GOALS_SQL, BASKET_SQL)
