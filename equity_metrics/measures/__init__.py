"""Numbers out: the indicator catalogue, SQL aggregation, one disclosure-controlled table per indicator and year,
rate and gap tables, adjusted comparisons and the published rules."""
