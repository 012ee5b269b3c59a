#!/usr/bin/env python3
"""Street names for the nom AFNOR check (bench/afnor/check.sh), one per line, deterministic.

    names.py SHARED_DATA RULES_JSON COUNT > names.txt

1. Every distinct street-like name found in the shared data: BAL files (`voie_nom`,
   `lieudit_complement_nom`, `voie_nom_*`), legacy BAN CSVs (`nom_voie`, `nom_ld`) and addok
   documents (`name`, `street`).
2. Then, up to COUNT names in all, names composed from the package's own tables (seeded):
   a street type (long form, sometimes in the middle), titles, first names, particles,
   articles, general words, saints, words of the real names, numbers, with random case,
   accents, hyphens, apostrophes and doubled spaces, so that every rule of every pass and
   the length-driven exits of `normalize` are exercised.
"""
import csv
import gzip
import json
import os
import random
import re
import sys
import unicodedata

NAME_COLUMNS = {"voie_nom", "lieudit_complement_nom", "nom_voie", "nom_ld"}


def real_names(root):
    names = set()
    for folder, _, files in os.walk(root):
        for file in sorted(files):
            path = os.path.join(folder, file)
            opener = gzip.open if file.endswith(".gz") else open
            try:
                if file.endswith((".csv", ".csv.gz")):
                    with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as f:
                        sample = f.readline()
                        f.seek(0)
                        delimiter = ";" if sample.count(";") >= sample.count(",") else ","
                        for row in csv.DictReader(f, delimiter=delimiter):
                            for key, value in row.items():
                                if key and value and (key in NAME_COLUMNS or key.startswith("voie_nom_")):
                                    names.add(value)
                elif file.endswith((".ndjson", ".ndjson.gz")):
                    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
                        for line in f:
                            doc = json.loads(line)
                            for key in ("name", "street"):
                                value = doc.get(key)
                                for v in value if isinstance(value, list) else [value]:
                                    if isinstance(v, str) and v:
                                        names.add(v)
            except (OSError, UnicodeError, csv.Error, json.JSONDecodeError, AttributeError):
                continue
    return names


def alternatives(pattern):
    """The words of a rule's `long`: `(A|B|C)` → A, B, C; a plain word → itself."""
    inner = re.sub(r"^\(|\)$", "", pattern.strip())
    return [w for w in inner.split("|") if w and re.fullmatch(r"[A-Z0-9 ]+", w)]


def composed(rules, real, count, seed=505):
    rng = random.Random(seed)
    words = lambda group: [w for rule in rules.get(group, []) for w in alternatives(rule["long"])]
    types = words("1") + words("5")
    titles = words("2")
    firsts = words("3")
    general = words("4")
    saints = ["SAINT", "SAINTE", "SAINTS", "SAINTES", "ST", "PROLONGEE", "INFERIEURE"]
    particles = [re.sub(r"^\(\[a-z\]\) |[()]", "", r["long"]).split("|")[0].strip() for r in rules.get("9", [])]
    particles = [p for p in particles if p] + ["DE LA", "DE", "DU", "DES", "D", "L", "LE", "LA", "LES"]
    articles = ["LE", "LA", "LES", "AU", "AUX", "DE", "DU", "DES", "D", "ET", "A", "L", "SUR", "EN"]
    real_words = sorted({w for name in real for w in re.split(r"[^\w]+", name) if len(w) > 2}) or ["MOULIN"]
    accents = {"E": "ÉÈÊË", "A": "ÀÂÄ", "I": "ÎÏ", "O": "ÔÖ", "U": "ÙÛÜ", "C": "Ç"}

    def word():
        kind = rng.random()
        if kind < 0.12:
            return rng.choice(titles)
        if kind < 0.30:
            return rng.choice(firsts)
        if kind < 0.45:
            return rng.choice(general)
        if kind < 0.55:
            return rng.choice(saints) + rng.choice(["-", " "]) + rng.choice(firsts + real_words)
        if kind < 0.68:
            return rng.choice(articles)
        if kind < 0.74:
            return rng.choice(particles) + " " + rng.choice(real_words)
        if kind < 0.78:
            return str(rng.randint(1, 1999))
        if kind < 0.83:
            return rng.choice(types)
        return rng.choice(real_words)

    def dress(text):
        out = []
        for c in text:
            if c in accents and rng.random() < 0.08:
                c = rng.choice(accents[c])
            out.append(c)
        text = "".join(out)
        style = rng.random()
        if style < 0.45:
            text = text.title()
        elif style < 0.6:
            text = text.lower()
        if rng.random() < 0.1:
            text = text.replace(" ", rng.choice(["-", "'", "  ", " - ", "’"]), rng.randint(1, 2))
        if rng.random() < 0.02:
            text = rng.choice([" ", "-", "(", "«"]) + text + rng.choice([" ", ")", "»", "."])
        return text

    seen = set()
    while len(seen) < count:
        parts = [rng.choice(types)] if rng.random() < 0.85 else []
        parts += [word() for _ in range(rng.choice([1, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 10]))]
        if rng.random() < 0.1 and parts:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(types))
        name = unicodedata.normalize("NFC", dress(" ".join(parts)))
        if name not in seen:
            seen.add(name)
            yield name


def main():
    root, rules_path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(rules_path, encoding="utf-8") as f:
        rules = json.load(f)
    real = real_names(root)
    out = sys.stdout
    written = 0
    for name in sorted(real):
        name = name.replace("\n", " ").replace("\r", " ")
        out.write(name + "\n")
        written += 1
    for name in composed(rules, real, max(0, count - written)):
        out.write(name + "\n")
    print(f"{len(real)} real names, {written and count - written} composed", file=sys.stderr)


if __name__ == "__main__":
    main()
