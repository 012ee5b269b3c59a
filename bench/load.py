"""A mixed load on one `ban serve` for a fixed time, with its memory sampled (see load.sh).

Threads, each a kind of user, all at once:
- publishers: a real commune's file, created, uploaded, computed and published again and again;
- hostile uploaders: a file of hundreds of thousands of empty rows, uploaded, computed, and its
  every finding read (`/files/bal/findings`);
- searchers: the queries of the shared small set, on /search/;
- feed readers: Server-Sent Events of /api/changes, read as they come.

Prints one JSON object: the answers per kind and status, the server's peak resident memory
(VmHWM of /proc/PID/status: the kernel's own peak, nothing missed between samples) and its
memory at the end, the rows the feed readers received, and the slowest /healthz answer during
the load.
"""
import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter

from depot_client import call

base, token, pid, seconds, sample, hostile, queries_path = sys.argv[1:8]
seconds = float(seconds)
publishers, hostiles, searchers, readers = (int(n) for n in sys.argv[8:12])
sample_code = "54084"
sample_bytes = open(sample, "rb").read()
hostile_bytes = open(hostile, "rb").read()
queries = [line.split("\t")[0] for line in open(queries_path, encoding="utf-8").read().splitlines()[1:]]

deadline = time.monotonic() + seconds
answers = Counter()
lock = threading.Lock()
feed_rows = Counter()
healthz_worst = [0.0]


def count(kind, status):
    with lock:
        answers[f"{kind} {status}"] += 1


def request(kind, method, url, body=None, content_type="application/json", auth=True):
    """One request; its status counted under `kind`; the JSON answer, or None on an error status."""
    try:
        answer = call(method, url, token if auth else None, body, content_type)
        count(kind, 200)
        return answer or {}
    except urllib.error.HTTPError as error:
        count(kind, error.code)
        error.read()
        return None
    except OSError as error:
        count(kind, type(error).__name__)
        return None


def computed(kind, contents):
    """A draft of the sample commune with `contents` uploaded and computed: its id, or None."""
    revision = request(kind, "POST", f"{base}/api-depot/communes/{sample_code}/revisions",
                       {"context": {"nomComplet": kind, "organisation": "Charge"}})
    if revision is None:
        time.sleep(0.2)
        return None
    rid = revision["id"]
    if request(kind, "PUT", f"{base}/api-depot/revisions/{rid}/files/bal", contents, "text/csv") is None:
        return None
    if request(kind, "POST", f"{base}/api-depot/revisions/{rid}/compute") is None:
        return None
    return rid


def publisher():
    while time.monotonic() < deadline:
        rid = computed("publish", sample_bytes)
        if rid is not None:
            request("publish", "POST", f"{base}/api-depot/revisions/{rid}/publish", {})


def hostile_uploader():
    while time.monotonic() < deadline:
        rid = computed("hostile", hostile_bytes)
        if rid is None:
            continue
        # Every finding of the file, streamed (about 3.5 million lines).
        findings = urllib.request.Request(f"{base}/api-depot/revisions/{rid}/files/bal/findings",
                                          headers={"Authorization": f"Token {token}"})
        try:
            with urllib.request.urlopen(findings, timeout=600) as answer:
                lines = sum(chunk.count(b"\n") for chunk in iter(lambda: answer.read(1 << 16), b""))
                count("findings", answer.status)
                with lock:
                    feed_rows["findings lines"] += lines
        except urllib.error.HTTPError as error:
            count("findings", error.code)
        except OSError as error:
            count("findings", type(error).__name__)


def searcher(offset):
    i = offset
    while time.monotonic() < deadline:
        q = urllib.parse.quote(queries[i % len(queries)])
        request("search", "GET", f"{base}/search/?q={q}&limit=5", auth=False)
        i += 7


def reader():
    url = f"{base}/api/changes?since=0"
    req = urllib.request.Request(url, headers={"Accept": "text/event-stream"})
    try:
        with urllib.request.urlopen(req, timeout=seconds + 30) as stream:
            count("feed", stream.status)
            for line in stream:
                if line.startswith(b"data:"):
                    with lock:
                        feed_rows["rows"] += 1
                if time.monotonic() >= deadline:
                    break
    except urllib.error.HTTPError as error:
        count("feed", error.code)
    except OSError as error:
        count("feed", type(error).__name__)


def healthz():
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=60) as answer:
                count("healthz", answer.status)
        except urllib.error.HTTPError as error:
            count("healthz", error.code)
        except OSError as error:
            count("healthz", type(error).__name__)
        healthz_worst[0] = max(healthz_worst[0], time.monotonic() - started)
        time.sleep(0.5)


def status_kib(field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


rss_before = status_kib("VmRSS")
threads = [threading.Thread(target=publisher) for _ in range(publishers)]
threads += [threading.Thread(target=hostile_uploader) for _ in range(hostiles)]
threads += [threading.Thread(target=searcher, args=(n,)) for n in range(searchers)]
threads += [threading.Thread(target=reader) for _ in range(readers)]
threads.append(threading.Thread(target=healthz))
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()

print(json.dumps({
    "seconds": seconds,
    "users": {"publishers": publishers, "hostile": hostiles, "searchers": searchers, "feedReaders": readers},
    "fileBytes": {"sample": len(sample_bytes), "hostile": len(hostile_bytes)},
    "answers": dict(sorted(answers.items())),
    "feedRowsReceived": feed_rows["rows"],
    "findingsLinesReceived": feed_rows["findings lines"],
    "healthzWorstSeconds": round(healthz_worst[0], 3),
    "rssBeforeMiB": rss_before // 1024,
    "rssPeakMiB": status_kib("VmHWM") // 1024,
    "rssEndMiB": status_kib("VmRSS") // 1024,
}, indent=1))
