#!/usr/bin/env bash
# Renders a space-time diagram in a real browser: gcast sim --svg, then
# headless Chromium takes a screenshot, and the PNG must show a drawing (not
# a blank page or an error page): enough dark pixels (lanes, labels) and
# enough of the data arrows' blue.
# Usage: render_test.sh GCAST [KEEP_DIR]. Exit 77 (skipped) without chromium.
set -euo pipefail

gcast=$1
keep=${2:-}
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "render_test: chromium not installed (scripts/setup.sh installs it): skipped"
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$gcast" sim --members 4 --reliability ip --ordering causal --messages 12 --interval 10ms \
  --latency 3ms --jitter 1ms --loss 0.15 --seed 5 --quiet --svg "$dir/run.svg"
test -s "$dir/run.svg"

timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$dir/profile" --screenshot="$dir/run.png" --window-size=1600,900 \
  "file://$dir/run.svg" >"$dir/chromium.log" 2>&1 || { cat "$dir/chromium.log"; exit 1; }
test -s "$dir/run.png" || { echo "render_test: no screenshot"; cat "$dir/chromium.log"; exit 1; }
[ -n "$keep" ] && cp "$dir/run.png" "$dir/run.svg" "$keep/"

python3 - "$dir/run.png" <<'PY'
import struct, sys, zlib

def pixels(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color in (2, 6) and interlace == 0, "unsupported PNG"
            bpp = 4 if color == 6 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, prev, rows = zlib.decompress(idat), width * bpp, bytearray(width * bpp), []
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, bpp, rows

w, h, bpp, rows = pixels(sys.argv[1])
dark = blue = 0
for line in rows:
    for i in range(0, len(line), bpp):
        r, g, b = line[i], line[i + 1], line[i + 2]
        dark += r < 100 and g < 100 and b < 100
        blue += b > 140 and r < 60 and 80 < g < 150   # the data arrows' #0072B2
total = w * h
print(f"render_test: {w}x{h}, dark {dark} ({100 * dark / total:.2f}%), data-blue {blue}")
assert dark > total * 0.003, "the screenshot is blank or nearly so"
assert blue > 200, "no data arrows visible"
PY
echo "render_test: ok"
