"""Make the bundled CJK font: a GB 2312 subset of Noto Sans CJK SC (SIL OFL 1.1).

Maps and charts print Chinese place names. Matplotlib's default font has no
hanzi, and a planner's machine may have no CJK font at all, so the package
ships its own: Noto Sans CJK SC Regular (Adobe / Google, SIL Open Font
License 1.1), cut down with fontTools to

* the 6,763 hanzi and the symbol rows of GB 2312 (every character of the
  national standard set, so every county, town and school name of a
  mainland city prints),
* Basic Latin, Latin-1, general punctuation, CJK symbols and punctuation,
  full-width forms, and the few math/unit signs the reports use
  (≥ ≤ × − ‰ ² ³ · °),
* any extra characters passed with ``--text`` or found in ``--scan`` files
  (e.g. a rare hanzi in a place name outside GB 2312).

The outlines stay CFF (an ``.otf``); matplotlib's Agg backend renders them.
Hinting and layout tables other than the ones Latin needs are dropped to keep
the file a few MB. The family is renamed ``Capacity Sans CJK SC`` because a
subset is a Modified Version under the OFL (the upstream Reserved Font Name is
"Source"; this name does not use it). The licence is written beside the font.

Usage::

    apt-get install -y fonts-noto-cjk          # the source font (Debian)
    python tools/make_cjk_font.py              # writes capacity/report/fonts/
    python tools/make_cjk_font.py --scan data/kunming/zones.gpkg  # plus rare names
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

SOURCE_TTC = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SOURCE_COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")
FAMILY = "Capacity Sans CJK SC"
PS_NAME = "CapacitySansCJKSC-Regular"
OUT_DIR = Path(__file__).resolve().parents[1] / "capacity" / "report" / "fonts"
OUT_NAME = "CapacitySansCJKSC-Regular.otf"

RANGES = (
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x00FF),  # Latin-1 supplement
    (0x2010, 0x205E),  # general punctuation (– — ‘ ’ “ ” … ‰ ※)
    (0x2100, 0x2199),  # letterlike symbols, number forms, arrows
    (0x2200, 0x22FF),  # mathematical operators (− ≤ ≥ ×)
    (0x2460, 0x24FF),  # enclosed numerals
    (0x2500, 0x257F),  # box drawing
    (0x25A0, 0x25FF),  # geometric shapes
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF01, 0xFF5E),  # full-width forms
    (0xFFE0, 0xFFE6),  # full-width signs (￥)
)


def gb2312_characters() -> set[str]:
    """Every character of GB 2312 (rows 1–9 symbols, rows 16–87 hanzi)."""
    chars = set()
    for hi in list(range(0xA1, 0xAA)) + list(range(0xB0, 0xF8)):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def base_characters() -> set[str]:
    chars = gb2312_characters()
    for a, b in RANGES:
        chars.update(chr(c) for c in range(a, b + 1))
    return chars


def scan_text(path: Path) -> str:
    """Text of a file to scan for extra characters (CSV/TOML/MD as text; GPKG via pyogrio)."""
    if path.suffix == ".gpkg":
        import pyogrio

        parts = []
        for name, _ in pyogrio.list_layers(path):
            df = pyogrio.read_dataframe(path, layer=name, read_geometry=False)
            parts.append(df.astype(str).to_csv(index=False))
        return "\n".join(parts)
    return path.read_text(encoding="utf-8", errors="ignore")


def ofl_text(font) -> str:
    """The licence file: the font's copyright notice, then the OFL 1.1 text."""
    copyright_line = font["name"].getDebugName(0) or "© 2014-2021 Adobe (http://www.adobe.com/)."
    body = ""
    if SOURCE_COPYRIGHT.is_file():
        text = SOURCE_COPYRIGHT.read_text(encoding="utf-8")
        m = re.search(r"^License: SIL-1\.1\n((?: .*\n)+)", text, flags=re.M)
        if m:
            body = "\n".join("" if ln.strip() == "." else ln[1:] for ln in m.group(1).splitlines())
    if not body:
        raise SystemExit(f"cannot find the OFL text in {SOURCE_COPYRIGHT}")
    return (f"{FAMILY} ({OUT_NAME}) is a subset of Noto Sans CJK SC Regular\n"
            f"(https://github.com/notofonts/noto-cjk), made by tools/make_cjk_font.py.\n\n"
            f"Copyright: {copyright_line.rstrip('.')}, with Reserved Font Name 'Source'.\n"
            f"Noto is a trademark of Google LLC.\n\n"
            f"This Font Software is licensed under the SIL Open Font License, Version 1.1.\n"
            f"This license is copied below, and is also available with a FAQ at:\n"
            f"https://openfontlicense.org\n\n{body}\n")


def rename(font) -> None:
    """Give the subset its own family name (name IDs 1, 3, 4, 6, 16, 17)."""
    table = font["name"]
    for rec in list(table.names):
        if rec.nameID in (1, 16):
            table.setName(FAMILY, rec.nameID, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 4:
            table.setName(f"{FAMILY} Regular", 4, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 6:
            table.setName(PS_NAME, 6, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 3:
            table.setName(f"{PS_NAME};capacity-subset", 3, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 17:
            table.setName("Regular", 17, rec.platformID, rec.platEncID, rec.langID)
    cff = font["CFF "].cff
    cff.fontNames = [PS_NAME]
    top = cff.topDictIndex[0]
    top.FullName = f"{FAMILY} Regular"
    top.FamilyName = FAMILY


def make(source: Path, out_dir: Path, extra: str = "", font_number: int | None = None) -> Path:
    """Subset ``source`` to the characters above and write it and its licence into ``out_dir``."""
    from fontTools.subset import Options, Subsetter
    from fontTools.ttLib import TTCollection, TTFont

    if source.suffix.lower() == ".ttc":
        fonts = TTCollection(source).fonts
        if font_number is None:
            font_number = next(i for i, f in enumerate(fonts)
                               if f["name"].getDebugName(1) == "Noto Sans CJK SC")
        font = TTFont(source, fontNumber=font_number)
    else:
        font = TTFont(source)
    chars = base_characters() | {c for c in extra if ord(c) > 0x1F}
    opts = Options()
    opts.hinting = False
    opts.desubroutinize = False
    opts.layout_features = ["kern", "liga", "locl", "vert", "vrt2", "fwid", "hwid", "halt", "palt"]
    opts.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14, 16, 17]
    opts.name_languages = ["*"]
    opts.notdef_outline = True
    opts.glyph_names = False
    sub = Subsetter(options=opts)
    sub.populate(unicodes=sorted(ord(c) for c in chars))
    sub.subset(font)
    rename(font)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / OUT_NAME
    font.save(out)
    (out_dir / "OFL.txt").write_text(ofl_text(font), encoding="utf-8")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=SOURCE_TTC,
                    help=f"Noto Sans CJK font (.ttc/.otf); default {SOURCE_TTC}")
    ap.add_argument("--out", type=Path, default=OUT_DIR, help=f"output folder; default {OUT_DIR}")
    ap.add_argument("--text", default="", help="extra characters to keep")
    ap.add_argument("--scan", type=Path, nargs="*", default=[],
                    help="files whose characters to keep too (csv, toml, md, gpkg)")
    args = ap.parse_args(argv)
    if not args.source.is_file():
        print(f"{args.source} not found; install the Debian package fonts-noto-cjk", file=sys.stderr)
        return 1
    extra = args.text + "".join(scan_text(p) for p in args.scan)
    out = make(args.source, args.out, extra)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB) and {out.parent / 'OFL.txt'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
