"""Tables the user writes by hand in the app (not imported data): goals, the report basket and the equity
impact assessments.

Their DDL lives here so the store creates them with the canonical tables; `goals/repository.py` reads and
writes GOALS_TABLE, `reports/basket.py` BASKET_TABLE, `goals/impact.py` IMPACT_TABLE.
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

IMPACT_TABLE = "impact_assessments"
IMPACT_SQL = f"""
CREATE TABLE IF NOT EXISTS {IMPACT_TABLE} (
    assessment_id INTEGER PRIMARY KEY,
    title VARCHAR NOT NULL,
    body_json VARCHAR NOT NULL,
    updated_at TIMESTAMP
)
"""

USER_TABLES_SQL = (GOALS_SQL, BASKET_SQL, IMPACT_SQL)
