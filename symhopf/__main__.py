"""``python -m symhopf``: the ``symhopf`` command (:mod:`symhopf.cli`)."""
import sys

from .cli import main

sys.exit(main())
