"""Results in words: findings and the sentences (with the small composite views behind them) of score gaps, score
distributions and discipline stages."""
