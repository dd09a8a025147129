"""The WSGI application: panel pages through the whole middleware stack, machine API calls through
a lean one.

A request to /api/v1/ carrying an API token (`Authorization: Bearer|Token …`) is a switch or a
provisioning system, not a browser session: it gets MIDDLEWARE minus PANEL_ONLY_MIDDLEWARE
(sessions, CSRF, messages, htmx, the staff timezone, the portal, sign-in lockouts, static files).
Nothing else changes for it: Django REST framework authenticates the token and checks the
permission every endpoint declares (connex.api_policy, default deny), and PermissionMiddleware
still refuses a non-API view (the request is anonymous until the token is authenticated, and no
session is read). Every other request — panel pages, the portal, session calls to the API — takes
the full stack.
"""

import gc

import django
from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.utils.module_loading import import_string

MACHINE_API_PREFIX = "/api/v1/"


def machine_api_middleware():
    skipped = set(settings.PANEL_ONLY_MIDDLEWARE)
    return [path for path in settings.MIDDLEWARE if path not in skipped]


class MachineApiHandler(WSGIHandler):
    """A WSGIHandler whose chain is machine_api_middleware() instead of MIDDLEWARE."""

    def load_middleware(self, is_async=False):
        # BaseHandler.load_middleware reads settings.MIDDLEWARE itself; this builds the same
        # synchronous chain over another list.
        self._view_middleware, self._template_response_middleware, self._exception_middleware = [], [], []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(machine_api_middleware()):
            try:
                instance = import_string(path)(handler)
            except MiddlewareNotUsed:
                continue
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler

    def get_response(self, request):
        from django.contrib.auth.models import AnonymousUser

        request.user = AnonymousUser()  # until the token is authenticated (DRF then sets the user)
        return super().get_response(request)


def is_machine_api(environ) -> bool:
    from apitokens.authentication import ApiTokenAuthentication

    if not environ.get("PATH_INFO", "").startswith(MACHINE_API_PREFIX):
        return False
    scheme = environ.get("HTTP_AUTHORIZATION", "").split(" ", 1)[0].lower()
    return scheme in ApiTokenAuthentication.keywords


# A web worker holds hundreds of thousands of long-lived objects (the framework, the views, the routing
# snapshot and rate maps) that the cyclic garbage collector would otherwise walk again and again: a
# full collection costs 85-100 ms with the routing maps loaded, and the younger generations' passes
# add to every request's CPU. After these numbers of requests (the process has loaded what it keeps)
# the worker collects once and freezes what is left (gc.freeze): later collections walk only the new
# objects. Frozen objects are still freed by reference counting; only a reference cycle among them
# that becomes garbage later is not collected.
FREEZE_AFTER = frozenset({1_000, 10_000, 100_000})


class Application:
    def __init__(self):
        self.panel = WSGIHandler()
        self.machine_api = MachineApiHandler()
        self.requests = 0

    def __call__(self, environ, start_response):
        self.requests += 1
        if self.requests in FREEZE_AFTER:
            gc.collect()
            gc.freeze()
        handler = self.machine_api if is_machine_api(environ) else self.panel
        return handler(environ, start_response)


def get_application():
    django.setup(set_prefix=False)
    return Application()
