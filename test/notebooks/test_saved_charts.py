"""The committed notebooks as a reader sees them untrusted (GitHub, nbviewer, VS Code, JupyterLab
before "Trust Notebook"): every chart output — one carrying a plotly figure or an SVG, which an
untrusted notebook does not render — also carries an image/png, and that PNG decodes to a picture
that is not blank. Reads the saved files only (no kernel); PNGs decoded with zlib here."""
import base64
import json
import struct
import unittest
import zlib
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CHART_MIMES = ("application/vnd.plotly.v1+json", "image/svg+xml")


def decode_png(data: bytes):
    """(width, height, rows of pixel bytes) of an 8-bit RGB/RGBA/gray PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    pos, idat, width = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8, f"bit depth {depth}"
            bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
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
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


class SavedChartsTests(unittest.TestCase):
    def test_every_saved_chart_has_a_real_png(self):
        charts = 0
        for path in sorted(NOTEBOOKS.glob("*.ipynb")):
            nb = json.loads(path.read_text())
            for i, cell in enumerate(nb["cells"]):
                for out in cell.get("outputs", []):
                    data = out.get("data", {})
                    if not any(m in data for m in CHART_MIMES):
                        continue
                    charts += 1
                    where = f"{path.name} cell {i}"
                    self.assertTrue("image/png" in data, f"{where}: a chart without image/png shows nothing untrusted (it has {sorted(data)})")
                    png = data["image/png"]
                    width, height, bpp, rows = decode_png(base64.b64decode("".join(png) if isinstance(png, list) else png))
                    self.assertGreater(width * height, 100, where)
                    pixels = {row[x:x + bpp] for row in rows for x in range(0, len(row), bpp)}
                    self.assertGreater(len(pixels), 5, f"{where}: the PNG is blank ({len(pixels)} colours)")
        self.assertGreater(charts, 0, "the notebooks show no chart at all")


if __name__ == "__main__":
    unittest.main()
