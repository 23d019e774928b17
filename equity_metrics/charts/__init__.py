"""Altair chart specifications (colour-blind-safe, one colour per group) and their files."""
