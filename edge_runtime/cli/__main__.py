"""`python -m edge_runtime.cli` = `edge-emo`."""

import sys

from edge_runtime.cli import main

sys.exit(main())
