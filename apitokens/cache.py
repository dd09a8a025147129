"""What authenticating an API token needs — the token, its user and the user's permissions — kept
in each web process, so a switch's call costs no database query to authenticate.

How fresh it is:
- Every change made through Django's ORM to API tokens (save, delete, QuerySet update or delete),
  users (save, delete), groups, permissions, a user's groups or permissions, or a role's
  permissions sets a new version in Redis, at once and again on commit (a reader that reloaded
  before the commit reloads once more). Each request reads that version (one Redis round trip)
  and reloads from PostgreSQL when it moved: a revoked token, a disabled user or a removed
  permission is refused on the very next request.
- A token's expiry is compared with the clock on every request.
- A change that bypasses Django's signals (a QuerySet.update() of users or groups, raw SQL, a
  database console) is seen within MAX_AGE seconds, the longest an entry is trusted.
- Without Redis nothing is trusted: every request reads PostgreSQL.

Each request gets its own ApiToken and User instances, with the permission caches Django's
ModelBackend reads already filled, so `has_perm` runs no query.
"""

import dataclasses
import functools
import logging
import threading
import time
import uuid

import redis
from django.conf import settings
from django.db import transaction

from connex.redis_batch import MISSING, batch, prefetched

logger = logging.getLogger(__name__)

VERSION_KEY = "connex:apitokens:version"
MAX_AGE = 5.0  # seconds an entry is trusted even when the version has not moved
MAX_ENTRIES = 1000  # a process holds a handful of tokens; past this it starts again from empty

_clock = time.monotonic  # replaced in tests to travel past MAX_AGE


@dataclasses.dataclass(frozen=True)
class _Entry:
    version: str
    loaded: float
    token: tuple  # ApiToken's concrete field values, in _meta order
    user: tuple  # the User's
    user_perms: frozenset
    group_perms: frozenset


_entries: dict[str, _Entry] = {}
_lock = threading.Lock()
_redis = None


def redis_client():
    """The token cache's Redis client: short timeouts, so a slow Redis cannot stall authentication."""
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.2, socket_connect_timeout=0.2,
                                      decode_responses=True)
    return _redis


def auth_version() -> str | None:
    """The current version, or None when Redis cannot say (then nothing is trusted)."""
    try:
        client = redis_client()
        value = prefetched(VERSION_KEY)  # read ahead with the switch's other versions (calls.api)
        if value is MISSING:
            (value,) = batch(client, ("GET", VERSION_KEY))  # a plain GET costs three times the Python work
        elif value is not None:
            value = value.decode()  # prefetched by a client that does not decode replies
        if value is None:
            # A Redis that lost the key must not bring back a version entries were tagged with.
            client.set(VERSION_KEY, uuid.uuid4().hex, nx=True)
            value = client.get(VERSION_KEY)
        return value
    except redis.RedisError:
        logger.warning("API token version unavailable from Redis; authenticating from the database",
                       exc_info=True)
        return None


def api_auth_changed(**_):
    """Signal receiver: tokens, users, groups or permissions changed; every process reloads."""

    def bump():
        try:
            redis_client().set(VERSION_KEY, uuid.uuid4().hex)
        except redis.RedisError:
            # Entries are then trusted at most MAX_AGE; requests read PostgreSQL while Redis is away.
            logger.warning("API token version not bumped", exc_info=True)

    bump()
    transaction.on_commit(bump)


@functools.cache
def _fields(model):
    return tuple(field.attname for field in model._meta.concrete_fields)


def _build(entry: _Entry):
    from django.contrib.auth import get_user_model

    from .models import ApiToken

    user_model = get_user_model()
    user = user_model.from_db("default", _fields(user_model), entry.user)
    # ModelBackend reads these instead of querying (django.contrib.auth.backends.ModelBackend).
    user._user_perm_cache = set(entry.user_perms)
    user._group_perm_cache = set(entry.group_perms)
    user._perm_cache = set(entry.user_perms | entry.group_perms)
    token = ApiToken.from_db("default", _fields(ApiToken), entry.token)
    token.user = user
    return token


def _load(prefix: str, key_hash: str, version: str, now: float) -> _Entry | None:
    import hmac

    from .models import ApiToken

    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.key_hash, key_hash):
        return None
    user = token.user
    return _Entry(version, now, tuple(getattr(token, name) for name in _fields(ApiToken)),
                  tuple(getattr(user, name) for name in _fields(type(user))),
                  frozenset(user.get_user_permissions()), frozenset(user.get_group_permissions()))


def token_for_key(*, prefix: str, key_hash: str):
    """The ApiToken whose key hashes to `key_hash` (with `.user`), fresh as described above, or None.

    Revocation and expiry are the caller's to check (`is_active`): the entry says what the row says.
    """
    version = auth_version()
    now = _clock()
    entry = _entries.get(key_hash)
    if entry is None or version is None or entry.version != version or now - entry.loaded > MAX_AGE:
        entry = _load(prefix, key_hash, version, now)
        if entry is None:
            return None
        if version is not None:
            with _lock:
                if len(_entries) >= MAX_ENTRIES:
                    _entries.clear()
                _entries[key_hash] = entry
    return _build(entry)


def token_used(*, key_hash: str, at):
    """Records in the cached entry that the token's last use was written (see LAST_USED_RESOLUTION)."""
    from .models import ApiToken

    entry = _entries.get(key_hash)
    if entry is None:
        return
    values = list(entry.token)
    values[_fields(ApiToken).index("last_used_at")] = at
    with _lock:
        if _entries.get(key_hash) is entry:
            _entries[key_hash] = dataclasses.replace(entry, token=tuple(values))


def forget():
    with _lock:
        _entries.clear()


def connect():
    """Connects the receivers of every change that can alter what a token may do (apps.ready)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from .models import ApiToken

    user_model = get_user_model()
    for model in (ApiToken, user_model, Group, Permission):
        post_save.connect(api_auth_changed, sender=model, dispatch_uid=f"apitokens-{model.__name__}-save")
        post_delete.connect(api_auth_changed, sender=model, dispatch_uid=f"apitokens-{model.__name__}-delete")
    for through in (user_model.groups.through, user_model.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(api_auth_changed, sender=through, dispatch_uid=f"apitokens-{through.__name__}")
