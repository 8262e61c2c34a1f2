"""Settings for the test suite: the real ones, with tasks run immediately and a cheap hasher."""

import os

os.environ["PIGP_TESTING"] = "1"

from pigp.settings import *  # noqa: F403
