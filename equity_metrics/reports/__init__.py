"""The report basket, report items and their builders, tables, the slide deck, the HTML report and the standard
audit."""
