import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connex.settings")

from connex.handlers import get_application  # noqa: E402 - after the settings module is chosen

application = get_application()
