"""Pictures of a chip identity card's back for the browser tests: its QR code (DOMAIN.md's text format) on a card in
a frame, as a photo (PNG) and as a camera's video (Y4M, what Chromium's fake capture device plays in a loop)."""

import io
from datetime import date
from pathlib import Path

from PIL import Image, ImageDraw

from certificates.qr import qr_png

FRAME = (640, 480)  # the fake camera's picture, in pixels


def card_text(cccd: str, full_name: str, born: date, female: bool, issued: date = date(2021, 5, 1)) -> str:
    """What the QR code on the back of a chip card says: number|old number|name|ddmmyyyy|sex|address|ddmmyyyy."""
    sex = "Nữ" if female else "Nam"
    return (f"{cccd}||{full_name}|{born:%d%m%Y}|{sex}|Số 12 phố Đội Cấn, Phường Ba Đình, Hà Nội|"
            f"{issued:%d%m%Y}")


def card_photo(text: str) -> Image.Image:
    """A grey-blue card on a dark table, its QR code at the left and lines standing for the printed text, as a
    phone's camera would frame it."""
    frame = Image.new("RGB", FRAME, (60, 60, 64))
    draw = ImageDraw.Draw(frame)
    draw.rounded_rectangle((40, 60, 600, 420), radius=24, fill=(222, 228, 236))
    code = Image.open(io.BytesIO(qr_png(text))).convert("RGB")
    module = max(1, 300 // code.width)
    code = code.resize((code.width * module, code.height * module), Image.Resampling.NEAREST)
    frame.paste(code, (70, 90))
    for n in range(6):  # the printed lines beside the code
        y = 110 + n * 40
        draw.rectangle((400, y, 570 - (n % 3) * 30, y + 12), fill=(120, 126, 140))
    return frame


def png_bytes_of(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def write_y4m(image: Image.Image, path: Path, frames: int = 2) -> Path:
    """The picture as a YUV4MPEG2 video (4:2:0), for Chromium's `--use-file-for-fake-video-capture`."""
    width, height = image.size
    y, cb, cr = image.convert("YCbCr").split()
    half = (width // 2, height // 2)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + planes)
    return path
