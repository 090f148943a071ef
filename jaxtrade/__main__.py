"""``python -m jaxtrade``: the same as the ``jaxtrade`` command."""

import sys

from jaxtrade.cli import main

if __name__ == "__main__":
    sys.exit(main())
