"""Live limits: reserve + release of a call against three scopes, against a bare INCR/DECR pair.

Both run in the same process against the same Redis (REDIS_URL), serially and from 4 threads.
A reserve + release is two round trips running a Lua script each, exactly like INCR + DECR, so
the ratio shows what the scripts cost over the cheapest possible counter.
"""

import json
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connex.settings")

import django  # noqa: E402

django.setup()

from calls import live  # noqa: E402
from calls.live import Scope, live_redis, live_release, live_reserve  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
THREADS = 4


def run_for(operation, threads):
    deadline = time.perf_counter() + SECONDS

    def worker(number):
        done = 0
        while time.perf_counter() < deadline:
            operation(number, done)
            done += 1
        return done

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        total = sum(pool.map(worker, range(threads)))
    return total / (time.perf_counter() - started)


def main():
    live.PREFIX = f"live-bench-{uuid.uuid4().hex[:8]}"
    client = live_redis()
    counter = f"{live.PREFIX}:bare"
    scopes = [Scope("customer:1", channels=1_000_000, cps=10_000_000), Scope("route:1", channels=500_000),
              Scope("ip:1")]

    def bare(worker, number):
        client.incr(counter)
        client.decr(counter)

    def reserve_release(worker, number):
        call_id = f"{worker}-{number}"
        if not live_reserve(call_id=call_id, scopes=scopes, ttl=3600).allowed:
            raise SystemExit("benchmark call refused")
        live_release(call_id=call_id)

    figures = {}
    try:
        for threads in (1, THREADS):
            base = run_for(bare, threads)
            ours = run_for(reserve_release, threads)
            figures[f"bare_incr_decr_per_s_{threads}t"] = round(base)
            figures[f"reserve_release_per_s_{threads}t"] = round(ours)
            figures[f"ratio_{threads}t"] = round(ours / base, 3)
            print(f"{threads} thread(s): INCR+DECR {base:,.0f}/s, reserve+release (3 scopes) {ours:,.0f}/s, "
                  f"ratio {ours / base:.2f}")
        leaked = live.live_channels_in_use("customer:1")
        figures["channels_left_after_run"] = leaked
        print(f"channels left in use after the run: {leaked}")
    finally:
        keys = list(client.scan_iter(match=f"{live.PREFIX}:*", count=1000))
        if keys:
            client.delete(*keys)
    print(json.dumps({"benchmark": "live_limits", "seconds": SECONDS, **figures}))


if __name__ == "__main__":
    main()
