#!/usr/bin/env python3
"""Extract the bit-exact torture-test archives of RFC 4475 and RFC 5118.

Both RFCs carry, in Appendix A, a base64-encoded gzip'd tar archive between
"-- BEGIN MESSAGE ARCHIVE --" and "-- END MESSAGE ARCHIVE --". This script
applies the selection rule of the RFCs' own Perl script (keep lines made of a
single run of non-space characters between the two markers), decodes the
result and unpacks every message file, byte for byte, into rfc4475/ and
rfc5118/ beside this script.

Usage: python3 extract.py [RFC_DIR]   (default: ../../../../shared/rfc)
"""
import base64, io, os, re, sys, tarfile

here = os.path.dirname(os.path.abspath(__file__))
rfc_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "../../../../shared/rfc")

def archive(path):
    data, inside = [], False
    with open(path, encoding="latin-1") as f:
        for line in f:
            if "-- BEGIN MESSAGE ARCHIVE --" in line:
                inside = True
                continue
            if "-- END MESSAGE ARCHIVE --" in line:
                break
            if inside and re.match(r"^\s*[^\s]+\s*$", line):
                data.append(line.strip())
    return base64.b64decode("".join(data))

for rfc in ("rfc4475", "rfc5118"):
    out = os.path.join(here, rfc)
    os.makedirs(out, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive(os.path.join(rfc_dir, rfc + ".txt"))), mode="r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            name = os.path.basename(member.name)
            with open(os.path.join(out, name), "wb") as f:
                f.write(tar.extractfile(member).read())
            print(rfc, name, member.size)

# RFC 3665: the call-flow messages are printed in the text, indented by three
# spaces, each after a title line "F<n> <summary>". Cut every message out:
# start line, header lines up to and including Content-Length (continuation
# lines keep one leading space, i.e. stay folded), then, when the body is not
# empty, the SDP lines that follow. Page headers, footers and the blank lines
# of page breaks are dropped. Lines are joined with CRLF. Nothing is fixed
# up: a Content-Length that disagrees with the printed body stays as printed.
def rfc3665(path, out):
    os.makedirs(out, exist_ok=True)
    lines = open(path, encoding="latin-1").read().split("\n")
    def noise(l):
        return (l.startswith("Johnston, et al.") or l.startswith("RFC 3665 ")
                or l.strip() == "" or l.strip() == "\f")
    section = None
    count = 0
    i = 0
    while i < len(lines):
        l = lines[i]
        m = re.match(r"^(\d+\.\d+)\.\s+\S", l)
        if m:
            section = m.group(1)
        m = re.match(r"^   (F\d+) \S", l)
        if not (m and section):
            i += 1
            continue
        tag = m.group(1)
        i += 1
        while i < len(lines) and noise(lines[i]):
            i += 1
        if i >= len(lines) or not re.match(r"^   (SIP/2\.0 +\d{3}|[A-Z]+ \S+ SIP/2\.0)", lines[i]):
            continue
        msg = []
        length = 0
        after_break = False
        while i < len(lines):
            l = lines[i]
            if l.strip() == "":
                # a blank line ends the message unless a page break follows
                j = i
                while j < len(lines) and lines[j].strip() in ("", "\f"):
                    j += 1
                if j < len(lines) and (noise(lines[j]) or after_break):
                    i = j
                    continue
                break
            i += 1
            if noise(l):
                after_break = True
                continue
            after_break = False
            msg.append(l[3:])
            cl = re.match(r"^   (Content-Length|l):\s*(\d+)", l)
            if cl:
                length = int(cl.group(2))
                break
        body = []
        if length > 0:
            while i < len(lines):
                l = lines[i]
                if noise(l):
                    i += 1
                    continue
                if re.match(r"^   [a-z]=", l):
                    body.append(l[3:])
                    i += 1
                    continue
                break
        data = "\r\n".join(msg) + "\r\n\r\n" + "".join(b + "\r\n" for b in body)
        name = f"{section}_{tag}.sip"
        with open(os.path.join(out, name), "wb") as f:
            f.write(data.encode("utf-8"))
        count += 1
    print("rfc3665", count, "messages")

rfc3665(os.path.join(rfc_dir, "rfc3665.txt"), os.path.join(here, "rfc3665"))

# Digest examples: RFC 2617 §3.5 and RFC 7616 §3.9.1, §3.9.2 print
# WWW-Authenticate and Authorization header fields over several indented
# lines. Each field is joined into one line (pieces separated by one SP,
# except inside a quoted string the RFC wrapped, which is joined without
# one) and written as "Name: value" lines into digest/<rfc>_<section>.txt.
def digest_examples(path, sections, prefix, out):
    os.makedirs(out, exist_ok=True)
    lines = open(path, encoding="latin-1").read().split("\n")
    def footer(l):
        return bool(re.match(r"^(Franks, et al\.|Shekh-Yusef, et al\.|RFC 2617 |RFC 7616 )", l)) or l.strip() == "\f"
    for sec, end in sections:
        start = next(i for i, l in enumerate(lines) if l.startswith(sec + " ") or l.startswith(sec + ".  "))
        stop = next(i for i, l in enumerate(lines) if i > start and (l.startswith(end + " ") or l.startswith(end + ".  ")))
        fields = []
        i = start
        while i < stop:
            m = re.match(r"^(\s+)(WWW-Authenticate|Authorization):\s*(.*)$", lines[i])
            if not m:
                i += 1
                continue
            indent = len(m.group(1))
            value = m.group(3).strip()
            i += 1
            while i < stop:
                l = lines[i]
                if footer(l):
                    i += 1
                    continue
                if l.strip() == "":
                    # a page break inside the field: blank lines, footer, header, blank lines
                    j = i
                    while j < stop and (lines[j].strip() == "" or footer(lines[j])):
                        j += 1
                    if any(footer(lines[k]) for k in range(i, j)) and j < stop and len(lines[j]) - len(lines[j].lstrip()) > indent:
                        i = j
                        continue
                    break
                if len(l) - len(l.lstrip()) <= indent:
                    break
                piece = l.strip()
                sep = "" if (value.count('"') % 2 == 1 or value == "") else " "
                value = value + sep + piece
                i += 1
            fields.append(f"{m.group(2)}: {value}")
        name = os.path.join(out, f"{prefix}_{sec.rstrip('.')}.txt")
        with open(name, "w") as f:
            f.write("\n".join(fields) + "\n")
        print(prefix, sec, len(fields), "fields")

digest_examples(os.path.join(rfc_dir, "rfc2617.txt"), [("3.5", "3.6")], "rfc2617", os.path.join(here, "digest"))
digest_examples(os.path.join(rfc_dir, "rfc7616.txt"), [("3.9.1.", "3.9.2."), ("3.9.2.", "4.")], "rfc7616", os.path.join(here, "digest"))

# RFC 3261 §19.1.4: the sets of equivalent and of non-equivalent URIs.
# Written as "equivalent" / "different" followed by one set per line (URIs
# separated by one SP); the comments in parentheses are dropped.
def uri_sets(path, out):
    lines = open(path, encoding="latin-1").read().split("\n")
    start = lines.index("19.1.4 URI Comparison")
    sets = {"equivalent": [], "different": []}
    mode = None
    cur = []
    for l in lines[start:]:
        if l.startswith("   The URIs within each of the following sets are equivalent"):
            mode = "equivalent"; continue
        if l.startswith("   The URIs within each of the following sets are not equivalent"):
            mode = "different"; continue
        if l.startswith("   Note that equality is not transitive"):
            break
        if mode is None:
            continue
        m = re.match(r"^   ((sip|sips|SIP):\S+)", l)
        if m:
            cur.append(m.group(1))
        elif l.strip() == "" and cur:
            sets[mode].append(cur); cur = []
    with open(out, "w") as f:
        for mode in ("equivalent", "different"):
            for s in sets[mode]:
                f.write(mode + " " + " ".join(s) + "\n")
    print("rfc3261 19.1.4", {k: len(v) for k, v in sets.items()})

uri_sets(os.path.join(rfc_dir, "rfc3261.txt"), os.path.join(here, "rfc3261_19.1.4.txt"))
