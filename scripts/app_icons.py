"""Draw the installable app's icons: python scripts/app_icons.py

A phone shows these on its home screen and splash screen (the manifest at
/manifest.webmanifest lists them).  Drawn rather than hand-made so a change of colour is one
line; the PNGs are committed, so serving them needs neither this script nor a font."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent.parent / "webui" / "static" / "offline"
SIZES = (192, 512)
BACKGROUND = "#b02a37"  # the federation's red, dark enough for white text (contrast > 4.5)
FONTS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
         "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def font(size: int):
    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    raise SystemExit("no Chinese font found: apt-get install fonts-wqy-microhei")


def icon(size: int) -> Image.Image:
    # Full bleed, the mark inside the middle 80%: a "maskable" icon any launcher may crop.
    image = Image.new("RGB", (size, size), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text((size / 2, size / 2), "妇", font=font(int(size * 0.52)), fill="white",
              anchor="mm")
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        icon(size).save(OUT / f"icon-{size}.png", optimize=True)
        print(OUT / f"icon-{size}.png")


if __name__ == "__main__":
    main()
