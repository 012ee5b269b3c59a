#!/usr/bin/env python3
"""Normalises BAN Sync outputs so that two runs of the same binary give identical files
(used by bench/identical.sh; standard library only).

    identical_normalise.py known-ids OUT DIR...           # every UUID of the files under DIR...
    identical_normalise.py validate-json IN OUT           # `ban validate --format json` output
    identical_normalise.py validate-dir IN OUT            # IN/REL.json -> OUT/json/REL.json,
                                                          # IN/REL.txt -> OUT/human/REL.txt,
                                                          # IN/REL.err (when not empty) -> OUT/json/REL.stderr
    identical_normalise.py text [OPTIONS] IN OUT          # any text output (IN may be .gz)
    identical_normalise.py feed [OPTIONS] [--phases N..] IN OUT   # `ban changes` JSON lines

What varies between two runs of one binary, and what becomes of it:
  * UUIDs (BAN ids): those found in the input BAL files (--known FILE, one a line) are
    deterministic and kept verbatim; any other one (made up by the binary) becomes
    `uuid#N`, N counting the distinct ones in order of first appearance in the file.
  * Revision ids (24 or 32 lowercase hex digits, standalone): `hex#N`, same counting.
  * ISO timestamps (date, `T` or space, time, optional fraction and zone): `<TIMESTAMP>`.
  * Plain dates equal to one of --dates (the days of the capture: dates the binary takes
    from the clock): `<RUN-DATE>`. Other dates (from the data) are kept.
  * --replace OLD=NEW: literal replacements (temporary paths).
  * --timings (logs only): durations (`1.8 s`, `21.3 ms`) and rates (`12832 rows/s`) become
    `<t> s`, `<t> ms`, `<n> rows/s`.
  * --mask-key KEY: the integer value of the JSON key KEY (`"KEY":123`) becomes `"<KEY>"`
    (the feed positions quoted in other answers, which depend on the feed's order).
  * validate-json: the `timingMs` key is removed, the object is written back indented
    (key order kept) so that a diff shows the line that changed; a first line records whether
    the binary wrote it as one compact line (a change of layout is then seen too).
  * feed: the changes are re-ordered by (phase, commune, seq) — the order in which communes
    are consolidated varies from run to run, the order within a commune does not — and each
    `seq` value becomes `"<seq>"`; a first line records the number of changes and whether the
    seqs were 1..N, increasing, without gaps. --phases N1,N2: the changes with seq <= N1
    are phase 1, <= N2 phase 2, etc. (one per import), the rest the last phase.
"""
import argparse
import gzip
import json
import os
import re
import sys

UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
ID_RE = re.compile(rf"(?<![0-9A-Za-z])(?:(?P<uuid>{UUID})|(?P<hex>[0-9a-f]{{32}}|[0-9a-f]{{24}}))(?![0-9A-Za-z])")
TS_RE = re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2}|\b)")
DATE_RE = re.compile(r"(?<![0-9])\d{4}-\d{2}-\d{2}(?![0-9])")
DUR_RE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?: ?)(ms|µs|us|ns|s)\b")
RATE_RE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?: ?)(\w+)/s\b")


def read_text(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    return data.decode("utf-8", errors="surrogateescape")


def write_text(path, text):
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
        f.write(text)


class Normaliser:
    def __init__(self, known=(), dates=(), replace=(), timings=False, mask_keys=()):
        self.known = {k.lower() for k in known}
        self.dates = set(dates)
        self.replace = [r.split("=", 1) for r in replace]
        self.timings = timings
        self.mask_res = [(re.compile(r'"%s"\s*:\s*-?\d+' % re.escape(k)), f'"{k}":"<{k}>"') for k in mask_keys]

    def __call__(self, text):
        for old, new in self.replace:
            text = text.replace(old, new)
        text = TS_RE.sub("<TIMESTAMP>", text)
        if self.dates:
            text = DATE_RE.sub(lambda m: "<RUN-DATE>" if m.group(0) in self.dates else m.group(0), text)
        for rx, rep in self.mask_res:
            text = rx.sub(rep, text)
        if self.timings:
            text = DUR_RE.sub(lambda m: f"<t> {m.group(1)}", text)
            text = RATE_RE.sub(lambda m: f"<n> {m.group(1)}/s", text)
        seen = {"uuid": {}, "hex": {}}

        def sub(m):
            kind = "uuid" if m.group("uuid") else "hex"
            v = m.group(0).lower()
            if kind == "uuid" and v in self.known:
                return m.group(0)
            table = seen[kind]
            if v not in table:
                table[v] = len(table) + 1
            return f"{kind}#{table[v]}"

        return ID_RE.sub(sub, text)


def load_known(path):
    if not path:
        return ()
    with open(path, encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip()]


def cmd_known_ids(args):
    ids = set()
    rx = re.compile(UUID)
    for root in args.dirs:
        for d, dirs, files in os.walk(root, followlinks=True):
            dirs.sort()
            for name in sorted(files):
                ids.update(m.lower() for m in rx.findall(read_text(os.path.join(d, name))))
    write_text(args.out, "".join(f"{i}\n" for i in sorted(ids)))
    print(len(ids))


def validate_json(inp, out):
    raw = read_text(inp)
    try:
        obj = json.loads(raw)
    except ValueError:
        write_text(out, "not JSON:\n" + raw)
        return
    compact = isinstance(obj, dict) and json.dumps(obj, ensure_ascii=False, separators=(",", ":")) == raw.strip()
    if isinstance(obj, dict):
        obj.pop("timingMs", None)
    write_text(out, f"(binary wrote one compact line: {'yes' if compact else 'no'})\n"
               + json.dumps(obj, ensure_ascii=False, indent=1) + "\n")


def cmd_validate_json(args):
    validate_json(args.inp, args.out)


def cmd_validate_dir(args):
    """The validator's outputs are deterministic but for timingMs: nothing else is masked."""
    for d, dirs, files in os.walk(args.inp):
        dirs.sort()
        for name in sorted(files):
            src = os.path.join(d, name)
            rel, ext = os.path.splitext(os.path.relpath(src, args.inp))
            if ext == ".json":
                validate_json(src, os.path.join(args.out, "json", rel + ".json"))
            elif ext == ".txt":
                write_text(os.path.join(args.out, "human", rel + ".txt"), read_text(src))
            elif ext == ".err" and os.path.getsize(src):
                write_text(os.path.join(args.out, "json", rel + ".stderr"), read_text(src))


def normaliser(args):
    return Normaliser(load_known(args.known), [d for d in (args.dates or "").split(",") if d],
                      args.replace or (), args.timings, args.mask_key or ())


def cmd_text(args):
    write_text(args.out, normaliser(args)(read_text(args.inp)))


def cmd_feed(args):
    raw = read_text(args.inp)
    bounds = [int(x) for x in (args.phases or "").split(",") if x]
    rows, bad = [], []
    for i, line in enumerate(raw.splitlines()):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            seq = int(d["seq"])
        except (ValueError, KeyError, TypeError):
            bad.append(line)
            continue
        phase = next((p + 1 for p, b in enumerate(bounds) if seq <= b), len(bounds) + 1)
        rows.append((phase, str(d.get("commune") or ""), seq, i, line))
    seqs = [r[2] for r in rows]
    contiguous = seqs == list(range(1, len(seqs) + 1))
    increasing = all(a < b for a, b in zip(seqs, seqs[1:]))
    per_phase = {}
    for r in rows:
        per_phase[r[0]] = per_phase.get(r[0], 0) + 1
    head = (f"# {len(rows)} changes; seq 1..N without gaps: {'yes' if contiguous else 'no'}; "
            f"increasing in the feed: {'yes' if increasing else 'no'}; per phase: "
            + ", ".join(f"{p}: {n}" for p, n in sorted(per_phase.items()))
            + (f"; {len(bad)} lines that are not changes (at the end)" if bad else "") + "\n")
    rows.sort(key=lambda r: r[:4])
    seq_re = re.compile(r'"seq"\s*:\s*\d+')
    body = "".join(seq_re.sub('"seq":"<seq>"', r[4], count=1) + "\n" for r in rows)
    body += "".join(l + "\n" for l in bad)
    write_text(args.out, head + normaliser(args)(body))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("known-ids")
    k.add_argument("out")
    k.add_argument("dirs", nargs="+")
    k.set_defaults(fn=cmd_known_ids)
    v = sub.add_parser("validate-json")
    v.add_argument("inp")
    v.add_argument("out")
    v.set_defaults(fn=cmd_validate_json)
    vd = sub.add_parser("validate-dir")
    vd.add_argument("inp")
    vd.add_argument("out")
    vd.set_defaults(fn=cmd_validate_dir)
    for name, fn in (("text", cmd_text), ("feed", cmd_feed)):
        p = sub.add_parser(name)
        p.add_argument("inp")
        p.add_argument("out")
        p.add_argument("--known", help="file of UUIDs kept verbatim")
        p.add_argument("--dates", help="comma-separated YYYY-MM-DD replaced by <RUN-DATE>")
        p.add_argument("--replace", action="append", help="OLD=NEW literal replacement (repeatable)")
        p.add_argument("--timings", action="store_true", help="also mask durations and rates (logs)")
        p.add_argument("--mask-key", action="append", help="JSON key whose integer value is masked")
        if name == "feed":
            p.add_argument("--phases", help="comma-separated last seq of each phase but the last")
        p.set_defaults(fn=fn)
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
