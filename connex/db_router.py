"""Panel reads on a read replica: set DATABASE_REPLICA_URL and the router sends them there.

Reads go to the replica only where staleness of a second or two is harmless: the ORM reads of a
request that has written nothing yet. Everything else stays on the primary: writes, reads inside a
transaction (they must see its own writes), the request after a write (read-your-writes), Celery
tasks and the import/rating path (they use connection.cursor() on `default` directly), and the
switch API (its caches and Redis counters are the authority there).
"""

from contextvars import ContextVar

REPLICA = "replica"
_pinned = ContextVar("connex_db_pinned_to_primary", default=False)
_in_request = ContextVar("connex_db_in_request", default=False)


# Sign-in, sessions, lockouts and tokens are read right after they are written (another request).
PRIMARY_APPS = frozenset({"sessions", "auth", "axes", "apitokens", "staff", "django_celery_beat"})


class ReplicaRouter:
    """settings.DATABASE_ROUTERS when DATABASE_REPLICA_URL is set."""

    def db_for_read(self, model, **hints):
        from django.db import connections

        if (not _in_request.get() or _pinned.get() or model._meta.app_label in PRIMARY_APPS
                or connections["default"].in_atomic_block):
            return "default"
        return REPLICA

    def db_for_write(self, model, **hints):
        _pinned.set(True)
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two copies of it

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaRoutingMiddleware:
    """Marks a panel request (reads may use the replica) and pins it to the primary once it writes;
    POST, PUT, PATCH and DELETE requests, and the switch API, stay on the primary from the start."""

    PRIMARY_PATHS = ("/api/v1/switch/", "/api/v1/calls/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        safe = request.method in ("GET", "HEAD", "OPTIONS") and not request.path.startswith(self.PRIMARY_PATHS)
        in_request, pinned = _in_request.set(safe), _pinned.set(not safe)
        try:
            return self.get_response(request)
        finally:
            _in_request.reset(in_request)
            _pinned.reset(pinned)
