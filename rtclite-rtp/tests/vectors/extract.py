#!/usr/bin/env python3
"""Extracts the rtclite-rtp test vectors from the RFC texts (never retyped).

Run from this directory:  python3 extract.py [RFC_DIR]
RFC_DIR defaults to ../../../../shared/rfc (the workspace's sibling).

g711_*.bin come from CPython's audioop module (Python <= 3.12), an
independent G.711 implementation derived from the Sun Microsystems
reference code; they are regenerated only when audioop is available.
"""
import os
import re
import struct
import sys

RFC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../../../shared/rfc")
HERE = os.path.dirname(os.path.abspath(__file__))


def text(n):
    with open(os.path.join(RFC, f"rfc{n}.txt"), encoding="utf-8") as f:
        return f.read()


def section(t, start, end):
    i = t.index(start)
    return t[i:t.index(end, i)]


def rfc3551():
    t = text(3551)
    out = ["# RFC 3551 §6 Tables 4 and 5: static payload types (pt encoding media clock channels)"]
    for table in (section(t, "PT   encoding    media type", "Table 4:"),
                  section(t, "PT      encoding    media type", "Table 5:")):
        for line in table.splitlines():
            m = re.match(r"^\s+(\d+)\s+(\S+)\s+(A|V|AV)\s+([\d,]+)\s*(\d+)?\s*$", line)
            if m:
                pt, enc, media, clock, ch = m.groups()
                out.append(f"{pt} {enc} {media} {clock.replace(',', '')} {ch or '-'}")
            m = re.match(r"^\s+(\d+)\s+(MPA)\s+(A)\s+([\d,]+)\s+\(see text\)", line)
            if m:
                pt, enc, media, clock = m.groups()
                out.append(f"{pt} {enc} {media} {clock.replace(',', '')} -")
    write("rfc3551_static_payload_types.txt", out)


def rfc4733():
    t = text(4733)
    table = section(t, "Table 5 shows the complete sequence", "Table 5: Example of Event Reporting")
    out = ["# RFC 4733 §5 Table 5 (\"911\"): time_ms marker timestamp seq event duration end"]
    for line in table.splitlines():
        m = re.match(r'^\s+\|\s+(\d+) \| RTP\s+\|\s+"(\d)"\s+\|\s+(\d+)\s+\|\s+(\d+)\s+\|\s+(\d+)\s+\|\s+(\d+)\s+\|\s+"(\d)"\s+\|', line)
        if m:
            out.append(" ".join(m.groups()))
    write("rfc4733_table5_911.txt", out)


def rfc4733_tones():
    t = text(4733)
    table = section(t, "Table 6 shows the same sequence", "Table 6: Example of Tone Reporting")
    out = ["# RFC 4733 §5 Table 6 (\"911\" as tones): time_ms marker timestamp seq duration freq1 freq2"]
    for line in table.splitlines():
        m = re.match(r'^\s+\|\s+(\d+) \| RTP\s+\|\s+"(\d)"\s+\|\s+(\d+)\s+\|\s+(\d+)\s+\|\s+(\d+)\s+\|\s+(\d+)\s+\|\s+(\d+)\s+\|', line)
        if m:
            out.append(" ".join(m.groups()))
    write("rfc4733_table6_tones.txt", out)
    # Figures 3, 4 and 5: the field values printed under each field row.
    for fig, start, end in ((3, "Figure 3 assumes", "Figure 3: Example RTP Packet for Event"),
                            (4, "Figure 4 assumes", "Figure 4: Example RTP Packet for Tone"),
                            (5, "Figure 5, for the combined", "Figure 5: Example RTP Packet for Combined")):
        body = section(t, start, end)
        out = [f"# RFC 4733 §5 Figure {fig}: the value rows of the packet diagram, in order"]
        for line in body.splitlines():
            inner = line.strip().rstrip("/\\").strip()
            if not (inner.startswith("|") and inner.endswith("|")):
                continue
            cells = inner.strip("|")
            if re.fullmatch(r"[|\s\d]*(0x[0-9a-f]+)?[|\s\d]*", cells) and re.search(r"\d", cells):
                out.append("row " + " ".join(re.findall(r"0x[0-9a-f]+|\d+", cells)))
        write(f"rfc4733_figure{fig}.txt", out)


def rfc3611():
    t = text(3611)
    s = section(t, "The mapping from a sequence of lost and received packets", "All bits in a bit vector chunk")
    traces = [l.strip().replace(" ", "") for l in s.splitlines() if re.match(r"^\s+[01]{4}( [01]{1,4})+\s*$", l)]
    out = ["# RFC 3611 §4.1 Loss RLE examples: 'trace' lines (1 = received) then their chunk encodings"]
    encodings, cur = [], []
    for l in s.splitlines():
        l = l.strip()
        m = re.match(r"^bit vector ([01 ]+)$", l)
        if m:
            cur.append("bv " + m.group(1).replace(" ", ""))
        m = re.match(r"^run of (\d+) receipts$", l)
        if m:
            cur.append("run1 " + m.group(1))
        if l == "null chunk":
            cur.append("null")
            encodings.append(cur)
            cur = []
    out.append("trace " + traces[0])
    out.append("encoding " + ", ".join(encodings[0]))
    out.append("encoding " + ", ".join(encodings[1]))
    out.append("trace " + traces[1])
    out.append("encoding " + ", ".join(encodings[2]))
    write("rfc3611_loss_rle_examples.txt", out)


def g711():
    try:
        import warnings
        warnings.simplefilter("ignore")
        import audioop
    except ImportError:
        print("audioop missing: g711 vectors kept as they are")
        return
    pcm = b"".join(struct.pack("<h", s) for s in range(-32768, 32768))
    with open(os.path.join(HERE, "g711_ulaw_encode.bin"), "wb") as f:
        f.write(audioop.lin2ulaw(pcm, 2))
    with open(os.path.join(HERE, "g711_alaw_encode.bin"), "wb") as f:
        f.write(audioop.lin2alaw(pcm, 2))
    codes = bytes(range(256))
    out = ["# code ulaw_decoded alaw_decoded (CPython audioop)"]
    u = struct.unpack("<256h", audioop.ulaw2lin(codes, 2))
    a = struct.unpack("<256h", audioop.alaw2lin(codes, 2))
    for c in range(256):
        out.append(f"{c} {u[c]} {a[c]}")
    write("g711_decode.txt", out)


def write(name, lines):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(name, len(lines) - 1, "entries")


rfc3551()
rfc4733()
rfc4733_tones()
rfc3611()
g711()
