"""The bundled CJK font, cut down to the glyphs of one page and embedded as a web font.

A report must show its Chinese text on a machine with no Chinese font
installed (a fresh Linux box, an office PC with a locked-down font folder).
:func:`font_face_css` subsets the bundled font
(:data:`capacity.report.fonts.FONT_PATH`, Noto Sans CJK SC under the SIL
Open Font License 1.1, whose licence allows subsetting and embedding) to
exactly the characters of the page, with fontTools, and returns a CSS
``@font-face`` rule holding it as a ``data:`` URI: WOFF2 when the
``brotli`` package is installed, WOFF (zlib) otherwise. A page of a few
hundred distinct Chinese characters costs some 100–300 kB.

The page's characters are collected by :func:`page_characters` from the
text a reader sees (markup stripped, entities decoded); the caller passes
every string the page's scripts show as well (map labels, popups), because
those are not in the HTML text.
"""

from __future__ import annotations

import base64
import html
import io
import re

FAMILY = "Capacity Sans CJK SC"
"""The CSS family name of the embedded subset (first in the page's font stack)."""

_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)


def page_characters(*texts: str) -> str:
    """The distinct non-ASCII-control characters of ``texts`` (HTML tags removed, entities decoded), sorted."""
    chars = set()
    for text in texts:
        plain = html.unescape(_TAGS.sub(" ", text))
        chars.update(c for c in plain if c >= " ")
    return "".join(sorted(chars))


def _flavor() -> str:
    try:
        import brotli  # noqa: F401
    except ImportError:
        return "woff"
    return "woff2"


def subset_font(characters: str, font_path=None, flavor: str | None = None) -> bytes:
    """The bundled font reduced to ``characters`` (plus .notdef), as WOFF2 or WOFF bytes.

    Parameters
    ----------
    characters : str
        The characters to keep; those the font lacks are left to the fallback fonts.
    font_path : Path, optional
        An OpenType font (default: the bundled CJK font).
    flavor : {"woff2", "woff"}, optional
        Default: ``woff2`` when ``brotli`` is installed, else ``woff``.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from capacity.report.fonts import FONT_PATH

    flavor = flavor or _flavor()
    options = subset.Options()
    options.flavor = flavor
    options.layout_features = ["*"]
    options.name_IDs = ["*"]  # keep the copyright and licence records (OFL 1.1, clause 2)
    options.notdef_outline = True
    options.hinting = False
    options.desubroutinize = True  # smaller once compressed
    font = TTFont(str(font_path or FONT_PATH), lazy=True)
    sub = subset.Subsetter(options)
    sub.populate(unicodes=sorted({ord(c) for c in characters}))
    sub.subset(font)
    out = io.BytesIO()
    font.flavor = flavor
    font.save(out)
    return out.getvalue()


def font_face_css(characters: str, font_path=None) -> str:
    """A CSS ``@font-face`` rule for :data:`FAMILY` holding the subset as a ``data:`` URI."""
    flavor = _flavor()
    data = base64.b64encode(subset_font(characters, font_path, flavor)).decode("ascii")
    return (f'@font-face{{font-family:"{FAMILY}";font-style:normal;font-weight:400;font-display:block;'
            f'src:url(data:font/{flavor};base64,{data}) format("{flavor}")}}')
