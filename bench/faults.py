#!/usr/bin/env python3
"""Fault campaign: `ban serve` killed (SIGKILL) at random moments while clients publish BAL
files of several communes, restarted, and the store's invariants checked after each restart:

- one current revision per commune at most, and it is the last one published;
- every published revision has its consolidation job; no job stays pending or running once
  the restarted server has worked (nothing pending forever), none failed;
- the base holds, for every commune with a current revision, that revision (once the jobs
  are done): the base is the consolidation of the current revisions;
- the change feed has no gap (seq 1..N).

Prints, per round, the time from restart to all jobs done (the recovery), and a summary.
Usage: bench/faults.sh [ROUNDS] (this script is run by it, with BAN, BAL_DIR and WORK set).
"""
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

BAN = os.environ["BAN"]
BAL_DIR = os.environ["BAL_DIR"]
WORK = os.environ["WORK"]
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 100
COMMUNES = int(os.environ.get("COMMUNES", "8"))
SEED = int(os.environ.get("SEED", "1"))
DB = os.path.join(WORK, "ban.db")
ENV = dict(os.environ, DATABASE_URL=f"sqlite://{DB}", RUST_LOG="warn", RATE_LIMIT_PER_IP="0",
           RATE_LIMIT_PER_TOKEN="0", CONSOLIDATOR_LEASE_SECS="5")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start():
    port = free_port()
    started = time.monotonic()
    server = subprocess.Popen([BAN, "serve", "--listen", f"127.0.0.1:{port}"], env=ENV,
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(WORK, "serve.log"), "ab"))
    base = f"http://127.0.0.1:{port}"
    while time.monotonic() - started < 60:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return server, base, started
        except OSError:
            time.sleep(0.05)
    raise SystemExit("ban serve did not start")


def call(method, url, token, body=None, content_type="application/json"):
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Authorization": f"Token {token}", "Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"null")


def publish_forever(base, token, files, stop):
    rng = random.Random()
    while not stop.is_set():
        code, path = rng.choice(files)
        try:
            revision = call("POST", f"{base}/api-depot/communes/{code}/revisions", token, {"context": {}})
            rid = revision["id"]
            with open(path, "rb") as f:
                call("PUT", f"{base}/api-depot/revisions/{rid}/files/bal", token, f.read(), "text/csv")
            call("POST", f"{base}/api-depot/revisions/{rid}/compute", token, {})
            call("POST", f"{base}/api-depot/revisions/{rid}/publish", token, {})
        except (OSError, urllib.error.HTTPError, KeyError, json.JSONDecodeError):
            if stop.is_set():
                return
            time.sleep(0.01)


def jobs_done(db):
    waiting = db.execute("SELECT count(*) FROM jobs WHERE status IN ('pending', 'running')").fetchone()[0]
    return waiting == 0


def check(db, final):
    problems = []
    for code, n in db.execute(
            "SELECT code_commune, count(*) FROM revisions WHERE is_current = 1 GROUP BY 1 HAVING count(*) > 1"):
        problems.append(f"{code}: {n} current revisions")
    for code, current, latest in db.execute(
            """SELECT c.code_commune, c.id, (SELECT id FROM revisions p WHERE p.code_commune = c.code_commune
                 AND p.status = 'published' ORDER BY p.published_at DESC, p.id DESC LIMIT 1)
               FROM revisions c WHERE c.is_current = 1"""):
        if current != latest:
            problems.append(f"{code}: current {current} is not the last published {latest}")
    missing = db.execute("""SELECT count(*) FROM revisions r WHERE r.status = 'published'
                            AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.revision_id = r.id)""").fetchone()[0]
    if missing:
        problems.append(f"{missing} published revisions without a job")
    count, low, high = db.execute("SELECT count(*), min(seq), max(seq) FROM changes").fetchone()
    if count and (low != 1 or high != count):
        problems.append(f"the feed has a gap: {count} changes, seq {low}..{high}")
    if final:
        failed = db.execute("SELECT count(*) FROM jobs WHERE status = 'failed'").fetchone()[0]
        if failed:
            problems.append(f"{failed} jobs failed")
        for code, current, in_base in db.execute(
                """SELECT r.code_commune, r.id, b.revision_id FROM revisions r
                   LEFT JOIN base_communes b ON b.code = r.code_commune WHERE r.is_current = 1"""):
            if current != in_base:
                problems.append(f"{code}: the base holds {in_base}, the current revision is {current}")
    return problems


def main():
    rng = random.Random(SEED)
    # The shared set has one folder per département, one file per commune (CODE.csv).
    files = sorted((name[:-4], os.path.join(folder, name))
                   for folder, _, names in os.walk(BAL_DIR) for name in names if name.endswith(".csv"))
    # Files the depot accepts (the set has files with defects on purpose).
    files = [(code, path) for code, path in files
             if subprocess.run([BAN, "validate", path], capture_output=True).returncode == 0]
    files = rng.sample(files, min(COMMUNES, len(files)))
    token = subprocess.run([BAN, "client", "create", "--name", "Fault campaign", "--internal"], env=ENV,
                           check=True, capture_output=True, text=True).stdout.strip()
    recoveries, problems_seen = [], 0
    for round_ in range(1, ROUNDS + 1):
        server, base, started = start()
        db = sqlite3.connect(DB, timeout=30)
        # The jobs the killed server left are done before new publications pile up on them.
        while not jobs_done(db):
            time.sleep(0.05)
        recoveries.append(time.monotonic() - started)
        stop = threading.Event()
        clients = [threading.Thread(target=publish_forever, args=(base, token, files, stop)) for _ in range(2)]
        for client in clients:
            client.start()
        time.sleep(rng.uniform(0.3, 4.0))
        server.send_signal(signal.SIGKILL)
        server.wait()
        stop.set()
        for client in clients:
            client.join()
        problems = check(db, final=False)
        db.close()
        problems_seen += len(problems)
        published = sqlite3.connect(DB).execute("SELECT count(*) FROM revisions WHERE status = 'published'").fetchone()[0]
        print(f"round {round_}: recovered in {recoveries[-1]:.2f} s, {published} published"
              + "".join(f"\n  PROBLEM {p}" for p in problems), flush=True)
    server, base, started = start()
    db = sqlite3.connect(DB, timeout=30)
    while not jobs_done(db):
        time.sleep(0.05)
    final = check(db, final=True)
    server.send_signal(signal.SIGTERM)
    server.wait()
    recoveries.sort()
    print(f"{ROUNDS} kills; recovery (restart to every job done): median {recoveries[len(recoveries) // 2]:.2f} s, "
          f"max {recoveries[-1]:.2f} s; problems during the rounds: {problems_seen}; at the end: {len(final)}"
          + "".join(f"\n  PROBLEM {p}" for p in final))
    sys.exit(1 if problems_seen or final else 0)


if __name__ == "__main__":
    main()
