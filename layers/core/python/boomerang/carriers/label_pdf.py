"""A printable return label (4 x 6 in PDF): the hub's address, the RMA as a Code 128 barcode (what
the warehouse scans) and a QR code of the same RMA (what a phone at a drop-off point reads).

A specimen (the sandbox carrier's label, for a shop in test mode) says across the page and on top
that it is not valid for postage: it carries no postage, and nobody should try to mail it.

reportlab is imported here, on first use: only the label step renders PDFs.
"""

from __future__ import annotations

import io
from typing import Any

from boomerang.domain.models import Hub, Label

# 4 x 6 inches in PDF points: the size thermal label printers take.
PAGE_WIDTH = 288.0
PAGE_HEIGHT = 432.0
MARGIN = 18.0
# The barcode's narrowest bar: 1.5 pt (0.53 mm), well above what a warehouse scanner resolves.
BAR_WIDTH = 1.5
BAR_HEIGHT = 64.0
QR_SIZE = 96.0
SPECIMEN = "SPECIMEN — NOT VALID FOR POSTAGE"


def render_label(rma: str, hub: Hub, label: Label, specimen: bool = False) -> bytes:
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode import code128, qr
    from reportlab.graphics.shapes import Drawing
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    # invariant: no creation time or random id in the file, so a retried step writes the same bytes.
    pdf = canvas.Canvas(out, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=True)
    pdf.setTitle(f"Return label {rma}")
    pdf.setSubject(f"{label.carrier} {label.tracking_number}")

    if specimen:
        _specimen(pdf)

    y = PAGE_HEIGHT - MARGIN - 12
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawString(MARGIN, y, f"RETURN - {label.carrier}")
    pdf.setFont("Helvetica", 8)
    pdf.drawRightString(PAGE_WIDTH - MARGIN, y, f"Valid until {label.valid_until:%Y-%m-%d}")

    y -= 28
    pdf.setFont("Helvetica", 8)
    pdf.drawString(MARGIN, y, "SHIP TO")
    address = hub.address
    lines = [address.name, address.line1, address.line2 or "",
             " ".join(p for p in (address.postal_code, address.city, address.region or "") if p),
             address.country]  # fmt: skip
    pdf.setFont("Helvetica-Bold", 11)
    for line in (line for line in lines if line):
        y -= 14
        pdf.drawString(MARGIN + 8, y, line)

    y -= 24
    pdf.setFont("Helvetica", 8)
    pdf.drawString(MARGIN, y, f"Tracking {label.tracking_number}")

    barcode = code128.Code128(rma, barWidth=BAR_WIDTH, barHeight=BAR_HEIGHT, humanReadable=True, quiet=True)
    y -= BAR_HEIGHT + 20
    barcode.drawOn(pdf, (PAGE_WIDTH - barcode.width) / 2, y)

    widget = qr.QrCodeWidget(rma, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, (PAGE_WIDTH - QR_SIZE) / 2, MARGIN + 14)

    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawCentredString(PAGE_WIDTH / 2, MARGIN, rma)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _specimen(pdf: Any) -> None:
    # Light grey, drawn first: under the address and the barcode, which stay readable and scannable.
    pdf.saveState()
    pdf.setFillGray(0.8)
    pdf.setFont("Helvetica-Bold", 17)
    pdf.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    pdf.rotate(56)
    pdf.drawCentredString(0, 0, SPECIMEN)
    pdf.restoreState()
    pdf.setFont("Helvetica-Bold", 8)
    pdf.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 9, SPECIMEN)
