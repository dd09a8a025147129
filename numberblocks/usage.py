"""Apps that place numbers inside blocks (SIP users, later conferences) report them here.

numberblocks cannot import those apps (they build on it), so each registers a provider in its
AppConfig.ready(): provider(customer, start, end) -> list of (number, description), numbers in use.
"""

_providers = []


def register_extension_usage(provider):
    if provider not in _providers:
        _providers.append(provider)


def numbers_in_use(customer, start: int, end: int) -> list[tuple[int, str]]:
    used = []
    for provider in _providers:
        used.extend(provider(customer, start, end))
    return sorted(used)
