"""Files in: read a CSV or workbook safely, guess what it holds and how its columns map, read its codes, refuse
what does not fit, and import it into the store (never the same data twice)."""
