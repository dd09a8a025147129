"""The switch's call-control API under load, and calls through Kamailio at a fixed rate.

1. `authorize` through the real server stack (scripts/web.sh as production runs it: Granian, the
   panel's WSGI app, token auth), driven by a loopback load generator at fixed concurrency (wrk with
   benchmarks/switch_api.lua, or an asyncio client without wrk: keep-alive connections, a new
   call_id per request, answers counted unless 200 and allowed), beside a bare endpoint on the same
   stack (same middleware, lean path, token and permission check, constant answer) in the same run,
   the two alternating in BENCH_ROUNDS rounds; latency percentiles pool every round's requests.
   Every authorize runs the engine, the channel/CPS script and the credit hold, and queues its
   attempt on the call-event stream.
   Goal: ≥ 1,000 authorizations/s, p99 ≤ 20 ms, ≥ 0.5 of the bare endpoint's throughput.
   Where the CPU goes, per request of each phase: the web server, Redis, PostgreSQL (the drain's
   backend, the other backends on the benchmark's database, its own writer processes), the drain's
   Python, wrk, and the rest of the machine; each phase ends when the drain has written what it
   queued, so its writing counts with it. Redis's own time per authorize script is printed too.
2. SIPp through Kamailio against the same web server at BENCH_CALL_RATE calls/s for BENCH_SECONDS
   (short calls), with the call-event drain running: calls placed, answered, failed, and CDRs
   written (must equal answered).

BENCH_SKIP_SIPP=1 runs only the first part. Last line: one JSON object.
"""

import asyncio
import csv
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._setup import ROOT, django_setup  # noqa: E402

DB = os.environ.get("BENCH_DB", "connex_bench_switch")
# Connections the load generator keeps busy. By Little's law, at 1,000 calls/s N connections mean N ms
# a call on average: 16 would leave a mean of 16 ms against a p99 of 20 ms; 8 leaves 8 ms.
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
DURATION = float(os.environ.get("BENCH_DURATION", "12"))
# Each phase's time is split into this many rounds, bare and authorize alternating, so that a change in
# the machine's speed (other tenants of the host) falls on both alike.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4"))
# The web server's processes and threads: production's (scripts/web.sh) unless set.
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
CALL_RATE = int(os.environ.get("BENCH_CALL_RATE", "100"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "60"))
CALLER_IP = "127.0.0.2"


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def world(gateway_port=5999):
    """A customer calling from CALLER_IP with a route, a rate and one provider; a switch token."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from apitokens.services import api_token_create
    from customers.models import Customer
    from providers.models import Gateway, Provider, ProviderRateCard
    from rates.models import RateCard, RateRevision, RateRow
    from routing.models import IngressRoute
    from sipauth.models import IpAuthEntry

    customer, _ = Customer.objects.get_or_create(name="Bench switch", defaults={"currency": "USD"})
    Customer.objects.filter(pk=customer.pk).update(channels=1_000_000, flow_speed=0, balance=Decimal("1e9"),
                                                   debit_limit=0, status="active")
    card, _ = RateCard.objects.get_or_create(name="Bench switch sell", defaults={"currency": "USD"})
    if not card.revisions.exists():
        revision = RateRevision.objects.create(card=card, live_from="2026-01-01T00:00Z", row_count=1)
        RateRow.objects.create(revision=revision, prefix="44", name="UK", rate=Decimal("0.02"), mcd=1, pulse=1)
    IngressRoute.objects.get_or_create(customer=customer, rate_card=card, defaults={"max_duration": 3600})
    IpAuthEntry.objects.get_or_create(customer=customer, address=CALLER_IP)
    provider, _ = Provider.objects.get_or_create(name="Bench loopback", defaults={"currency": "USD"})
    buy, _ = RateCard.objects.get_or_create(name="Bench switch buy", defaults={"currency": "USD", "kind": "provider"})
    if not buy.revisions.exists():
        revision = RateRevision.objects.create(card=buy, live_from="2026-01-01T00:00Z", row_count=1)
        RateRow.objects.create(revision=revision, prefix="44", name="UK", rate=Decimal("0.01"), mcd=1, pulse=1)
    ProviderRateCard.objects.get_or_create(provider=provider, card=buy)
    Gateway.objects.filter(provider=provider).delete()
    Gateway.objects.create(provider=provider, host="127.0.0.1", port=gateway_port)
    user, _ = get_user_model().objects.get_or_create(username="bench-switch", defaults={"is_staff": True})
    user.user_permissions.add(Permission.objects.get(codename="switch_call"))
    _, key = api_token_create(user=user, name=f"bench {time.time()}", scopes=["switch"])
    from routing.cache import routing_changed

    routing_changed()
    return customer, key


def server_env(db):
    """The environment of a production-like server process (the web server, a Celery worker) on `db`."""
    return {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db}", "DEBUG": "false",
            "SECRET_KEY": "bench-" + "x" * 60, "DJANGO_SETTINGS_MODULE": "benchmarks.switch_api_settings",
            "ALLOWED_HOSTS": "127.0.0.1,localhost", "PYTHONPATH": str(ROOT),
            "SECURE_SSL_REDIRECT": "false", "WHITENOISE_USE_FINDERS": "true", "DB_CONN_MAX_AGE": "60"}


def web_server(port, env, workers=None):
    """The production web server (scripts/web.sh) on `port`, as Procfile and the Dockerfile start it."""
    settings = {"GRANIAN_HOST": "127.0.0.1", "GRANIAN_PORT": str(port), "GRANIAN_WORKERS": str(workers or WORKERS),
                "GRANIAN_BLOCKING_THREADS": str(THREADS), "GRANIAN_LOG_LEVEL": "warning"}
    process = subprocess.Popen([str(ROOT / "scripts/web.sh")], cwd=ROOT, env={**env, **settings},
                               start_new_session=True, stdout=subprocess.DEVNULL)
    deadline = time.time() + 60
    import socket

    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the web server did not start")


async def _client(port, path, body_for, key, stop_at, latencies, errors):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    n = 0
    while time.perf_counter() < stop_at:
        body = body_for(n).encode()
        n += 1
        request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {key}\r\n"
                   f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
        started = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        payload = await reader.readexactly(length)
        latencies.append(time.perf_counter() - started)
        if not head.startswith(b"HTTP/1.1 200") or (b'"allowed":true' not in payload and path.endswith("authorize")):
            errors.append(head.split(b"\r\n")[0] + b" " + payload[:200])
    writer.close()


DRAIN_BACKEND = {"pid": None}  # the PostgreSQL backend the drain thread writes through
# PostgreSQL's own processes, by their titles: they write and flush what the backends change.
PG_AUX = (b"checkpointer", b"background writer", b"walwriter", b"autovacuum launcher")


def _part(pid, name, group, pgid):
    """Which part of the stack a process is (None: not the benchmark's)."""
    if group == pgid:
        return "web"
    if name == "redis-server":
        return "redis"
    if name != "postgres" and not name.startswith("postgres:"):
        return None
    if pid == DRAIN_BACKEND["pid"]:
        return "pg_drain"
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    if f" {DB} ".encode() in title:
        return "pg_web"  # the web workers' backends (and any other session on the benchmark's database)
    if any(name in title for name in PG_AUX):
        return "pg_aux"
    return None  # the postmaster, or a backend of another database


def cpu_snapshot(pgid):
    """CPU ticks so far of each process of the stack — (pid, part) -> ticks: the web server (process
    group `pgid`), Redis, the drain's PostgreSQL backend, the other backends on the benchmark's
    database, PostgreSQL's own processes — plus this process (the drain thread and the load's
    bookkeeping), the load generators reaped so far (wrk) and the machine's busy ticks (all cores)."""
    tick = os.sysconf("SC_CLK_TCK")
    ticks = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        head, tail = text.rsplit(")", 1)
        fields = tail.split()
        pid = int(stat.parent.name)
        part = _part(pid, head.split("(", 1)[1], int(fields[2]), pgid)
        if part is not None:
            ticks[pid, part] = (int(fields[11]) + int(fields[12])) / tick
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    ticks[0, "bench"] = own.ru_utime + own.ru_stime
    ticks[0, "wrk"] = children.ru_utime + children.ru_stime  # the web server is reaped only at the end
    user, nice, system, _, _, irq, softirq, steal, *_ = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:])
    ticks[0, "machine"] = (user + nice + system + irq + softirq + steal) / tick
    return ticks


PARTS = ("web", "redis", "pg_drain", "pg_web", "pg_aux", "bench", "wrk")


def cpu_used(before, after):
    """CPU seconds by part between two snapshots; `others` is the rest of the machine's (other
    users' processes, the kernel's own threads and interrupts)."""
    used = dict.fromkeys(PARTS, 0.0)
    for (pid, part), value in after.items():
        if part != "machine":
            used[part] += value - before.get((pid, part), 0.0)
    used["others"] = after[0, "machine"] - before[0, "machine"] - sum(used.values())
    return used


def drain_settled(timeout=30):
    """Waits until the drain has written every queued event (so its work is counted with the phase
    that queued it), then for one more drain pass to finish."""
    deadline = time.time() + timeout
    from calls.events import call_events_pending

    while time.time() < deadline and call_events_pending():
        time.sleep(0.05)
    passes = DRAINED["passes"]
    while time.time() < deadline and DRAINED["passes"] < passes + 1:
        time.sleep(0.05)


def script_stats():
    """(calls, microseconds) of the Lua scripts Redis has run (EVALSHA), from its own statistics."""
    from calls import live

    stats = live.live_redis().info("commandstats").get("cmdstat_evalsha", {})
    return stats.get("calls", 0), stats.get("usec", 0)


def measured(pgid, run):
    """run()'s result with the CPU per request (ms) of each part of the stack while it ran, including
    the drain's writing of the events it queued."""
    scripts_before = script_stats()
    before = cpu_snapshot(pgid)
    result = run()
    drain_settled()
    requests = max(result["requests"], 1)
    cpu = {part: seconds * 1000 / requests for part, seconds in cpu_used(before, cpu_snapshot(pgid)).items()}
    cpu["stack"] = sum(cpu[part] for part in PARTS)
    result["cpu_ms"] = cpu
    result["scripts"] = [after - before for after, before in zip(script_stats(), scripts_before, strict=True)]
    result["server_cpu_ms"] = round(cpu["web"], 3)
    return result


def load(port, path, key, seconds, tag):
    """Requests of `path` at CONCURRENCY connections for `seconds`: through wrk when installed (C,
    one thread, so the load generator takes little of the 2 cores it shares with the server), else
    through the asyncio client."""
    if shutil.which("wrk"):
        return wrk_load(port, path, key, seconds, tag)
    return asyncio_load(port, path, key, seconds, tag)


def wrk_load(port, path, key, seconds, tag):
    run = f"{tag}-{time.time_ns()}"
    check = "1" if path.endswith("authorize") else "0"
    command = ["wrk", "--threads", "1", "--connections", str(CONCURRENCY), "--duration", f"{max(1, round(seconds))}s",
               "--timeout", "5s", "--script", str(ROOT / "benchmarks/switch_api.lua"),
               f"http://127.0.0.1:{port}{path}", "--", run, key, check]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK "))
    result = json.loads(line[4:])
    count, errors = result["requests"], result["bad"] + result["socket_errors"]
    return {"requests": count, "per_s": round(count / (result["duration_us"] / 1e6), 1),
            "p50_ms": round(result["p50_us"] / 1000, 2), "p99_ms": round(result["p99_us"] / 1000, 2),
            "errors": errors, "first_error": result["first_bad"] or (f"{result['socket_errors']} socket errors"
                                                                     if result["socket_errors"] else ""),
            "curve_ms": [value / 1000 for value in result["curve_us"]]}


def asyncio_load(port, path, key, seconds, tag):
    latencies, errors = [], []
    run = f"{tag}-{time.time_ns()}"

    def body_for(index, client):
        return json.dumps({"call_id": f"{run}-{client}-{index}", "source_ip": CALLER_IP, "dialed": "447911123456",
                           "cli": "442071234567", "switch_ip": "127.0.0.1"})

    async def main():
        stop_at = time.perf_counter() + seconds
        await asyncio.gather(*(_client(port, path, lambda n, c=c: body_for(n, c), key, stop_at, latencies, errors)
                               for c in range(CONCURRENCY)))

    started = time.perf_counter()
    asyncio.run(main())
    elapsed = time.perf_counter() - started
    latencies.sort()
    count = len(latencies)
    return {"requests": count, "per_s": round(count / elapsed, 1),
            "p50_ms": round(latencies[count // 2] * 1000, 2) if count else None,
            "p99_ms": round(latencies[min(count - 1, int(count * 0.99))] * 1000, 2) if count else None,
            "errors": len(errors), "first_error": errors[0].decode(errors="replace") if errors else "",
            "curve_ms": [latencies[min(count - 1, int(count * p / 100))] * 1000 for p in CURVE] if count else []}


# The percentiles each round's latency curve gives (benchmarks/switch_api.lua): 1–89, 90–99.9 by
# tenths, and 100 (the slowest request).
CURVE = [*range(1, 90), *(p / 10 for p in range(900, 1000)), 100]


def pooled_percentile(results, q):
    """The q-th percentile of all the rounds' requests together: the smallest latency that at least q%
    of them did not exceed, each round's share read off its own curve (rounded against the latency)."""
    rounds = [(r["requests"], r["curve_ms"]) for r in results if r["requests"] and r.get("curve_ms")]
    total = sum(n for n, _ in rounds)
    if not total:
        return None
    for latency in sorted({value for _, curve in rounds for value in curve}):
        within = sum(n * max((p for p, value in zip(CURVE, curve, strict=True) if value <= latency), default=0)
                     for n, curve in rounds) / total
        if within >= q:
            return round(latency, 2)
    return round(max(curve[-1] for _, curve in rounds), 2)


def merge(results):
    """One phase's rounds together: throughput over their combined time, latency percentiles of all
    their requests pooled."""
    requests = sum(r["requests"] for r in results)
    return {"requests": requests, "per_s": round(sum(r["per_s"] for r in results) / len(results), 1),
            "p50_ms": pooled_percentile(results, 50), "p99_ms": pooled_percentile(results, 99),
            "p99_rounds_ms": [r["p99_ms"] for r in results],
            "errors": sum(r["errors"] for r in results),
            "first_error": next((r["first_error"] for r in results if r["first_error"]), ""),
            "server_cpu_ms": round(sum(r["server_cpu_ms"] * r["requests"] for r in results) / max(requests, 1), 3),
            "cpu_ms": {part: round(sum(r["cpu_ms"][part] * r["requests"] for r in results) / max(requests, 1), 3)
                       for part in results[0]["cpu_ms"]},
            "scripts": [sum(r["scripts"][i] for r in results) for i in (0, 1)]}


DRAINED = {"events": 0, "cpu": 0.0, "passes": 0}  # the drain thread's events written, its CPU seconds, passes


def drain_forever(stop):
    from django.db import connection

    from calls.events import call_events_drain

    def drain():
        started = time.thread_time()
        DRAINED["events"] += call_events_drain(consumer="bench-drain")
        DRAINED["cpu"] += time.thread_time() - started
        DRAINED["passes"] += 1
        DRAIN_BACKEND["pid"] = connection.connection.info.backend_pid if connection.connection else None

    while not stop.wait(1.0):
        drain()
    drain()
    connection.close()


def drain_lag():
    """Events on the call-event stream the drain has not read yet."""
    from calls import events, live

    groups = live.live_redis().xinfo_groups(live.events_key())
    return next((group.get("lag") or 0 for group in groups if group["name"] == events.GROUP), 0)


def sipp_run(port, key, customer):
    from summaries.models import CallDetailRecord
    from tests.switch.loopback import Kamailio, Sipp

    with tempfile.TemporaryDirectory() as workdir:
        workdir = Path(workdir)
        uas = Sipp(workdir, "uas.xml", trace=False)
        world(gateway_port=uas.port)
        before = CallDetailRecord.objects.filter(customer=customer).count()
        with Kamailio(workdir / "kamailio", f"http://127.0.0.1:{port}", token=key, panel_timeout=2,
                      sip_children=4) as switch:
            stats = workdir / "uac.csv"
            calls = CALL_RATE * SECONDS
            uac = Sipp(workdir, "uac.xml", "-s", "447911123456", "-key", "cli", "442071234567", "-d", "1000",
                       "-r", str(CALL_RATE), "-m", str(calls), "-l", str(CALL_RATE * 5), "-recv_timeout", "10000",
                       "-trace_stat", "-stf", str(stats), "-fd", "1", ip=CALLER_IP,
                       remote=f"127.0.0.1:{switch.sip_port}", trace=False)
            uac.wait(timeout=SECONDS + 120)
            with open(stats, newline="") as handle:
                last = list(csv.DictReader(handle, delimiter=";"))[-1]
            placed, answered, failed = (int(last["OutgoingCall(C)"]), int(last["SuccessfulCall(C)"]),
                                        int(last["FailedCall(C)"]))
            # Ends are posted by the switch, then drained every second: wait until they settle, and
            # never while the drain still has events to read (the authorize runs queued many).
            deadline, written, still = time.time() + 180, -1, 0
            while time.time() < deadline and still < 4:
                now = CallDetailRecord.objects.filter(customer=customer).count() - before
                still = still + 1 if now == written and not drain_lag() else 0
                written = now
                if written >= answered and still:
                    break
                time.sleep(3)
        uas.stop()
    return {"rate": CALL_RATE, "seconds": SECONDS, "placed": placed, "answered": answered, "failed": failed,
            "cdrs_written": written, "cdrs_equal_answered": written == answered}


def main():
    django_setup(DB)
    customer, key = world()
    port = free_port()
    server = web_server(port, server_env(DB))
    stop = threading.Event()
    drain = threading.Thread(target=drain_forever, args=(stop,), daemon=True)
    drain.start()
    try:
        load(port, "/api/v1/bench/bare", key, 2, "warm")
        load(port, "/api/v1/calls/authorize", key, 2, "warm")
        drain_settled()
        # Alternating rounds, so a change in the machine's load touches both alike.
        drained_before = dict(DRAINED)
        rounds = [(measured(server.pid, lambda: load(port, "/api/v1/bench/bare", key, DURATION / ROUNDS, "bare")),
                   measured(server.pid, lambda: load(port, "/api/v1/calls/authorize", key, DURATION / ROUNDS, "auth")))
                  for _ in range(ROUNDS)]
        bare, authorize = (merge([r[i] for r in rounds]) for i in (0, 1))
        print(f"bare endpoint:  {bare}")
        print(f"authorize:      {authorize}")
        drained = DRAINED["events"] - drained_before["events"]
        drain_cpu_ms = round((DRAINED["cpu"] - drained_before["cpu"]) * 1000 / drained, 3) if drained else None
        print(f"web server CPU per request: bare {bare['server_cpu_ms']} ms, authorize {authorize['server_cpu_ms']} ms;"
              f" drain (Python side) {drain_cpu_ms} ms per event ({drained} events)")
        for name, phase in (("bare", bare), ("authorize", authorize)):
            print(f"CPU per request, {name} (ms): " + ", ".join(f"{part} {value}" for part, value in phase["cpu_ms"].items()))
        calls, usec = authorize["scripts"]
        script_us = round(usec / calls, 1) if calls else None
        print(f"Redis's time per authorize script (EVALSHA): {script_us} µs")
        ratio = round(authorize["per_s"] / bare["per_s"], 3) if bare["per_s"] else None
        ratios = [round(a["per_s"] / b["per_s"], 3) if b["per_s"] else None for b, a in rounds]
        print(f"authorize / bare throughput: {ratio} (rounds: {', '.join(map(str, ratios))})")
        calls = None
        if os.environ.get("BENCH_SKIP_SIPP") != "1":
            calls = sipp_run(port, key, customer)
            print(f"SIPp through Kamailio: {calls}")
    finally:
        stop.set()
        drain.join(timeout=30)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    print(json.dumps({
        "benchmark": "switch_api", "concurrency": CONCURRENCY, "server": "granian", "server_workers": WORKERS,
        "server_threads": THREADS,
        "authorize_per_s": authorize["per_s"], "authorize_p50_ms": authorize["p50_ms"],
        "authorize_p99_ms": authorize["p99_ms"], "authorize_errors": authorize["errors"],
        "bare_per_s": bare["per_s"], "bare_p99_ms": bare["p99_ms"], "authorize_vs_bare": ratio,
        "authorize_vs_bare_rounds": ratios, "authorize_p99_rounds_ms": authorize["p99_rounds_ms"],
        "server_cpu_ms_authorize": authorize["server_cpu_ms"], "server_cpu_ms_bare": bare["server_cpu_ms"],
        "drain_cpu_ms_per_event": drain_cpu_ms,
        "cpu_ms_authorize": authorize["cpu_ms"], "cpu_ms_bare": bare["cpu_ms"],
        "redis_script_us_authorize": script_us,
        "goal_per_s_met": authorize["per_s"] >= 1000, "goal_p99_met": (authorize["p99_ms"] or 1e9) <= 20,
        "goal_ratio_met": (ratio or 0) >= 0.5, "sipp": calls}))


if __name__ == "__main__":
    main()
