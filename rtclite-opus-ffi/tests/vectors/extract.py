#!/usr/bin/env python3
"""Extracts the Opus test vectors of this crate from the RFC texts.

    python3 tests/vectors/extract.py [RFC_DIR]   (default ../../shared/rfc from the crate)

Writes, beside this script:
  rfc6716_3_3_examples.txt  one line per TOC example of RFC 6716 §3.3 (Figures 8-11):
                            figure, the TOC (and frame count byte) fields from the bit
                            diagram, and the sentence that describes it
  rfc7587_7_sdp_examples.txt one block per SDP example of RFC 7587 §7: its title, then the
                            m=/a= lines (a wrapped a=fmtp line is joined)
Nothing is typed by hand: rerun this script to regenerate them.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RFC_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "..", "shared", "rfc")


def body_lines(name):
    """The RFC text without page headers, footers and form feeds."""
    out = []
    with open(os.path.join(RFC_DIR, name), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n").replace("\f", "")
            if re.match(r"^(RFC \d+ .*\d{4}|.*\[Page \d+\])$", line):
                continue
            out.append(line)
    return out


def section(lines, start, end):
    i = next(k for k, l in enumerate(lines) if l.startswith(start))
    j = next(k for k, l in enumerate(lines) if k > i and l.startswith(end))
    return lines[i:j]


def rfc6716():
    lines = section(body_lines("rfc6716.txt"), "3.3.  Examples", "3.4.  ")
    rows = []
    description = None
    for line in lines:
        text = line.strip()
        if text.endswith(":") and not text.startswith(("|", "+", "0")):
            description = text.rstrip(":")
            continue
        m = re.match(r"^\|\s*(\d+)\s*\|([01])\|([01])\|([01])\|(.*)$", text)
        if m:
            config, s, c1, c0, rest = m.groups()
            fields = {"config": int(config), "s": int(s), "c": int(c1) * 2 + int(c0)}
            m3 = re.match(r"^([01])\|([01])\|\s*(\d+)\s*\|", rest)
            if m3:
                fields.update(v=int(m3.group(1)), p=int(m3.group(2)), M=int(m3.group(3)))
            rows.append((fields, description))
            continue
        m = re.match(r"^Figure (\d+)$", text)
        if m and rows and "figure" not in rows[-1][0]:
            rows[-1][0]["figure"] = int(m.group(1))
    with open(os.path.join(HERE, "rfc6716_3_3_examples.txt"), "w", encoding="utf-8") as f:
        f.write("# Extracted from RFC 6716 §3.3 by extract.py; do not edit.\n")
        for fields, description in rows:
            keys = ["figure", "config", "s", "c", "v", "p", "M"]
            f.write(" ".join(f"{k}={fields[k]}" for k in keys if k in fields))
            f.write(f" | {description}\n")
    return len(rows)


def rfc7587():
    lines = section(body_lines("rfc7587.txt"), "7.  SDP Considerations", "7.1.  ")
    blocks = []
    for line in lines:
        text = line.strip()
        m = re.match(r"^Example (\d+): (.*)$", text)
        if m:
            blocks.append([f"example {m.group(1)}: {m.group(2)}"])
            continue
        if not blocks:
            continue
        if re.match(r"^[ma]=", text):
            blocks[-1].append(text)
        elif text and len(blocks[-1]) > 1 and blocks[-1][-1].startswith("a=fmtp") and line.startswith("       "):
            blocks[-1][-1] += " " + text
        elif text and len(blocks[-1]) == 1:
            blocks[-1][0] += " " + text
    with open(os.path.join(HERE, "rfc7587_7_sdp_examples.txt"), "w", encoding="utf-8") as f:
        f.write("# Extracted from RFC 7587 §7 by extract.py; do not edit.\n")
        for block in blocks:
            f.write("\n".join(block) + "\n\n")
    return len(blocks)


if __name__ == "__main__":
    print(f"RFC 6716 §3.3: {rfc6716()} examples; RFC 7587 §7: {rfc7587()} examples")
