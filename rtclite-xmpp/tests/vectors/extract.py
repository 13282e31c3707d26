#!/usr/bin/env python3
"""Extracts the test vectors of rtclite-xmpp from the RFC and XEP texts.

Run from this directory: python3 extract.py [RFC_DIR] (default ../../../../shared/rfc).
Nothing here is typed by hand: every file is cut out of the published text.
  scram-rfc5802.txt, scram-rfc7677.txt  the C:/S: exchanges of RFC 5802 §5 and
                                        RFC 7677 §3, one message per line
  jid-rfc7622.txt, precis-rfc8265.txt  the numbered examples of RFC 7622 §3.5
                                        and RFC 8265 §3.6, §4.3: "N<TAB>string"
  xep-0320-code/NN.txt                  the <code> blocks of XEP-0320 §1
  xep-NNNN/NN.xml                       every <example> of the XEP, in order,
                                        with its caption on the first line as
                                        an XML-free header "caption: ..."
"""
import os, re, sys

rfc_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../../shared/rfc")

def strip_pages(text):
    out = []
    for line in text.splitlines():
        if line.startswith("\f") or re.match(r"^(RFC \d+ .*\d{4}|.*\[Page \d+\])$", line):
            continue
        out.append(line)
    return out

def scram(rfc, start, out):
    lines = strip_pages(open(os.path.join(rfc_dir, rfc)).read())
    i = next(k for k, l in enumerate(lines) if l.startswith(start))
    msgs = []
    for l in lines[i:]:
        m = re.match(r"^   ([CS]): (.*)$", l)
        if m:
            msgs.append([m.group(1), m.group(2).strip()])
        elif msgs and re.match(r"^      \S", l) and not msgs[-1][1].endswith("="):
            msgs[-1][1] += l.strip()
        elif msgs and re.match(r"^      \S", l):
            msgs[-1][1] += l.strip()
        elif msgs and l.strip() and not l.startswith("      "):
            if len(msgs) >= 4:
                break
    with open(out, "w") as f:
        for who, m in msgs[:4]:
            f.write(f"{who}: {m}\n")

def example_tables(rfc, out):
    """The numbered example rows of the tables in `rfc` ("| N | <string> | notes |"),
    one "N<TAB>string" line each, "&#xHEX;" references decoded (RFC 7622 writes
    non-ASCII that way, once without the ';'); continuation rows are skipped."""
    lines = strip_pages(open(os.path.join(rfc_dir, rfc), encoding="utf-8").read())
    rows = []
    for l in lines:
        m = re.match(r"^\s*\| ?(\d+)\s*\| <(.*?)>;?\s*\|", l)
        if m:
            text = re.sub(r"&#x([0-9A-Fa-f]+);?", lambda h: chr(int(h.group(1), 16)), m.group(2))
            rows.append(m.group(1) + "\t" + text)
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")

example_tables("rfc7622.txt", "jid-rfc7622.txt")
example_tables("rfc8265.txt", "precis-rfc8265.txt")
scram("rfc5802.txt", "5.  SCRAM Authentication Exchange", "scram-rfc5802.txt")
scram("rfc7677.txt", "3.  SCRAM-SHA-256 and SCRAM-SHA-256-PLUS", "scram-rfc7677.txt")

for xep in ["0030", "0114", "0166", "0167", "0176", "0177", "0198", "0199", "0320"]:
    src = open(os.path.join(rfc_dir, f"xep-{xep}.xml")).read()
    d = f"xep-{xep}"
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    for n, m in enumerate(re.finditer(r"<example caption=(['\"])(.*?)\1>\s*<!\[CDATA\[(.*?)\]\]>", src, re.S), 1):
        with open(os.path.join(d, f"{n:02}.xml"), "w") as f:
            f.write(f"caption: {m.group(2)}\n{m.group(3).strip()}\n")

# XEP-0167 §6 (Mapping to Session Description Protocol): the <code> blocks in
# order; they alternate Jingle description and the SDP it maps to (the first
# block is the generic m= line format).
src = open(os.path.join(rfc_dir, "xep-0167.xml")).read()
sec = re.search(r"<section1 topic='Mapping to Session Description Protocol'.*?</section1>", src, re.S).group(0)
d = "xep-0167-sdp"
os.makedirs(d, exist_ok=True)
for f in os.listdir(d):
    os.remove(os.path.join(d, f))
for n, m in enumerate(re.finditer(r"<code><!\[CDATA\[(.*?)\]\]></code>", sec, re.S), 1):
    with open(os.path.join(d, f"{n:02}.txt"), "w") as f:
        f.write(m.group(1).strip() + "\n")

# XEP-0320 §1: the <code> blocks (SDP a=fingerprint / a=setup forms and the
# <fingerprint/> element they map to), in order.
src = open(os.path.join(rfc_dir, "xep-0320.xml")).read()
d = "xep-0320-code"
os.makedirs(d, exist_ok=True)
for f in os.listdir(d):
    os.remove(os.path.join(d, f))
for n, m in enumerate(re.finditer(r"<code>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?\s*</code>", src, re.S), 1):
    with open(os.path.join(d, f"{n:02}.txt"), "w") as f:
        f.write(m.group(1).strip() + "\n")
