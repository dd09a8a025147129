"""Production settings: secure by default with DEBUG off, and no start with the development key."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "k" * 20 + "-production-secret-for-this-test-only-0123456789",
              "ALLOWED_HOSTS": "panel.example.com", "CSRF_TRUSTED_ORIGINS": "https://panel.example.com",
              "DJANGO_SETTINGS_MODULE": "connex.settings"}


def manage(*args, **env):
    base = {key: value for key, value in os.environ.items() if key not in ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=base | env,
                          capture_output=True, text=True, timeout=120)


def documented_environment():
    """The variables .env.example documents, with the random SECRET_KEY it tells the reader to make."""
    env = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            env[name] = value
    assert env["DEBUG"] == "false" and env["SECRET_KEY"] == ""
    return env | {"SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_SETTINGS_MODULE": "connex.settings"}


def test_check_deploy_with_the_documented_production_environment_prints_no_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **documented_environment())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("key", [None, "dev-only-insecure-secret-key-change-me", "short"])
def test_the_server_refuses_to_start_with_debug_off_and_a_development_key(key):
    env = dict(PRODUCTION)
    env.pop("SECRET_KEY")
    if key is not None:
        env["SECRET_KEY"] = key
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_make_cookies_secure_and_turn_on_hsts_and_the_redirect():
    code = ("from django.conf import settings as s; "
            "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
            "getattr(s, 'SECURE_PROXY_SSL_HEADER', None))")
    result = manage("shell", "-c", code, **PRODUCTION, SECURE_PROXY_SSL_HEADER="true")
    assert result.stdout.strip().splitlines()[-1] == "True True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https')", result.stderr


def test_every_page_carries_a_content_security_policy_with_a_fresh_nonce(client):
    first, second = client.get("/login/"), client.get("/login/")
    policy = first["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert policy != second["Content-Security-Policy"]
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'"inlineScriptNonce": "{nonce}"' in first.content.decode()
