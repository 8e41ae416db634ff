"""``python -m facilitator.host``: the session's host process, which the TUI starts."""

import sys

from facilitator.host.serve import main

sys.exit(main())
