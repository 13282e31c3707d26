#!/bin/sh
# Times libsrtp2 (the system library, via pkg-config) on the rows of
# `cargo bench -p rtclite-benches --bench srtp`. Run it right before or
# after that bench: the machine is shared, so compare ratios, not absolutes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${TMPDIR:-/tmp}/rtclite_srtp_bench
cc -O2 -o "$out" "$here/srtp_bench.c" $(pkg-config --cflags --libs libsrtp2)
lib=$(ldd "$out" | awk '/libsrtp2/ {print $3}')
backend=$(ldd "$lib" 2>/dev/null | grep -Eo 'libnss3|libcrypto' | head -n1 || true)
echo "libsrtp2 $(pkg-config --modversion libsrtp2) from $lib (crypto backend: ${backend:-libsrtp built-in})"
"$out"
