"""ISO 4217 currencies and ISO 3166 countries, from pycountry's data."""

from functools import cache

import pycountry

# X-codes are mostly funds, metals and testing codes; keep the four real regional currencies.
_REAL_X_CURRENCIES = {"XAF", "XCD", "XOF", "XPF"}


@cache
def currency_choices():
    return sorted(
        (c.alpha_3, f"{c.alpha_3} — {c.name}")
        for c in pycountry.currencies
        if not c.alpha_3.startswith("X") or c.alpha_3 in _REAL_X_CURRENCIES
    )


@cache
def currency_codes():
    return frozenset(code for code, _ in currency_choices())


@cache
def country_choices():
    return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda x: x[1])


@cache
def country_codes():
    return frozenset(code for code, _ in country_choices())
