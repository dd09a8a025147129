import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from connex.redis_batch import assumptions_confirm

from .cache import redis_client, token_for_key, token_used
from .models import ApiToken, Scope

KEY_PREFIX = "cx_"
# last_used_at is refreshed at most this often, so a busy switch does not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user, name, scopes, expires_at=None, created_by=None) -> tuple[ApiToken, str]:
    """Create a token; returns it with its key, which exists nowhere else afterwards."""
    errors = {}
    if not user.is_staff:
        errors["user"] = "Only staff members can hold API tokens."
    if not (name or "").strip():
        errors["name"] = "Name the token after what uses it."
    scopes = sorted(set(scopes or ()))
    if not scopes:
        errors["scopes"] = "Choose at least one scope."
    elif set(scopes) - set(Scope.values):
        errors["scopes"] = f"Unknown scope: {', '.join(sorted(set(scopes) - set(Scope.values)))}."
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = "Choose a moment in the future, or leave blank for no expiry."
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name.strip(), prefix=prefix, key_hash=_hash(key),
                                    scopes=scopes, expires_at=expires_at, created_by=created_by)
    return token, key


@transaction.atomic
def api_token_revoke(*, api_token) -> ApiToken:
    if api_token.revoked_at is None:
        api_token.revoked_at = timezone.now()
        api_token.save(update_fields=["revoked_at", "updated"])
    return api_token


def api_token_authenticate(*, key: str) -> ApiToken | None:
    """The active token with this key (its user and permissions loaded), or None. Marks it used (at
    most once a minute). Served from apitokens.cache, which says how fresh that is."""
    if not key.startswith(KEY_PREFIX) or key.count("_") < 2:
        return None
    prefix = key[len(KEY_PREFIX):].split("_", 1)[0]
    key_hash = _hash(key)
    token = token_for_key(prefix=prefix, key_hash=key_hash)
    if token is None or not token.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # A token version this request assumed is confirmed before the write (connex.redis_batch).
        assumptions_confirm(redis_client())
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
        token_used(key_hash=key_hash, at=now)
    return token
