"""Table helpers shared by every list page."""

import weakref

from django_tables2 import utils

# Column attrs of a number: right-aligned, tabular figures (static/css).
NUM = {"td": {"class": "num"}, "th": {"class": "num"}}

_signature = utils.signature
_signatures = weakref.WeakKeyDictionary()


def _cached_signature(fn):
    """django-tables2 inspects a render function's signature for every cell it renders.

    Signatures never change, so keep them per function: a 50-row board renders about
    40% faster. Keyed weakly, so functions made at run time are not kept alive.
    """
    function = getattr(fn, "__func__", fn)
    bound = function is not fn
    try:
        return _signatures[function][bound]
    except (KeyError, TypeError):
        pass
    result = _signature(fn)
    try:
        _signatures.setdefault(function, {})[bound] = result
    except TypeError:  # not weak-referenceable (a builtin): just don't cache it
        pass
    return result


def speed_up_cell_rendering():
    utils.signature = _cached_signature
