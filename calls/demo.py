from .models import Switch


def load_demo_switches(stdout):
    """One switch, so Settings → Switches and End call have something to show."""
    if Switch.objects.exists():
        return
    Switch.objects.create(name="Loopback Kamailio (demo)", address="127.0.0.1", rpc_url="http://127.0.0.1:5071/RPC")
    stdout.write("Switches: 1 demo switch (127.0.0.1, JSON-RPC on 5071).")
