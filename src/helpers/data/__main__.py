"""``python -m helpers.data check FILE``: print a panel file's validation report."""

import sys

from .loaders import main

sys.exit(main())
