"""``python -m helpers.simulate --write FILE``: regenerate the twin (see :func:`helpers.simulate.main`)."""

import sys

from . import main

sys.exit(main())
