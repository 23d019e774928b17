"""Results in words: findings, the scope of a result (school, grades, years, groups) and the sentences (with
the small composite views behind them) of score gaps, score distributions and discipline stages."""
