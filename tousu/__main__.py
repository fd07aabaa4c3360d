"""`python -m tousu` runs the `tousu` command."""

import sys

from tousu.cli import main

sys.exit(main())
