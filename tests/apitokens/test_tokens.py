from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from pghistory.models import Events
from rest_framework.test import APIClient

from apitokens.models import ApiToken
from apitokens.services import api_token_authenticate, api_token_create, api_token_revoke
from tests.factories import ApiTokenFactory, CustomerFactory, StaffFactory, grant

pytestmark = pytest.mark.django_db

PERMS = ("customers.view_customer", "customers.view_all_customers")


def bearer(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_the_key_is_stored_only_as_a_hash_and_finds_its_token():
    user = StaffFactory(perms=())
    token, key = api_token_create(user=user, name="Billing", scopes=["read"])
    stored = ApiToken.objects.get(pk=token.pk)
    assert key.startswith(f"cx_{stored.prefix}_")
    assert key not in (stored.key_hash, stored.prefix) and len(stored.key_hash) == 64
    assert api_token_authenticate(key=key) == token
    assert api_token_authenticate(key=key[:-1] + ("A" if key[-1] != "A" else "B")) is None


def test_a_token_authenticates_as_its_user_and_marks_its_last_use():
    user = grant(StaffFactory(perms=()), *PERMS)
    token = ApiTokenFactory(user=user, scopes=["read"])
    CustomerFactory(name="Acme")
    response = bearer(token.key).get("/api/v1/customers/")
    assert response.status_code == 200, response.content
    assert [row["name"] for row in response.json()["results"]] == ["Acme"]
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize("header", ["Bearer cx_nope_nope", "Token cx_nope_nope", "Bearer", "Bearer a b"])
def test_a_wrong_or_malformed_key_is_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/api/v1/customers/").status_code == 401


def test_revoked_and_expired_tokens_stop_working():
    user = grant(StaffFactory(perms=()), *PERMS)
    revoked = ApiTokenFactory(user=user, scopes=["read"])
    api_token_revoke(api_token=revoked)
    expiring = ApiTokenFactory(user=user, scopes=["read"], expires_at=timezone.now() + timedelta(hours=1))
    assert bearer(expiring.key).get("/api/v1/customers/").status_code == 200
    ApiToken.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(expiring.key).get("/api/v1/customers/").status_code == 401
    assert bearer(revoked.key).get("/api/v1/customers/").status_code == 401


def test_a_disabled_user_s_token_is_refused():
    token = ApiTokenFactory(user=grant(StaffFactory(perms=()), *PERMS), scopes=["read"])
    type(token.user).objects.filter(pk=token.user_id).update(is_active=False)
    assert bearer(token.key).get("/api/v1/customers/").status_code == 401


def _perm(name):
    from django.contrib.auth.models import Permission

    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def test_a_token_is_refused_on_the_request_after_it_is_revoked():
    token = ApiTokenFactory(user=grant(StaffFactory(perms=()), *PERMS), scopes=["read"])
    client = bearer(token.key)
    assert client.get("/api/v1/customers/").status_code == 200
    api_token_revoke(api_token=ApiToken.objects.get(pk=token.pk))
    assert client.get("/api/v1/customers/").status_code == 401


def test_a_removed_permission_is_refused_on_the_next_request():
    user = grant(StaffFactory(perms=()), *PERMS)
    client = bearer(ApiTokenFactory(user=user, scopes=["read"]).key)
    assert client.get("/api/v1/customers/").status_code == 200
    user.user_permissions.remove(_perm("customers.view_customer"))
    assert client.get("/api/v1/customers/").status_code == 403


def test_role_changes_apply_to_the_next_request():
    from django.contrib.auth.models import Group

    role = Group.objects.create(name="Switches")
    role.permissions.add(*(_perm(name) for name in PERMS))
    user = StaffFactory(perms=(), groups=())
    user.groups.add(role)
    client = bearer(ApiTokenFactory(user=user, scopes=["read"]).key)
    assert client.get("/api/v1/customers/").status_code == 200
    role.permissions.remove(_perm("customers.view_customer"))
    assert client.get("/api/v1/customers/").status_code == 403
    role.permissions.add(_perm("customers.view_customer"))
    assert client.get("/api/v1/customers/").status_code == 200
    user.groups.remove(role)
    assert client.get("/api/v1/customers/").status_code == 403


def test_disabling_the_user_refuses_the_token_on_the_next_request():
    user = grant(StaffFactory(perms=()), *PERMS)
    client = bearer(ApiTokenFactory(user=user, scopes=["read"]).key)
    assert client.get("/api/v1/customers/").status_code == 200
    user.is_active = False
    user.save()
    assert client.get("/api/v1/customers/").status_code == 401


def test_a_token_expires_on_time_though_nothing_changed():
    import time_machine

    token = ApiTokenFactory(user=grant(StaffFactory(perms=()), *PERMS), scopes=["read"],
                            expires_at=timezone.now() + timedelta(hours=1))
    client = bearer(token.key)
    assert client.get("/api/v1/customers/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        assert client.get("/api/v1/customers/").status_code == 401


def test_a_change_bypassing_signals_applies_within_max_age(monkeypatch):
    from apitokens import cache

    user = grant(StaffFactory(perms=()), *PERMS)
    client = bearer(ApiTokenFactory(user=user, scopes=["read"]).key)
    assert client.get("/api/v1/customers/").status_code == 200
    type(user).objects.filter(pk=user.pk).update(is_active=False)  # no signal
    started = cache._clock()
    monkeypatch.setattr(cache, "_clock", lambda: started + cache.MAX_AGE + 0.1)
    assert client.get("/api/v1/customers/").status_code == 401


def test_without_redis_every_request_reads_the_database(monkeypatch):
    import redis

    from apitokens import cache

    user = grant(StaffFactory(perms=()), *PERMS)
    client = bearer(ApiTokenFactory(user=user, scopes=["read"]).key)
    assert client.get("/api/v1/customers/").status_code == 200
    monkeypatch.setattr(cache, "_redis", redis.Redis(port=1, socket_connect_timeout=0.1))
    assert client.get("/api/v1/customers/").status_code == 200
    type(user).objects.filter(pk=user.pk).update(is_active=False)  # no signal, and no Redis to tell
    assert client.get("/api/v1/customers/").status_code == 401


def test_a_known_token_authenticates_and_checks_permissions_without_queries(own_versions, django_assert_num_queries):
    user = grant(StaffFactory(perms=()), *PERMS)
    token = ApiTokenFactory(user=user, scopes=["read"])
    api_token_authenticate(key=token.key)
    with django_assert_num_queries(0):
        again = api_token_authenticate(key=token.key)
        assert again == token and again.user == user
        assert again.user.has_perms(PERMS) and not again.user.has_perm("customers.delete_customer")


def test_creating_a_token_checks_name_scopes_expiry_and_staff():
    with pytest.raises(ValidationError) as caught:
        api_token_create(user=StaffFactory(perms=(), is_staff=False), name=" ", scopes=["admin"],
                         expires_at=timezone.now() - timedelta(days=1))
    assert set(caught.value.message_dict) == {"user", "name", "scopes", "expires_at"}
    assert not ApiToken.objects.exists()


def test_history_records_tokens_without_their_key():
    token = ApiTokenFactory(scopes=["read"])
    api_token_revoke(api_token=token)
    events = list(Events.objects.tracks(token).order_by("pgh_created_at"))
    assert [e.pgh_label for e in events] == ["api_token.created", "api_token.updated"]
    assert all("key_hash" not in e.pgh_data for e in events)
    assert all(token.key not in str(e.pgh_data) for e in events)


# Settings → API tokens -------------------------------------------------------------------

def panel_user(client, *perms):
    user = grant(StaffFactory(perms=()), *perms)
    client.force_login(user)
    return user


def test_the_key_is_shown_once_on_creation_and_never_again(client):
    user = panel_user(client, "apitokens.view_apitoken", "apitokens.add_apitoken")
    response = client.post("/settings/api-tokens/new/", {"name": "Kamailio edge", "scopes": ["switch", "read"]})
    assert response.status_code == 200
    token = ApiToken.objects.get()
    key = response.context["key"]
    assert key.encode() in response.content
    assert (token.user, token.scopes, token.created_by) == (user, ["read", "switch"], user)
    listing = client.get("/settings/api-tokens/")
    assert b"Kamailio edge" in listing.content and key.encode() not in listing.content


def test_the_form_shows_errors_beside_fields_and_saves_nothing(client):
    panel_user(client, "apitokens.view_apitoken", "apitokens.add_apitoken")
    response = client.post("/settings/api-tokens/new/", {"name": "", "scopes": []})
    assert response.status_code == 422
    assert response.context["form"].errors.keys() == {"name", "scopes"}
    assert not ApiToken.objects.exists()


def test_staff_see_and_revoke_only_their_own_tokens(client):
    user = panel_user(client, "apitokens.view_apitoken", "apitokens.change_apitoken")
    mine = ApiTokenFactory(user=user, name="mine")
    theirs = ApiTokenFactory(name="theirs")
    listing = client.get("/settings/api-tokens/").content.decode()
    assert "mine" in listing and "theirs" not in listing
    assert client.post(f"/settings/api-tokens/{theirs.pk}/revoke/").status_code == 404
    assert client.post(f"/settings/api-tokens/{mine.pk}/revoke/").status_code == 302
    mine.refresh_from_db(), theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None


def test_a_token_manager_creates_and_revokes_anyone_s_tokens(client):
    panel_user(client, "apitokens.view_apitoken", "apitokens.add_apitoken", "apitokens.change_apitoken",
               "apitokens.manage_all_api_tokens")
    switch_user = StaffFactory(perms=(), username="kamailio")
    client.post("/settings/api-tokens/new/", {"name": "edge", "scopes": ["switch"], "user": switch_user.pk})
    token = ApiToken.objects.get()
    assert token.user == switch_user
    assert "kamailio" in client.get("/settings/api-tokens/").content.decode()
    client.post(f"/settings/api-tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_token_pages_need_their_permissions(client):
    panel_user(client)
    assert client.get("/settings/api-tokens/").status_code == 403
    assert client.post("/settings/api-tokens/new/", {"name": "x", "scopes": ["read"]}).status_code == 403
    assert not ApiToken.objects.exists()


def test_demo_tokens_load_once_and_cover_each_state():
    from io import StringIO

    from apitokens.demo import load_demo_tokens

    StaffFactory(perms=(), username="maria")
    load_demo_tokens(StringIO())
    load_demo_tokens(StringIO())
    assert sorted(t.state for t in ApiToken.objects.all()) == ["active", "active", "revoked"]
