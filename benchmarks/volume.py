"""Volume simulation: the switch's authorize + end at a sustained rate with bursts, through the real stack.

    .venv/bin/python benchmarks/volume.py [--rate 1200] [--burst-rate 5000] [--seconds 300] [--hold 5]

The stack is the one production runs (benchmarks/switch_api.py sets it up): the web server (scripts/web.sh, Granian) serving the panel,
a switch API token, and a real Celery worker draining the call-event stream; this script plays beat
(the drain every second, the rollup at its PERIODIC_TASKS interval). Each call is an `authorize`, then
`end` --hold seconds after its answer (60 % answered, the rest 486), so the HTTP load is twice the call
rate. Calls come from --customers customers (one IP each) on one route.

The load generator is open-loop: calls are scheduled by the clock at --rate per second (--burst-rate
for --burst-seconds at every multiple of --burst-every), each request joins a FIFO served by
--connections keep-alive connections, and latency counts from the scheduled time, so a server that
falls behind shows as a growing client backlog and an achieved rate below the offered one, never as
a slower offer. At --seconds the generator stops; what was scheduled but not sent is reported.

While the load runs, a browser-like client (its own process, a staff session) loads the customers
board and one customer's card every second, compared with the same pages loaded idle first. A
monitor samples the stages every 0.25 s: the client backlog, the Redis event stream (entries added,
length, oldest entry), the Celery queue (drain tasks waiting) and the summarised CDR count. An end is
stored once the stream's oldest entry is newer than its acceptance (the drain deletes a batch only
after committing it), which gives the lag from end to stored; the rollup lag is how long the oldest
stored CDR missing from the summaries has waited. CPU seconds of the web server, the Celery worker, this
generator and the PostgreSQL backends of the benchmark's database tell who used the machine.

After the load, the drain runs until the stream is empty (at most --settle seconds), then the
rollup once more; ends accepted must equal CDRs stored. Disk per million CDRs is measured on the
partitions and the dedupe table, and projected to 100 million a day kept 180 days. Uses its own
database (connex_bench_volume, its CDR and call tables emptied first). Last line: one JSON object.
"""

import argparse
import asyncio
import bisect
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

# benchmarks/ holds scripts named like apps (invoicing.py, routing.py): the project comes first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DB = "connex_bench_volume"
TICK = os.sysconf("SC_CLK_TCK")


def arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=1200, help="calls per second, sustained")
    parser.add_argument("--burst-rate", type=float, default=5000, help="calls per second during a burst")
    parser.add_argument("--burst-seconds", type=float, default=10)
    parser.add_argument("--burst-every", type=float, default=60, help="a burst starts at every multiple")
    parser.add_argument("--seconds", type=float, default=300, help="how long the load is offered")
    parser.add_argument("--hold", type=float, default=5, help="seconds from a call's authorize to its end")
    parser.add_argument("--give-up", type=float, default=2.0,
                        help="an authorize not sent this many seconds after its time is dropped, as the switch "
                             "fails a call whose authorize times out (ends are never dropped)")
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections of the generator")
    parser.add_argument("--workers", type=int, default=2, help="web server processes (scripts/web.sh)")
    parser.add_argument("--drain-concurrency", type=int, default=2, help="Celery worker processes (Procfile: 2)")
    parser.add_argument("--rollup-every", type=float, default=None,
                        help="seconds between rollups (default: the PERIODIC_TASKS interval)")
    parser.add_argument("--idle-seconds", type=float, default=15, help="idle page loads before the load")
    parser.add_argument("--settle", type=float, default=300, help="most seconds to wait for the drain after")
    parser.add_argument("--pages", nargs=4, metavar=("PORT", "COOKIE", "CARD", "UNTIL"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def pct(values, q, scale=1.0, digits=1):
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * scale, digits)


# --- the browser-like client (its own process, so the generator's loop never delays it) -------------

def pages_client(port, cookie, card, until):
    """Loads the board and the card once a second until `until` (epoch); prints their timings."""
    import http.client

    timings, errors = {"board": [], "card": []}, []
    urls = {"board": "/customers/", "card": f"/customers/{card}/"}
    connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
    while time.time() < float(until):
        tick = time.monotonic()
        for name, url in urls.items():
            started = time.perf_counter()
            try:
                connection.request("GET", url, headers={"Cookie": f"sessionid={cookie}", "Accept": "text/html"})
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{url}: {exc!r}")
                connection.close()
                continue
            timings[name].append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                errors.append(f"{url}: HTTP {response.status}")
        time.sleep(max(0.0, 1 - (time.monotonic() - tick)))
    print(json.dumps({"timings": timings, "errors": errors[:5], "error_count": len(errors)}))


def pages_run(port, cookie, card, until):
    return subprocess.Popen([sys.executable, __file__, "--pages", str(port), cookie, str(card), repr(until)],
                            stdout=subprocess.PIPE, text=True)


def pages_result(process):
    out, _ = process.communicate(timeout=120)
    result = json.loads(out.strip().splitlines()[-1])
    if result["error_count"]:
        print(f"page errors: {result['error_count']}, first {result['errors']}")
    return result["timings"]


# --- CPU accounting ------------------------------------------------------------------------------

def _proc_cpu(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK, int(fields[1])
    except (OSError, IndexError, ValueError):
        return 0.0, None


def tree_pids(root):
    """`root` and its descendants."""
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            _, ppid = _proc_cpu(int(name))
            if ppid is not None:
                parents[int(name)] = ppid
    pids, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in pids]
        pids.update(children)
        frontier.extend(children)
    return pids


def cpu_seconds(pids):
    return {pid: _proc_cpu(pid)[0] for pid in pids}


def cpu_used(before, after):
    """CPU seconds used between two snapshots by the processes present in the second."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def machine_busy():
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# --- the stack -----------------------------------------------------------------------------------

def setup(customers):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from benchmarks.switch_api import world
    from customers.models import Customer
    from rates.models import RateCard
    from routing.cache import routing_changed
    from routing.models import IngressRoute
    from sipauth.models import IpAuthEntry
    from summaries.partitions import cdr_partitions_create_ahead

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE summaries_calldetailrecord, summaries_cdrcallid, summaries_hourlysummary, "
                       "summaries_dailysummary, summaries_pendingrolluphour, calls_callattempt, calls_livecall")
    first, key = world()
    card = RateCard.objects.get(name="Bench switch sell")
    ips = []
    for index in range(customers):
        if index == 0:
            customer, ip = first, "127.0.0.2"
        else:
            customer, _ = Customer.objects.get_or_create(name=f"Bench switch {index:04d}", defaults={"currency": "USD"})
            ip = f"10.77.{index // 250}.{index % 250 + 1}"
            IngressRoute.objects.get_or_create(customer=customer, rate_card=card, defaults={"max_duration": 3600})
            IpAuthEntry.objects.get_or_create(customer=customer, address=ip)
        ips.append(ip)
    Customer.objects.filter(name__startswith="Bench switch").update(
        channels=1_000_000, flow_speed=0, balance=10**9, debit_limit=0, status="active")
    routing_changed()
    cdr_partitions_create_ahead()
    user, _ = get_user_model().objects.get_or_create(username="volume-staff",
                                                     defaults={"is_staff": True, "is_superuser": True})
    browser = Client()
    browser.force_login(user)
    from django.conf import settings

    return first.pk, key, ips, browser.cookies[settings.SESSION_COOKIE_NAME].value


def celery_worker(env, concurrency, log):
    root = Path(__file__).resolve().parent.parent
    command = [str(root / ".venv/bin/celery"), "-A", "connex", "worker", "--loglevel", "WARNING",
               "--concurrency", str(concurrency), "--without-heartbeat", "--without-gossip", "--without-mingle"]
    return subprocess.Popen(command, cwd=root, env=env, start_new_session=True, stdout=log, stderr=log)


def worker_failures(log):
    """Drain and rollup runs that failed in the worker, and the first error line."""
    log.seek(0)
    lines = log.read().decode(errors="replace").splitlines()
    failed = [line for line in lines if "raised unexpected" in line]
    deadlocks = sum("deadlock detected" in line for line in lines)
    return len(failed), deadlocks, (failed[0][:300] if failed else "")


class Beat(threading.Thread):
    """What celery beat does for these two tasks: the drain every second, the rollup every `every` s."""

    def __init__(self, rollup_every):
        super().__init__(daemon=True)
        self.rollup_every, self.stop = rollup_every, threading.Event()
        self.drains = self.rollups = 0

    def run(self):
        from calls.tasks import call_events_drain_task
        from summaries.tasks import summary_rollup_pending_task

        began = next_rollup = time.monotonic()
        next_rollup += self.rollup_every
        second = 0
        while not self.stop.is_set():
            call_events_drain_task.delay()
            self.drains += 1
            if time.monotonic() >= next_rollup:
                summary_rollup_pending_task.delay()
                self.rollups += 1
                next_rollup += self.rollup_every
            second += 1
            self.stop.wait(max(0.0, began + second - time.monotonic()))


class Monitor(threading.Thread):
    """Samples every stage every 0.25 s (epoch times)."""

    def __init__(self, generator):
        super().__init__(daemon=True)
        self.generator, self.stop, self.samples = generator, threading.Event(), []

    def run(self):
        import psycopg
        import redis
        from django.conf import settings

        from calls import live

        client = live.live_redis()
        broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        stream = live.events_key()
        with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={DB}", autocommit=True) as db:
            while not self.stop.is_set():
                before = time.time()
                try:
                    info = client.xinfo_stream(stream)
                    length, added = info["length"], info.get("entries-added", 0)
                    first = info.get("first-entry")
                    entry = first[0].decode() if first and isinstance(first[0], bytes) else first and first[0]
                    oldest_ms = int(entry.split("-")[0]) if entry else before * 1000
                except redis.ResponseError:  # no stream yet
                    length, added, oldest_ms = 0, 0, before * 1000
                queued = broker.llen("celery")
                summarised = db.execute("SELECT coalesce(sum(attempts), 0) FROM summaries_hourlysummary").fetchone()[0]
                self.samples.append({"t": time.time(), "length": length, "added": added, "oldest_ms": oldest_ms,
                                     "celery": queued, "summarised": int(summarised),
                                     "backlog": len(self.generator.queue), "in_flight": self.generator.in_flight})
                self.stop.wait(0.25)


# --- the open-loop generator ---------------------------------------------------------------------

class Generator:
    def __init__(self, args, port, key, ips):
        self.args, self.port, self.key, self.ips = args, port, key, ips
        self.queue = deque()  # (due epoch, kind, call_id, body)
        self.ready = None  # asyncio.Event: the queue has work
        self.in_flight = 0
        self.ends_due = deque()  # (due epoch, call_id, body), in due order: the hold is constant
        self.offered = {"authorize": 0, "end": 0}
        self.done = {"authorize": [], "end": []}  # (due, sent, received)
        self.refused, self.errors, self.first_errors = 0, 0, []
        self.given_up = 0
        self.ends_accepted = []  # epoch of each end's answer
        self.run_id = f"vol{time.time_ns()}"
        self.rng = random.Random(7)

    def rate_at(self, since):
        every = self.args.burst_every
        if every and since >= every and since % every < self.args.burst_seconds:
            return self.args.burst_rate
        return self.args.rate

    def _push(self, item):
        self.queue.append(item)
        self.ready.set()

    async def schedule(self, began, stop_at):
        calls, next_due = 0, began
        while True:
            now = time.time()
            if now >= stop_at:
                break
            while next_due <= now and next_due < stop_at:
                call_id = f"{self.run_id}-{calls}"
                body = json.dumps({"call_id": call_id, "source_ip": self.ips[calls % len(self.ips)],
                                   "dialed": f"44791{self.rng.randrange(10**7):07d}", "cli": "442071234567",
                                   "switch_ip": "127.0.0.1"})
                self._push((next_due, "authorize", call_id, body))
                self.offered["authorize"] += 1
                calls += 1
                next_due += 1 / self.rate_at(next_due - began)
            while self.ends_due and self.ends_due[0][0] <= now:
                due, call_id, body = self.ends_due.popleft()
                self._push((due, "end", call_id, body))
                self.offered["end"] += 1
            await asyncio.sleep(0.002)

    async def connection(self, stop_at):
        reader = writer = None
        authorization = f"Authorization: Token {self.key}\r\n"
        while True:
            if not self.queue:
                if time.time() >= stop_at:
                    break
                self.ready.clear()
                try:
                    await asyncio.wait_for(self.ready.wait(), timeout=max(0.01, stop_at - time.time()))
                except TimeoutError:
                    pass
                continue
            if time.time() >= stop_at:
                break
            due, kind, call_id, body = self.queue.popleft()
            if kind == "authorize" and time.time() - due > self.args.give_up:
                self.given_up += 1
                continue
            path = "/api/v1/calls/authorize" if kind == "authorize" else f"/api/v1/calls/{call_id}/end"
            request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{authorization}Content-Type: application/json\r\n"
                       f"Content-Length: {len(body)}\r\n\r\n{body}").encode()
            self.in_flight += 1
            sent = time.time()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.write(request)
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=60)
                length, close = 0, False
                for line in head.split(b"\r\n"):
                    lower = line.lower()
                    if lower.startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                    elif lower.startswith(b"connection:") and b"close" in lower:
                        close = True
                payload = await reader.readexactly(length)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError) as exc:
                self.in_flight -= 1
                self._error(f"{kind}: {exc!r}")
                if writer is not None:
                    writer.close()
                reader = writer = None
                continue
            received = time.time()
            self.in_flight -= 1
            if close:
                writer.close()
                reader = writer = None
            if not head.startswith(b"HTTP/1.1 200"):
                status = head.split(b"\r\n")[0].decode()
                self._error(f"{kind}: {status} {payload[:200].decode(errors='replace')}")
                continue
            self.done[kind].append((due, sent, received))
            if kind == "authorize":
                if b'"allowed":true' not in payload:
                    self.refused += 1
                    if len(self.first_errors) < 3:
                        self.first_errors.append(f"refused: {payload[:200].decode(errors='replace')}")
                    continue
                answered = self.rng.random() < 0.6
                end = json.dumps({"duration": int(self.args.hold) if answered else 0,
                                  "sip_code": 200 if answered else 486})
                self.ends_due.append((received + self.args.hold, call_id, end))
            elif b'"status":"ended"' in payload:
                self.ends_accepted.append(received)
            else:
                self._error(f"end: {payload[:200].decode(errors='replace')}")
        if writer is not None:
            writer.close()

    def _error(self, text):
        self.errors += 1
        if len(self.first_errors) < 3:
            self.first_errors.append(text)

    async def run(self, began, stop_at):
        self.ready = asyncio.Event()
        await asyncio.gather(self.schedule(began, stop_at),
                             *(self.connection(stop_at) for _ in range(self.args.connections)))


# --- figures -------------------------------------------------------------------------------------

def stored_times(accepted, samples):
    """The first sample time at which each accepted end's stream entry was gone (None: never)."""
    times, oldest, high = [], [], 0
    for sample in samples:
        high = max(high, sample["oldest_ms"])
        times.append(sample["t"])
        oldest.append(high)
    result = []
    for at in accepted:
        index = bisect.bisect_right(oldest, at * 1000)
        result.append(times[index] if index < len(times) else None)
    return result


def rollup_lags(stored, samples):
    """At each sample, the age of the oldest stored CDR not yet in the summaries (0 when none)."""
    stored = sorted(t for t in stored if t is not None)
    lags = []
    for sample in samples:
        count = bisect.bisect_right(stored, sample["t"])
        missing = sample["summarised"]
        lags.append(sample["t"] - stored[missing] if missing < count else 0.0)
    return lags


def phase_rates(done, began, args):
    """Completed requests per second, in sustained seconds and in burst seconds."""
    per_second = {}
    for _, _, received in done:
        second = int(received - began)
        if 0 <= second < int(args.seconds):
            per_second[second] = per_second.get(second, 0) + 1
    gen = Generator.__new__(Generator)
    gen.args = args
    burst = [s for s in range(int(args.seconds)) if gen.rate_at(s + 0.5) != args.rate]
    steady = [s for s in range(int(args.seconds)) if s not in set(burst)]
    average = {name: round(sum(per_second.get(s, 0) for s in seconds) / len(seconds), 1) if seconds else None
               for name, seconds in (("steady", steady), ("burst", burst))}
    return average, max(per_second.values(), default=0)


def main():
    args = arguments()
    if args.pages:
        pages_client(*args.pages)
        return

    import benchmarks.switch_api as switch
    from benchmarks._setup import django_setup

    # The session cookie handed to the page client must be signed with the server's key.
    os.environ["SECRET_KEY"] = switch.server_env(DB)["SECRET_KEY"]
    django_setup(DB)
    from django.conf import settings
    from django.db import connection

    from calls.events import CLAIM_IDLE_MS, call_events_drain
    from calls.live import live_redis

    def sql(statement):
        with connection.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchone()[0]

    def disk():
        """Bytes of the CDR partitions with their indexes and the dedupe table; of the call attempts."""
        cdrs = sql("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_inherits i JOIN pg_class c "
                   "ON c.oid = i.inhrelid WHERE i.inhparent = 'summaries_calldetailrecord'::regclass")
        return int(cdrs) + sql("SELECT pg_total_relation_size('summaries_cdrcallid')"), \
            sql("SELECT pg_total_relation_size('calls_callattempt')")

    card, key, ips, cookie = setup(args.customers)
    rollup_every = args.rollup_every or settings.PERIODIC_TASKS["summaries-rollup-pending"]["every_seconds"]
    while call_events_drain(consumer="volume-setup"):  # an earlier run's leftovers
        pass
    connection.close()
    disk_before = disk()
    env = switch.server_env(DB)
    port = switch.free_port()
    server = switch.web_server(port, env, workers=args.workers)
    worker_log = tempfile.TemporaryFile()
    worker = celery_worker(env, args.drain_concurrency, worker_log)
    beat = Beat(rollup_every)
    beat.start()
    generator = Generator(args, port, key, ips)
    monitor = Monitor(generator)
    load = os.getloadavg()
    try:
        # Every web server process loads its routing cache and templates before anything is measured.
        switch.load(port, "/api/v1/calls/authorize", key, 3, "warm")
        pages_result(pages_run(port, cookie, card, time.time() + 3))
        # Idle baseline: the same pages, the same stack, no calls; what the pages cost the server.
        idle_cpu = cpu_seconds(tree_pids(server.pid))
        pages = pages_run(port, cookie, card, time.time() + args.idle_seconds)
        idle = pages_result(pages)
        idle_cpu = cpu_used(idle_cpu, cpu_seconds(tree_pids(server.pid)))
        time.sleep(1)
        began = time.time() + 1
        stop_at = began + args.seconds
        pages = pages_run(port, cookie, card, stop_at)
        monitor.start()
        server_pids, worker_pids = tree_pids(server.pid), tree_pids(worker.pid)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [DB])
            pg_pids = {row[0] for row in cursor.fetchall()}
        cpu_before = {name: cpu_seconds(pids) for name, pids in
                      (("server", server_pids), ("worker", worker_pids), ("postgres", pg_pids))}
        busy_before, gen_before = machine_busy(), time.process_time()
        redis_before = live_redis().info("cpu")
        time.sleep(max(0.0, began - time.time()))
        asyncio.run(generator.run(began, stop_at))
        wall = time.time() - began
        load_during = os.getloadavg()
        gen_cpu = time.process_time() - gen_before
        busy_after = machine_busy()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [DB])
            pg_pids |= {row[0] for row in cursor.fetchall()}
        cpu = {name: round(cpu_used(cpu_before[name], cpu_seconds(pids)), 1) for name, pids in
               (("server", tree_pids(server.pid)), ("worker", tree_pids(worker.pid)), ("postgres", pg_pids))}
        redis_after = live_redis().info("cpu")
        cpu["redis_shared"] = round(sum(redis_after[k] - redis_before[k] for k in ("used_cpu_sys", "used_cpu_user")), 1)
        cpu["generator"] = round(gen_cpu, 1)
        loaded = pages_result(pages)
        # Settle: the drain runs on until the stream is empty, then the rollup once more.
        settle_began = time.time()
        while time.time() - settle_began < args.settle:
            if not monitor.is_alive():
                break
            sample = monitor.samples[-1]
            if sample["length"] == 0 and sample["celery"] == 0 and sample["t"] > settle_began + 2:
                break
            time.sleep(0.5)
        settle = time.time() - settle_began
        from summaries.tasks import summary_rollup_pending_task

        summary_rollup_pending_task.delay().get(timeout=max(60.0, args.settle))
        time.sleep(0.6)
    finally:
        monitor.stop.set()
        beat.stop.set()
        beat.join(timeout=5)
        monitor.join(timeout=5)
        for process in (worker, server):
            os.killpg(process.pid, signal.SIGTERM)
        for process in (worker, server):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    stored_count = sql("SELECT count(*) FROM summaries_calldetailrecord")
    summarised = int(sql("SELECT coalesce(sum(attempts), 0) FROM summaries_hourlysummary"))
    size, attempts_size = disk()
    attempts_count = sql("SELECT count(*) FROM calls_callattempt")
    # Growth from the emptied tables, so the pages every empty partition and index has do not count.
    per_million = (size - disk_before[0]) / stored_count * 1e6 if stored_count else 0
    attempts_per_million = (attempts_size - disk_before[1]) / attempts_count * 1e6 if attempts_count else 0

    failed_tasks, deadlocks, first_failure = worker_failures(worker_log)
    samples = monitor.samples
    accepted = generator.ends_accepted
    stored_at = stored_times(accepted, samples)
    lags = [s - a for a, s in zip(accepted, stored_at, strict=True) if s is not None]
    load_samples = [s for s in samples if began <= s["t"] <= stop_at]
    rollup = rollup_lags(stored_at, [s for s in samples if s["t"] >= began])
    offered_calls = generator.offered["authorize"]
    offered_requests = offered_calls + generator.offered["end"]
    done = {kind: generator.done[kind] for kind in ("authorize", "end")}
    completed = len(done["authorize"]) + len(done["end"])
    auth_rates, auth_peak = phase_rates(done["authorize"], began, args)
    end_rates, _ = phase_rates(done["end"], began, args)
    latency = {kind: [received - due for due, _, received in rows] for kind, rows in done.items()}
    service = {kind: [received - sent for _, sent, received in rows] for kind, rows in done.items()}
    unsent = {"authorize": sum(1 for item in generator.queue if item[1] == "authorize"),
              "end": sum(1 for item in generator.queue if item[1] == "end") + len(generator.ends_due)}
    busy = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
    cores = os.cpu_count()

    # Stream: what the API appended vs what the drain took, during the load.
    if load_samples:
        first, last = load_samples[0], load_samples[-1]
        span = max(1e-6, last["t"] - first["t"])
        inflow = (last["added"] - first["added"]) / span
        drained = ((last["added"] - last["length"]) - (first["added"] - first["length"])) / span
    else:
        inflow = drained = 0.0
    stream_max = max((s["length"] for s in load_samples), default=0)
    stream_end = load_samples[-1]["length"] if load_samples else 0
    celery_max = max((s["celery"] for s in load_samples), default=0)
    backlog_max = max((s["backlog"] for s in load_samples), default=0)

    offered_rate = offered_requests / args.seconds
    page_cpu = idle_cpu / max(1, len(idle["board"]))
    api_cpu = max(0.0, cpu["server"] - page_cpu * len(loaded["board"]))
    achieved_rate = completed / wall
    results = {
        "benchmark": "volume", "seconds": args.seconds, "rate": args.rate, "burst_rate": args.burst_rate,
        "burst_seconds": args.burst_seconds, "burst_every": args.burst_every, "hold_s": args.hold,
        "customers": args.customers, "connections": args.connections, "server_workers": args.workers,
        "drain_concurrency": args.drain_concurrency, "rollup_every_s": rollup_every,
        "cores": cores, "load_avg_before": [round(v, 2) for v in load], "load_avg_end": [round(v, 2) for v in load_during],
        "calls_offered": offered_calls, "calls_authorized": len(done["authorize"]) - generator.refused,
        "refused": generator.refused, "authorize_given_up": generator.given_up, "errors": generator.errors, "first_errors": generator.first_errors,
        "requests_offered_per_s": round(offered_rate, 1), "requests_achieved_per_s": round(achieved_rate, 1),
        "achieved_vs_offered": round(achieved_rate / offered_rate, 3) if offered_rate else None,
        "authorize_per_s_steady": auth_rates["steady"], "authorize_per_s_burst": auth_rates["burst"],
        "authorize_per_s_peak_second": auth_peak, "end_per_s_steady": end_rates["steady"],
        "end_per_s_burst": end_rates["burst"], "unsent_at_stop": unsent,
        "client_backlog_max": backlog_max,
        "authorize_ms_p50": pct(latency["authorize"], 0.5, 1000), "authorize_ms_p99": pct(latency["authorize"], 0.99, 1000),
        "authorize_service_ms_p50": pct(service["authorize"], 0.5, 1000),
        "end_ms_p50": pct(latency["end"], 0.5, 1000), "end_ms_p99": pct(latency["end"], 0.99, 1000),
        "ends_accepted": len(accepted), "cdrs_stored": stored_count, "equal": len(accepted) == stored_count,
        "cdrs_summarised": summarised, "settle_s": round(settle, 1),
        "lag_end_to_stored_ms_p50": pct(lags, 0.5, 1000, 0), "lag_end_to_stored_ms_p99": pct(lags, 0.99, 1000, 0),
        "ends_seen_stored": len(lags),
        "rollup_lag_s_p50": pct(rollup, 0.5), "rollup_lag_s_p99": pct(rollup, 0.99),
        "rollup_lag_s_max": pct(rollup, 1.0), "rollups_sent": beat.rollups + 1,
        "worker_tasks_failed": failed_tasks, "worker_deadlocks": deadlocks, "worker_first_failure": first_failure,
        "stream_in_per_s": round(inflow, 1), "stream_drained_per_s": round(drained, 1),
        "stream_backlog_max": stream_max, "stream_backlog_at_stop": stream_end, "drain_tasks_waiting_max": celery_max,
        "cpu_cores_server": round(cpu["server"] / wall, 2), "cpu_cores_generator": round(cpu["generator"] / wall, 2),
        "cpu_cores_drain_worker": round(cpu["worker"] / wall, 2),
        "cpu_cores_postgres": round(cpu["postgres"] / wall, 2),
        "cpu_cores_redis_shared": round(cpu["redis_shared"] / wall, 2),
        "machine_busy": round(busy, 3),
        # CPU per API request (the pages' share, measured idle, taken out): what a machine with the
        # cores to itself could carry.
        "server_cpu_ms_per_request": round(api_cpu * 1000 / completed, 2) if completed else None,
        "server_cpu_ms_per_page_pair_idle": round(page_cpu * 1000, 1),
        "drain_cpu_ms_per_event": round((cpu["worker"] + cpu["postgres"]) * 1000 / (drained * wall), 3)
        if drained else None,
        "board_p95_idle_ms": pct(idle["board"], 0.95), "board_p95_load_ms": pct(loaded["board"], 0.95),
        "card_p95_idle_ms": pct(idle["card"], 0.95), "card_p95_load_ms": pct(loaded["card"], 0.95),
        "page_loads_idle": len(idle["board"]), "page_loads_load": len(loaded["board"]),
        "disk_bytes_per_million_cdrs": round(per_million),
        "attempt_bytes_per_million": round(attempts_per_million),
        "projection_per_day_gb": round(per_million * 100 / 1e9, 1),
        "projection_100m_day_180d_tb": round(per_million * 100 * 180 / 1e12, 1),
    }
    for name in ("board", "card"):
        idle_p95, load_p95 = results[f"{name}_p95_idle_ms"], results[f"{name}_p95_load_ms"]
        results[f"{name}_load_vs_idle"] = round(load_p95 / idle_p95, 2) if idle_p95 and load_p95 else None

    # Where it saturates: the first stage that did not keep up, and who had the CPU.
    verdict = []
    if results["achieved_vs_offered"] is not None and results["achieved_vs_offered"] < 0.95:
        who = ("the generator (its own core is full)" if results["cpu_cores_generator"] > 0.85
               else "the server")
        verdict.append(
            f"HTTP: {achieved_rate:,.0f} of {offered_rate:,.0f} requests/s offered answered "
            f"({results['achieved_vs_offered']:.0%}); client backlog up to {backlog_max:,} requests, "
            f"{generator.given_up:,} authorizes given up; bound by {who}: "
            f"web server {results['cpu_cores_server']} cores, generator {results['cpu_cores_generator']}, "
            f"drain {results['cpu_cores_drain_worker']}, postgres {results['cpu_cores_postgres']}, "
            f"redis {results['cpu_cores_redis_shared']} of {cores}; machine {busy:.0%} busy, load {load_during[0]:.1f}")
    if stream_end > max(5000, inflow * 3):
        verdict.append(f"Redis event stream: {inflow:,.0f} events/s in, {drained:,.0f}/s drained, "
                       f"{stream_end:,} waiting at the end of the load (max {stream_max:,}); "
                       f"{celery_max} drain tasks queued at most")
    if failed_tasks:
        verdict.append(f"drain worker: {failed_tasks} task runs failed ({deadlocks} deadlocks between concurrent "
                       f"drains); a failed batch waits {CLAIM_IDLE_MS / 1000:.0f} s to be claimed again, which is the lag's tail: "
                       f"{first_failure}")
    if celery_max > 3:
        verdict.append(f"drain worker: up to {celery_max} drain tasks waiting in Celery (each drain takes longer "
                       f"than the second between them)")
    if results["rollup_lag_s_max"] and results["rollup_lag_s_max"] > rollup_every * 2:
        verdict.append(f"rollup: lag up to {results['rollup_lag_s_max']} s with a run every {rollup_every} s")
    verdict = verdict or ["none: every stage kept up"]
    if results["server_cpu_ms_per_request"]:
        per_core = 1000 / results["server_cpu_ms_per_request"]
        verdict.append(f"capacity: the web server spends {results['server_cpu_ms_per_request']} ms CPU a request, "
                       f"about {per_core:,.0f} requests/s ({per_core / 2:,.0f} calls/s) per core it has to itself; "
                       f"the offer needs {offered_rate / per_core:.1f} such cores")
    results["saturation"] = verdict

    print(f"load average {load[0]:.2f} before, {load_during[0]:.2f} at the end of the load, {cores} cores")
    print(f"offered {offered_calls:,} calls ({offered_rate:,.0f} requests/s), answered {completed:,} requests "
          f"({achieved_rate:,.0f}/s, {results['achieved_vs_offered']}); authorize/s steady "
          f"{auth_rates['steady']}, burst {auth_rates['burst']}; {generator.given_up:,} authorizes given up after "
          f"{args.give_up} s in the client's queue; unsent at stop {unsent}")
    print(f"latency from schedule: authorize p50 {results['authorize_ms_p50']} ms p99 {results['authorize_ms_p99']} ms "
          f"(service p50 {results['authorize_service_ms_p50']} ms); end p50 {results['end_ms_p50']} ms")
    print(f"{len(accepted):,} ends accepted, {stored_count:,} CDRs stored (equal: {results['equal']}), "
          f"{summarised:,} summarised; lag end → stored p50 {results['lag_end_to_stored_ms_p50']} ms, "
          f"p99 {results['lag_end_to_stored_ms_p99']} ms; rollup lag p50 {results['rollup_lag_s_p50']} s, "
          f"max {results['rollup_lag_s_max']} s (every {rollup_every} s)")
    print(f"stream {inflow:,.0f} events/s in, {drained:,.0f}/s drained, backlog max {stream_max:,}; "
          f"CPU cores: web server {results['cpu_cores_server']}, generator {results['cpu_cores_generator']}, "
          f"drain {results['cpu_cores_drain_worker']}, postgres {results['cpu_cores_postgres']}, "
          f"redis (shared) {results['cpu_cores_redis_shared']}; machine {busy:.0%} busy")
    print(f"board p95 {results['board_p95_load_ms']} ms under load vs {results['board_p95_idle_ms']} ms idle "
          f"({results['board_load_vs_idle']}×); card p95 {results['card_p95_load_ms']} ms vs "
          f"{results['card_p95_idle_ms']} ms ({results['card_load_vs_idle']}×)")
    print(f"disk {per_million / 1e6:.0f} MB per million CDRs (partitions with indexes + dedupe rows), "
          f"call attempts {attempts_per_million / 1e6:.0f} MB per million; 100 M/day: "
          f"{results['projection_per_day_gb']} GB a day, {results['projection_100m_day_180d_tb']} TB for 180 days")
    for line in results["saturation"]:
        print(f"saturation: {line}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
