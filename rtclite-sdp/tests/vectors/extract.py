#!/usr/bin/env python3
"""Extracts the SDP examples of RFC 8866, RFC 4317, RFC 3264 section 10 and
RFC 4568 section 7.1.5, RFC 9143 (BUNDLE) and RFC 8839 (ICE)
from the RFC texts into one file per example, lines ended by CRLF.

Run from this directory:  python3 extract.py [RFC_DIR]   (default ../../../../shared/rfc)

Nothing is retyped: page breaks (footer, form feed, header) are removed, each
example's common indentation is stripped, and the lines are written as they
stand in the RFC. MANIFEST lists every file with its RFC, section, label and
line number.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RFC_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../../shared/rfc")
LINE = re.compile(r"^( *)([a-z])=(.*)$")
SECTION = re.compile(r"^(\d+(?:\.\d+)*|[A-Z]\.\d+(?:\.\d+)*)\.?\s+\S|^Appendix ([A-Z])\.\s")
LABEL = re.compile(r"^\s*\[([A-Za-z-]+)\]\s*$")
# RFC 9143 labels its examples "SDP Offer (1)", "SDP Answer (2)".
NUMBERED_LABEL = re.compile(r"^\s*SDP (Offer|Answer) \((\d+)\)\s*$")


def unpaginate(text):
    """Returns (line number, line) pairs with page footers/headers dropped."""
    out = []
    lines = text.lstrip("\ufeff").split("\n")
    skip_header = False
    for no, line in enumerate(lines, 1):
        if "\f" in line:
            skip_header = True
            continue
        if skip_header:
            skip_header = False
            if line.startswith("RFC "):
                continue
        if re.search(r"\[Page \d+\]\s*$", line):
            continue
        out.append((no, line))
    return out


CONTINUED = False
# RFC 9143 separates the media sections of its examples by one blank line.
BLANK_JOIN = False


def blocks(rfc):
    lines = unpaginate(open(os.path.join(RFC_DIR, f"rfc{rfc}.txt"), encoding="utf-8").read())
    section, label, i = None, None, 0
    while i < len(lines):
        no, line = lines[i]
        m = SECTION.match(line)
        if m:
            section, label = m.group(1) or m.group(2), None
        m = LABEL.match(line)
        if m:
            label = m.group(1)
        m = NUMBERED_LABEL.match(line)
        if m:
            label = m.group(1) + m.group(2)
        m = LINE.match(line)
        if m and m.group(2) == "v" and m.group(3) == "0":
            indent = len(m.group(1))
            body, j = [], i
            while j < len(lines):
                _, l = lines[j]
                if l.strip() == "":
                    # an example continues over blank lines left by a page break
                    k = j
                    while k < len(lines) and lines[k][1].strip() == "":
                        k += 1
                    if k < len(lines) and LINE.match(lines[k][1]) and len(LINE.match(lines[k][1]).group(1)) == indent \
                            and LINE.match(lines[k][1]).group(2) != "v" and (k - j > 3 or BLANK_JOIN):
                        j = k
                        continue
                    break
                lm = LINE.match(l)
                if CONTINUED and body and not lm and len(l) - len(l.lstrip(" ")) > indent:
                    # RFC 4568 folds one long a=crypto line for the page:
                    # the continuation joins with one space, or none after
                    # the ";" that separates two key parameters.
                    sep = "" if body[-1].endswith(";") else " "
                    body[-1] += sep + l.strip()
                    j += 1
                    continue
                if not lm or len(lm.group(1)) != indent or (j > i and lm.group(2) == "v"):
                    break
                body.append(l[indent:].rstrip(" "))
                j += 1
            yield section, label, no, body
            label = None
            i = j
            continue
        i += 1


def main():
    manifest = []
    global CONTINUED, BLANK_JOIN
    wanted = {"8866": None, "4317": None, "3264": "10", "4568": "7.1.5", "9143": None, "8839": None}
    for rfc, only in wanted.items():
        CONTINUED = rfc in ("4568", "8839")  # both fold long lines for the page
        BLANK_JOIN = rfc == "9143"
        seen = {}
        for section, label, no, body in blocks(rfc):
            if only and not ((section or "") + ".").startswith(only + "."):
                continue
            if any("$" in l for l in body):
                # RFC 8839 Appendix A writes addresses and ports as
                # placeholders ($NAT-PUB-1.PORT): not SDP.
                continue
            if not any(l.startswith("o=") for l in body):
                continue  # a lone "v=0" showing the field, not a description
            base = f"rfc{rfc}_{section}"
            if label:
                base += "_" + label.lower()
            seen[base] = seen.get(base, 0) + 1
            name = base if seen[base] == 1 else f"{base}_{seen[base]}"
            with open(os.path.join(HERE, name + ".sdp"), "w", newline="") as f:
                f.write("".join(l + "\r\n" for l in body))
            manifest.append(f"{name}.sdp RFC {rfc} §{section} line {no}" + (f" [{label}]" if label else ""))
    with open(os.path.join(HERE, "MANIFEST"), "w") as f:
        f.write("\n".join(manifest) + "\n")
    print(f"{len(manifest)} examples")


main()
