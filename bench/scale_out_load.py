#!/usr/bin/env python3
"""Steady load of orders for bench/scale_out.sh, as clients of the API are meant to send them.

Each worker is one client connection (through the load balancer): it sends PUT /buy_order with a
fresh idempotency key, and when a request fails (no answer, a 5xx, a 429) it sends the same key
again after a short pause, until the order is answered 200 (bounded in attempts and time). Workers
share a paced rate. Readers GET /buy_orders alongside. Every answered order (client, key, order id)
is written to --out as CSV; a summary JSON object is the last line of stdout, and a timeline of
orders and failed attempts per 5 s goes to stderr. SIGTERM ends the load early: each worker finishes
the order it is sending (bounded as above), then the summary is written as at the end.

  bench/scale_out_load.py --create-url http://127.0.0.1:P --fetch-url http://127.0.0.1:Q \
      --keys KEYS.tsv --seconds 70 --rate 300 --out answers.csv

KEYS.tsv: one "client<TAB>api key" per line. Only loopback URLs are accepted.
"""

import argparse
import collections
import csv
import http.client
import json
import signal
import sys
import threading
import time
import urllib.parse
import uuid

RETRY_STATUSES = {429} | set(range(500, 600))
ATTEMPTS_PER_ORDER = 400
SECONDS_PER_ORDER = 90


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.answers = []
        self.unexpected = []
        self.gave_up = 0
        self.retries = 0
        self.failures = collections.Counter()
        self.reads = 0
        self.read_failures = collections.Counter()
        self.timeline = collections.defaultdict(lambda: [0, 0])
        self.stopping = threading.Event()

    def running(self, deadline):
        return time.monotonic() < deadline and not self.stopping.is_set()

    def answered(self, client, key, order_id, second):
        with self.lock:
            self.answers.append((client, key, order_id))
            self.timeline[second // 5][0] += 1

    def retried(self, reason, second):
        with self.lock:
            self.retries += 1
            self.failures[reason] += 1
            self.timeline[second // 5][1] += 1


def loopback(url):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"scale_out_load: {url} is not an http URL on loopback")
    return parts.hostname, parts.port


class Connection:
    """One kept-alive HTTP connection, opened again after any failure."""

    def __init__(self, address):
        self.address = address
        self.conn = None

    def request(self, method, path, headers, body=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(*self.address, timeout=10)
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise


def order_worker(address, client, token, interval, start, deadline, stats):
    connection = Connection(address)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    while stats.running(deadline):
        sent_at = time.monotonic()
        key = str(uuid.uuid4())
        body = json.dumps({"currency": "USD", "amount": "10.00", "idempotence_key": key})
        given_up_at = time.monotonic() + SECONDS_PER_ORDER
        pause = 0.05
        for _ in range(ATTEMPTS_PER_ORDER):
            second = int(time.monotonic() - start)
            try:
                status, payload = connection.request("PUT", "/buy_order", headers, body)
            except (OSError, http.client.HTTPException) as error:
                stats.retried(type(error).__name__, second)
            else:
                if status == 200:
                    stats.answered(client, key, json.loads(payload)["buy_order"]["id"], second)
                    break
                if status not in RETRY_STATUSES:
                    with stats.lock:
                        stats.unexpected.append(f"{status} {payload[:200]!r}")
                    break
                stats.retried(str(status), second)
            if time.monotonic() > given_up_at:
                with stats.lock:
                    stats.gave_up += 1
                break
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
        else:
            with stats.lock:
                stats.gave_up += 1
        # Paced, and never catching up after an outage with a burst.
        stats.stopping.wait(max(0.0, sent_at + interval - time.monotonic()))


def read_worker(address, token, deadline, stats):
    connection = Connection(address)
    headers = {"Authorization": f"Bearer {token}"}
    while stats.running(deadline):
        try:
            status, _ = connection.request("GET", "/buy_orders?page_size=10", headers)
            reason = None if status == 200 else str(status)
        except (OSError, http.client.HTTPException) as error:
            reason = type(error).__name__
        with stats.lock:
            stats.reads += 1
            if reason:
                stats.read_failures[reason] += 1
        time.sleep(0.02)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--create-url", required=True)
    parser.add_argument("--fetch-url", required=True)
    parser.add_argument("--keys", required=True)
    parser.add_argument("--seconds", type=float, default=70)
    parser.add_argument("--rate", type=float, default=300, help="orders per second over all workers")
    parser.add_argument("--workers-per-client", type=int, default=4)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    create, fetch = loopback(args.create_url), loopback(args.fetch_url)
    with open(args.keys) as keys:
        clients = [line.rstrip("\n").split("\t") for line in keys if line.strip()]
    workers = len(clients) * args.workers_per_client
    interval = workers / args.rate
    stats = Stats()
    signal.signal(signal.SIGTERM, lambda *_: stats.stopping.set())
    start = time.monotonic()
    deadline = start + args.seconds
    threads = [
        threading.Thread(target=order_worker, args=(create, client, token, interval, start, deadline, stats), daemon=True)
        for client, token in clients
        for _ in range(args.workers_per_client)
    ]
    threads += [
        threading.Thread(target=read_worker, args=(fetch, clients[i % len(clients)][1], deadline, stats), daemon=True)
        for i in range(args.readers)
    ]
    for thread in threads:
        thread.start()
    # Bounded: the load, then at most the time one order may take.
    for thread in threads:
        thread.join(timeout=max(0.0, deadline + SECONDS_PER_ORDER + 15 - time.monotonic()))
    stuck = sum(thread.is_alive() for thread in threads)
    elapsed = time.monotonic() - start
    with stats.lock:
        with open(args.out, "w", newline="") as out:
            csv.writer(out).writerows(stats.answers)
        for slot in sorted(stats.timeline):
            done, failed = stats.timeline[slot]
            print(f"  t={slot * 5:>3}-{slot * 5 + 5:<3}s  {done / 5:7.1f} orders/s answered, {failed:5d} failed attempts",
                  file=sys.stderr)
        summary = {
            "orders": len(stats.answers), "seconds": round(elapsed, 1), "retries": stats.retries,
            "failures": dict(stats.failures), "gave_up": stats.gave_up, "unexpected": stats.unexpected[:5],
            "unexpected_count": len(stats.unexpected), "reads": stats.reads, "read_failures": dict(stats.read_failures),
            "stuck_threads": stuck,
        }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
