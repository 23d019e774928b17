"""The values the `staff_fte` table stores beside the federal race labels, and the job groups' names.

A staff report by race (kind `staff_fte`, one row per school x job group x race) keeps the file's reported
total as its own row, race `STAFF_TOTAL`, and a column that combines several races ("Other": Native American,
Native Hawaiian or Pacific Islander and multi-race in Massachusetts files) as `OTHER_COMBINED`, never split.
Both the importer (`ingest.staff_fte`) and the measures (`measures.staff_fte`) read these, so they live here.
"""

from __future__ import annotations

__all__ = ["ALL_STAFF_JOB", "JOB_GROUPS", "OTHER_COMBINED", "STAFF_TOTAL", "job_label"]

STAFF_TOTAL = "Total"
OTHER_COMBINED = "Other (combined)"
ALL_STAFF_JOB = "11"  # DESE's job group of all staff (job code 1100)
# DESE job groups (the first two digits of the job code), from the Massachusetts staff report.
JOB_GROUPS: dict[str, str] = {
    "11": "All staff", "12": "District administrators", "13": "School administrators", "23": "Teachers",
    "33": "Student support", "34": "Special-education related service providers", "41": "Paraprofessionals",
    "50": "Health", "61": "Administrative support",
}


def job_label(code: str | None) -> str:
    """A job group's name: DESE's two-digit codes are named, any other value is shown as the file writes it."""
    if code is None:
        return "All staff (not split by job)"
    return JOB_GROUPS.get(code.strip(), code)
