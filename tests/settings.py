"""The test suite runs as a developer machine: plain http, the development secret key."""

import os

os.environ.setdefault("DEBUG", "true")

from connex.settings import *  # noqa: E402, F403
