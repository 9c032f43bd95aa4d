"""One BLAS thread for the command line, set before numpy is first imported.

The privacy audit of every partner and public edition (scorecard.disclosure) runs thousands
of products of small vectors, for which OpenBLAS's threads only cost: on a busy two-core
machine 3-4x (the test suite's every-edition audit, 48 s -> 13 s), on a quiet one a little
(the demo's public edition, 2.3 -> 2.1 s). An OPENBLAS_NUM_THREADS already set (by the user or
CI) wins. Imported first by scorecard.cli.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
