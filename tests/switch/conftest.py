import shutil

import pytest

from tests.switch.loopback import Kamailio, PanelStandIn, Sipp


@pytest.fixture(scope="session", autouse=True)
def _switch_tools():
    missing = [tool for tool in ("kamailio", "sipp") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: run scripts/bootstrap.sh")


@pytest.fixture
def panel():
    with PanelStandIn() as server:
        yield server


@pytest.fixture
def switch(panel, tmp_path):
    with Kamailio(tmp_path / "kamailio", panel.url) as kamailio:
        yield kamailio


@pytest.fixture
def sipp(tmp_path):
    """Starts SIPp processes (scenario, *args, ip=, remote=) and stops any still running."""
    started = []
    workdir = tmp_path / "sipp"
    workdir.mkdir()

    def start(scenario, *args, **kwargs):
        process = Sipp(workdir, scenario, *args, **kwargs)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


from tests.calls.conftest import fresh_caches, live_state  # noqa: E402, F401 - fixtures for test_panel


@pytest.fixture
def real_panel(live_server, transactional_db, request):
    """The panel itself on a live test server, with a `switch` token for Kamailio, and the call events
    drained every 0.2 s (what the Celery task does every second)."""
    request.getfixturevalue("live_state")
    request.getfixturevalue("fresh_caches")
    import threading

    from calls.events import call_events_drain
    from tests.factories import ApiTokenFactory, StaffFactory, grant

    user = grant(StaffFactory(username="kamailio-edge", perms=()), "calls.switch_call")
    token = ApiTokenFactory(user=user, scopes=["switch"])
    stop = threading.Event()

    def drain_loop():
        from django.db import connection

        while not stop.wait(0.2):
            try:
                call_events_drain(consumer="test-drain")
            except Exception:  # noqa: BLE001 - shown by the test that waits for the rows
                import traceback

                traceback.print_exc()
        connection.close()

    thread = threading.Thread(target=drain_loop, daemon=True)
    thread.start()

    class Panel:
        url = live_server.url
        key = token.key

    yield Panel
    stop.set()
    thread.join(timeout=5)


@pytest.fixture
def real_switch(real_panel, tmp_path):
    with Kamailio(tmp_path / "kamailio", real_panel.url, token=real_panel.key, panel_timeout=2) as kamailio:
        yield kamailio
