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
