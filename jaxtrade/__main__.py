"""``python -m jaxtrade``: the same as the ``jaxtrade`` command."""

import sys

from jaxtrade.cli import main

sys.exit(main())
