#!/usr/bin/env python3
"""Build data/afnor/rules.tsv, the abbreviation table used by libs/exports/src/afnor/.

Source: rules.json of the npm package @etalab/normadresse 1.2.0 (MIT), unchanged.

index.js of that package does not use the rules as they are: each pass wraps the rule's
`long` (a JavaScript regular expression) and `short` (a replacement string) in its own way,
e.g. ` ${long} ` / ` ${short} `, `(^| )${long} ` / ` ${short.toLowerCase()} `,
trims or lower-cases them. This script applies exactly those transformations, so that each
row of the output is the regular expression and the replacement string that index.js
actually hands to `String.prototype.replace` (or to `RegExp.prototype.test` for pass 3).

Output: ASCII, tab-separated, LF line endings, one header line
`pass<TAB>pattern<TAB>replacement<TAB>source`, then one row per rule in the order index.js
applies them. Fields are never quoted or trimmed: leading and trailing spaces are significant.
`source` is the rule's place in rules.json (`group:index`, e.g. `4:12`); being last and never
ending with a space, it also keeps lines free of trailing whitespace. `pass` is one of:

    1     pass 1, rules["1"]:  long                  -> short
    2     pass 2, rules["2"]:  " " + long + " "      -> " " + short + " "
    4     pass 4, rules["4"]:  "(^| )" + long + " "  -> " " + lower(short) + " "
    5a    pass 5, rules["5"]:  " " + trim(long) + " " -> " " + lower(trim(short)) + " "
    5b    pass 5, rules["1"]:  " " + trim(long) + " " -> " " + lower(trim(short)) + " "
    3     pass 3, rules["3"]:  long (tested on each word) -> lower(short)
    6     pass 6, rules["6"]:  long                  -> lower(short)
    5bis  pass 5bis, rules["5"]: "^" + trim(long) + " " -> lower(trim(short)) + " "
    9     pass 9, rules["9"]:  long                  -> short

rules["0"], ["7"], ["-4"] and ["1.5"] are not used by index.js and are not written.

The patterns use only the subset of JavaScript regular expressions that the Rust module
implements (literal characters, capture groups with `|` alternatives, `[a-z]`-style ranges,
`^` and `$`); this script fails if a rule needs anything else.

Usage (from the project root):
    python3 data/afnor/build.py [RULES.json] [OUTPUT.tsv]

Python 3 standard library only; the output is deterministic.
"""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT_ROOT = os.path.dirname(os.path.dirname(HERE))

DEFAULT_SOURCE = os.path.join(
    PROJECT_ROOT,
    "..", "shared", "data", "fixtures", "reference", "normadresse-1.2.0", "rules.json",
)
DEFAULT_OUTPUT = os.path.join(HERE, "rules.tsv")

# Pattern characters allowed: letters, digits, space, groups, alternation, anchors, and
# character classes of the exact form [x-y].
PATTERN_TOKEN = re.compile(r"\[[A-Za-z0-9]-[A-Za-z0-9]\]|[A-Za-z0-9 ()|^$]")
# Replacement: literal text (no `$`) and `$1`..`$9` references.
REPLACEMENT_OK = re.compile(r"^(?:[A-Za-z0-9 @]|\$[1-9])*$")


def js_trim(s):
    # The rules only contain ASCII spaces as whitespace; check it so that Python's notion of
    # whitespace and JavaScript's cannot differ.
    if any(c.isspace() and c != " " for c in s):
        raise SystemExit("unexpected whitespace in rule: %r" % s)
    return s.strip(" ")


def check_pattern(pattern):
    pos = 0
    depth = 0
    groups = 0
    while pos < len(pattern):
        m = PATTERN_TOKEN.match(pattern, pos)
        if not m:
            raise SystemExit("unsupported regular expression syntax in %r at %d" % (pattern, pos))
        tok = m.group(0)
        if tok == "(":
            depth += 1
            groups += 1
        elif tok == ")":
            depth -= 1
            if depth < 0:
                raise SystemExit("unbalanced ) in %r" % pattern)
        pos = m.end()
    if depth != 0:
        raise SystemExit("unbalanced ( in %r" % pattern)
    return groups


def check_replacement(replacement, groups):
    if not REPLACEMENT_OK.match(replacement):
        raise SystemExit("unsupported replacement %r" % replacement)
    for m in re.finditer(r"\$([1-9])", replacement):
        if int(m.group(1)) > groups:
            raise SystemExit("replacement %r refers to a missing group" % replacement)
        if replacement[m.end():m.end() + 1].isdigit():
            # `$nn` would be a two-digit group reference in JavaScript.
            raise SystemExit("ambiguous group reference in %r" % replacement)


def rows(rules):
    """(pass, pattern, replacement, source) in the order index.js applies them."""
    # (pass, group of rules.json, pattern built from `long`, replacement built from `short`)
    passes = [
        ("1", "1", lambda l: l, lambda s: s),
        ("2", "2", lambda l: " %s " % l, lambda s: " %s " % s),
        ("4", "4", lambda l: "(^| )%s " % l, lambda s: " %s " % s.lower()),
        ("5a", "5", lambda l: " %s " % js_trim(l), lambda s: " %s " % js_trim(s).lower()),
        ("5b", "1", lambda l: " %s " % js_trim(l), lambda s: " %s " % js_trim(s).lower()),
        ("3", "3", lambda l: l, lambda s: s.lower()),
        ("6", "6", lambda l: l, lambda s: s.lower()),
        ("5bis", "5", lambda l: "^%s " % js_trim(l), lambda s: "%s " % js_trim(s).lower()),
        ("9", "9", lambda l: l, lambda s: s),
    ]
    out = []
    for step, group, pattern, replacement in passes:
        for i, r in enumerate(rules[group]):
            out.append((step, pattern(r["long"]), replacement(r["short"]), "%s:%d" % (group, i)))
    return out


def main(argv):
    source = argv[1] if len(argv) > 1 else DEFAULT_SOURCE
    output = argv[2] if len(argv) > 2 else DEFAULT_OUTPUT
    with open(source, encoding="utf-8") as f:
        rules = json.load(f)

    table = rows(rules)
    lines = ["pass\tpattern\treplacement\tsource"]
    for step, pattern, replacement, source in table:
        for field in (pattern, replacement):
            if not field.isascii() or any(c in field for c in "\t\r\n"):
                raise SystemExit("rule not representable: %r" % field)
        groups = check_pattern(pattern)
        check_replacement(replacement, groups)
        lines.append("%s\t%s\t%s\t%s" % (step, pattern, replacement, source))

    with open(output, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote %s: %d rules" % (output, len(table)), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
