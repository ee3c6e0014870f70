"""``python -m autocapture``: the same as the ``autocapture`` command."""

from __future__ import annotations

import sys

from autocapture._cli import main

if __name__ == "__main__":
    sys.exit(main())
