"""`python -m peeka.cli ...`: the `peeka` command without the installed script
(the `demo` command runs the CLI this way)."""

from __future__ import annotations

import sys

from peeka.cli import main

sys.exit(main())
