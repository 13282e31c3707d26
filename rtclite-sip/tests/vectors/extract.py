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
