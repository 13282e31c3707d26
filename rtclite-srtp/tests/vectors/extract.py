#!/usr/bin/env python3
"""Extracts the SRTP test vectors from the RFC texts into this folder.

Run from anywhere: python3 extract.py [RFC_DIR]   (default ../../../../shared/rfc)
Every value is copied from the RFC text by pattern, never retyped. Each
output file holds `name=hex` lines; tests/vectors.rs reads them.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RFC_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../../shared/rfc")

PAGE = re.compile(r"^(McGrew|Baugher|RFC \d{4} ).*$|^\f")
HEX_LINE = re.compile(r"^\s+((?:[0-9a-fA-F]{2,32}\s?)+)$")


def read(n):
    with open(os.path.join(RFC_DIR, f"rfc{n}.txt"), encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f]


def section(lines, number, title_word):
    """Lines of the section whose heading starts with `number` (up to the next heading)."""
    start = None
    head = re.compile(r"^(\d+(\.\d+)*|[A-Z]\.\d+)\.\s+\S")
    for i, l in enumerate(lines):
        if l.startswith(number + ".  ") or l.startswith(number + " "):
            if title_word in l:
                start = i
                continue
        if start is not None and i > start and head.match(l):
            return lines[start:i]
    if start is None:
        raise SystemExit(f"section {number} not found")
    return lines[start:]


def hex_block(lines, label, first_inline=True):
    """Hex following the line containing `label` (on it and on the lines below)."""
    for i, l in enumerate(lines):
        if label in l:
            out = ""
            rest = l.split(label, 1)[1]
            if first_inline and rest.strip():
                out += re.sub(r"[^0-9a-fA-F]", "", rest.split("(")[0])
            j = i + 1
            while j < len(lines):
                t = lines[j]
                if not t.strip() or PAGE.match(t):
                    j += 1
                    if out and j < len(lines) and not HEX_LINE.match(lines[j]) and lines[j].strip() and not PAGE.match(lines[j]):
                        break
                    continue
                m = HEX_LINE.match(re.sub(r"\s*\([^)]*\)\s*$", "", t))
                if not m:
                    break
                out += re.sub(r"\s", "", m.group(1))
                j += 1
            if not out:
                raise SystemExit(f"no hex after {label!r}")
            return out.lower()
    raise SystemExit(f"label {label!r} not found")


def field(lines, label):
    """Hex on the line that starts with `label` (first match), up to a '('."""
    for l in lines:
        s = l.strip()
        if s.startswith(label):
            v = s[len(label):].split("(")[0]
            return re.sub(r"[^0-9a-fA-F]", "", v).lower()
    raise SystemExit(f"field {label!r} not found")


def write(name, pairs):
    with open(os.path.join(HERE, name + ".txt"), "w") as f:
        for k, v in pairs:
            f.write(f"{k}={v}\n")


def keystream_table(sec):
    rows = []
    for l in sec:
        m = re.match(r"^\s+([0-9A-Fa-f]{32})\s+([0-9A-Fa-f]{32})\s*$", l)
        if m:
            rows.append((m.group(1).lower(), m.group(2).lower()))
    return rows


def main():
    r3711 = read(3711)
    b2 = section(r3711, "B.2", "AES-CM")
    pairs = [("session_key", field(b2, "Session Key:")), ("salt", field(b2, "Session Salt:")[:28]),
             ("roc", field(b2, "Rollover Counter:")), ("seq", field(b2, "Sequence Number:")),
             ("ssrc", field(b2, "SSRC:"))]
    pairs += [(f"block_{c}", k) for c, k in keystream_table(b2)]
    write("rfc3711_b2_aes_cm", pairs)

    b3 = section(r3711, "B.3", "Key Derivation")
    auth = "".join(k for k, _ in (
        (m.group(1), 0) for m in (re.match(r"^\s+([0-9A-F]{28,32})\s+[0-9A-F]{32}\s*$", l) for l in b3) if m))
    write("rfc3711_b3_kdf", [("master_key", field(b3, "master key:")), ("master_salt", field(b3, "master salt:")),
                             ("cipher_key", field(b3, "cipher key:")), ("cipher_salt", field(b3, "cipher salt:")),
                             ("auth_key", auth.lower())])

    r6188 = read(6188)
    s71 = section(r6188, "7.1", "AES-256-CM")
    pairs = [("session_key", hex_block(s71, "Session Key:")), ("salt", field(s71, "Session Salt:")[:28])]
    pairs += [(f"block_{c}", k) for c, k in keystream_table(s71)]
    write("rfc6188_7_1_aes256_cm", pairs)
    s72 = section(r6188, "7.2", "AES_256_CM_PRF")
    write("rfc6188_7_2_kdf", [("master_key", hex_block(s72, "master key:")), ("master_salt", field(s72, "master salt:")),
                              ("cipher_key", hex_block(s72, "cipher key:")), ("cipher_salt", field(s72, "cipher salt:")),
                              ("auth_key", field(s72, "auth key:"))])

    r7714 = read(7714)
    specs = [
        ("16.1.1", "Encryption", "Encrypted and tagged packet:"),
        ("16.1.2", "Decryption", "Verified and tagged packet:"),
        ("16.1.3", "Tagging", "Tagged packet:"),
        ("16.1.4", "Verification", None),
        ("16.2.1", "Encryption", "Encrypted and tagged packet:"),
        ("16.2.2", "Decryption", "Verified and tagged packet:"),
        ("16.2.3", "Tagging", "Tagged packet:"),
        ("16.2.4", "Verification", None),
        ("17.1", "Encryption", "Encrypted and tagged packet:"),
        ("17.2", "Decryption", "Verified and decrypted packet:"),
        ("17.3", "Tagging", "Tagged packet:"),
        ("17.4", "Verification", "Verified packet:"),
    ]
    for num, word, out_label in specs:
        sec = section(r7714, num, word)
        inp = hex_block(sec, "following packet:", first_inline=False)
        pairs = [("key", hex_block(sec, "Key:")), ("salt", field(sec, "salt:")), ("input", inp)]
        if out_label:
            pairs.append(("output", hex_block(sec, out_label, first_inline=False)))
        if num.startswith("17"):
            pairs.append(("srtcp_index", "000005d4"))
        write("rfc7714_" + num.replace(".", "_"), pairs)


main()
