#!/usr/bin/env python3
"""Extracts the STUN test vectors from the RFC texts into binary files.

RFC 5769 §2.1-§2.4 and RFC 8489 Appendix B.1 print each message as lines of
four hex bytes followed by a comment. This script takes the first four hex
byte columns of every such line in each section and writes the bytes, so the
fixtures are never retyped by hand. Run from anywhere:

    python3 rtclite-stun/tests/vectors/extract.py [RFC_DIR]
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RFC_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../../shared/rfc")

LINE = re.compile(r"^\s+((?:[0-9a-f]{2} ){3}[0-9a-f]{2})(\s|$)")


def sections(text, heads):
    """Yields (name, body) for each (heading regex, name) in order."""
    for i, (head, name) in enumerate(heads):
        start = re.search(head, text, re.M).end()
        end = re.search(heads[i + 1][0], text, re.M).start() if i + 1 < len(heads) else None
        if end is None:
            nxt = re.search(r"^(\d+\.|Acknowledgements)", text[start:], re.M)
            end = start + nxt.start()
        yield name, text[start:end]


def extract(body):
    out = bytearray()
    for line in body.splitlines():
        m = LINE.match(line)
        if m:
            out += bytes.fromhex(m.group(1).replace(" ", ""))
    return bytes(out)


def main():
    jobs = [
        ("rfc5769.txt", [
            (r"^2\.1\.  Sample Request$", "rfc5769_sample_request"),
            (r"^2\.2\.  Sample IPv4 Response$", "rfc5769_sample_ipv4_response"),
            (r"^2\.3\.  Sample IPv6 Response$", "rfc5769_sample_ipv6_response"),
            (r"^2\.4\.  Sample Request with Long-Term Authentication$", "rfc5769_sample_request_long_term"),
        ]),
        ("rfc8489.txt", [
            (r"^B\.1\.  Sample Request with Long-Term Authentication with MESSAGE-\n.*$",
             "rfc8489_b1_sample_request_sha256_userhash"),
        ]),
    ]
    for fname, heads in jobs:
        text = open(os.path.join(RFC_DIR, fname), encoding="utf-8").read()
        for name, body in sections(text, heads):
            data = extract(body)
            assert len(data) >= 20 and len(data) % 4 == 0, (name, len(data))
            with open(os.path.join(HERE, name + ".bin"), "wb") as f:
                f.write(data)
            print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
