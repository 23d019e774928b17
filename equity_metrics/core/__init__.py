"""The ground floor: constants, canonical codes, the pure statistical formulas and the small-count rules."""
