"""The bundled CJK font (capacity.report.fonts): present, free, and renders Chinese without missing glyphs."""

import logging
import warnings

import numpy as np
import pytest

from capacity.report import fonts


def test_font_ships_with_its_licence():
    assert fonts.FONT_PATH.is_file() and fonts.FONT_PATH.suffix == ".otf"
    assert 1e6 < fonts.FONT_PATH.stat().st_size < 8e6  # a subset of a few MB
    text = fonts.LICENSE_PATH.read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in text and "Noto Sans CJK SC" in text
    assert fonts.FAMILY == "Capacity Sans CJK SC"


def test_font_covers_gb2312_and_place_names():
    from fontTools.ttLib import TTFont

    cmap = TTFont(fonts.FONT_PATH)["cmap"].getBestCmap()
    names = "昆明市五华区盘龙区官渡区西山区东川区呈贡区晋宁区富民县宜良县石林彝族自治县嵩明县禄劝彝族苗族自治县寻甸回族彝族自治县安宁市磨憨镇"
    assert all(ord(c) in cmap for c in names + "≥≤×−‰²·—–“”，。（）ABCxyz0123456789")
    gb = [bytes([hi, lo]).decode("gb2312") for hi in range(0xB0, 0xF8) for lo in range(0xA1, 0xFF)
          if not (hi == 0xD7 and lo > 0xF9)]
    assert len(gb) == 6763 and all(ord(c) in cmap for c in gb)


def test_chinese_renders_without_missing_glyphs(caplog):
    import matplotlib.pyplot as plt

    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        with fonts.style():
            fig, ax = plt.subplots(figsize=(3, 1))
            ax.set_title("磨憨镇 Mohan — 学位余缺 ≥ 99 %")
            ax.text(0.1, 0.4, "呈贡区 嵩明县 寻甸回族彝族自治县 −120")
            fig.canvas.draw()
            img = np.asarray(fig.canvas.buffer_rgba())
            plt.close(fig)
    messages = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    assert not [m for m in messages if "missing" in m.lower() or "findfont" in m.lower()], messages
    assert img[..., :3].std() > 5  # something was drawn


def test_without_the_font_glyphs_would_be_missing():
    """The check above can fail: DejaVu Sans alone has no hanzi."""
    import matplotlib.pyplot as plt

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with plt.rc_context({"font.family": "DejaVu Sans"}):
            fig, ax = plt.subplots(figsize=(2, 1))
            ax.set_title("磨憨")
            fig.canvas.draw()
            plt.close(fig)
    missing = [str(w.message) for w in caught if "missing" in str(w.message).lower()]
    if not missing:
        from matplotlib import font_manager

        others = [f.name for f in font_manager.fontManager.ttflist
                  if f.fname != str(fonts.FONT_PATH) and any(k in f.name for k in ("CJK", "Hei", "Song", "Han"))]
        if others:
            pytest.skip(f"matplotlib falls back to a system CJK font ({others[0]}); nothing to contrast")
    assert missing, "DejaVu Sans alone drew 磨憨 without a missing-glyph warning: the check above could not fail"
    assert any("磨" in m or "\\N" in m or "Glyph" in m for m in missing), missing
