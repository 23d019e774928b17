"""`python -m equity_metrics ...`: the command line (see cli.py)."""

import sys

from equity_metrics.cli import main

sys.exit(main())
