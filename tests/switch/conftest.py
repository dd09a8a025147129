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
