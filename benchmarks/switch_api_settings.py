"""The panel's settings, with the URLs of benchmarks/switch_api_urls.py (the bare endpoint added)."""

from connex.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.switch_api_urls"
