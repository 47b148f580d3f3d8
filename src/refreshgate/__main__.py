"""``python -m refreshgate``."""

import sys

from refreshgate.cli import main

sys.exit(main())
