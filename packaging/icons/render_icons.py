"""Render vmi-desktop.svg to the PNG and ICO files the installers use (run after editing the SVG).

    python packaging/icons/render_icons.py

Needs PySide6 with QtSvg (the development venv has it; the bundle leaves QtSvg out, which is
why the app loads the PNG). macOS builds the .icns from the PNGs with iconutil (packaging/macos/build.sh).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parent
SIZES = (16, 32, 48, 64, 128, 256, 512)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    """The icon at ``size`` x ``size`` pixels, transparent around the tile."""
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(HERE / "vmi-desktop.svg"))
    if not renderer.isValid():
        raise SystemExit("vmi-desktop.svg did not parse")
    out = HERE / "png"
    out.mkdir(exist_ok=True)
    for size in SIZES:
        render(renderer, size).save(str(out / f"vmi-desktop-{size}.png"))
    # The package's own copy, which the window uses as its icon.
    render(renderer, 256).save(str(HERE.parents[1] / "vmi_desktop" / "resources" / "vmi-desktop.png"))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    render(renderer, 256).save(buffer, "ICO")
    (HERE / "vmi-desktop.ico").write_bytes(bytes(data))
    print(f"wrote {len(SIZES)} PNGs, the package icon and vmi-desktop.ico")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
