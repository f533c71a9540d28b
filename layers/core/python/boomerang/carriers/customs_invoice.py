"""The commercial invoice of a cross-border return (CN23 data), rendered when the carrier gives none:
an A4 PDF beside the label (labels/<shop>/<rma>-customs.pdf) that the customer prints and attaches.

It says what customs ask of a returned consignment: sender and addressee, category "Returned
goods", the original order number (the importer reclaims the export's duty against it), and per
line its description, quantity, net weight, value in the order's currency, HS tariff number and
country of origin, with the totals and the signer's declaration. Deterministic (reportlab's
invariant mode), so a retried step writes the same bytes.
"""

from __future__ import annotations

import io
from decimal import Decimal

from boomerang.carriers.label_pdf import SPECIMEN
from boomerang.domain.labels import LabelRequest
from boomerang.domain.models import Address

A4 = (595.27, 841.89)
MARGIN = 42.0
# Column x positions: description, quantity, weight, value, HS code, origin.
COLUMNS = (MARGIN, 268.0, 312.0, 372.0, 452.0, 520.0)


def _lines(address: Address) -> list[str]:
    city = " ".join(p for p in (address.postal_code, address.city, address.region or "") if p)
    return [p for p in (address.name, address.company or "", address.line1, address.line2 or "", city,
                        address.country) if p]  # fmt: skip


def _kg(grams: int) -> str:
    return format((Decimal(grams) / 1000).quantize(Decimal("0.001")), "f")


def render_invoice(
    request: LabelRequest, carrier: str, tracking_number: str, specimen: bool = False
) -> bytes:
    from reportlab.pdfgen import canvas

    customs = request.customs
    assert customs is not None, "an invoice belongs to a parcel that crosses a customs border"
    width, height = A4
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=True)
    pdf.setTitle(f"Commercial invoice {request.ret.rma}")
    pdf.setSubject(f"CN23 returned goods, order {customs.invoice_number}")

    if specimen:
        pdf.saveState()
        pdf.setFillGray(0.85)
        pdf.setFont("Helvetica-Bold", 30)
        pdf.translate(width / 2, height / 2)
        pdf.rotate(50)
        pdf.drawCentredString(0, 0, SPECIMEN)
        pdf.restoreState()

    y = height - MARGIN - 16
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(MARGIN, y, "COMMERCIAL INVOICE - CUSTOMS DECLARATION (CN23)")
    pdf.setFont("Helvetica", 9)
    y -= 18
    pdf.drawString(MARGIN, y, "Category of item: RETURNED GOODS")
    pdf.drawRightString(width - MARGIN, y, f"Return {request.ret.rma}   {request.now:%Y-%m-%d}")
    y -= 13
    pdf.drawString(MARGIN, y, f"Original invoice / order number: {customs.invoice_number}")
    pdf.drawRightString(width - MARGIN, y, f"{carrier} {tracking_number}")

    y -= 28
    top = y
    for x, title, address in ((MARGIN, "FROM (sender)", request.ship_from),
                              (width / 2, "TO (addressee)", request.hub.address)):  # fmt: skip
        y = top
        pdf.setFont("Helvetica-Bold", 9)
        pdf.drawString(x, y, title)
        pdf.setFont("Helvetica", 10)
        for line in _lines(address):
            y -= 13
            pdf.drawString(x, y, line[:48])
    y = top - 13 * 7 - 10

    pdf.setFont("Helvetica-Bold", 8)
    value = f"Value {customs.currency}"
    headers = ("Detailed description of contents", "Qty", "Net kg", value, "HS tariff no.", "Origin")
    for x, text in zip(COLUMNS, headers, strict=True):
        pdf.drawString(x, y, text)
    pdf.line(MARGIN, y - 4, width - MARGIN, y - 4)
    pdf.setFont("Helvetica", 9)
    grams = 0
    for item in customs.items:
        y -= 15
        grams += item.weight_grams
        cells = (item.description, str(item.quantity), _kg(item.weight_grams), item.value.decimal_string(),
                 item.hs_code, item.origin_country)  # fmt: skip
        for x, text in zip(COLUMNS, cells, strict=True):
            pdf.drawString(x, y, text)
    pdf.line(MARGIN, y - 6, width - MARGIN, y - 6)
    y -= 20
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(MARGIN, y, "Total")
    pdf.drawString(COLUMNS[2], y, _kg(grams))
    pdf.drawString(COLUMNS[3], y, customs.total.decimal_string())

    y -= 36
    pdf.setFont("Helvetica", 9)
    pdf.drawString(MARGIN, y, customs.explanation + ".")
    y -= 13
    pdf.drawString(
        MARGIN, y, "Goods returned unchanged to the seller; duty relief as returned goods is requested."
    )
    y -= 26
    pdf.drawString(
        MARGIN, y, "I certify that the particulars given in this declaration are correct and that this item"
    )
    y -= 12
    pdf.drawString(
        MARGIN,
        y,
        "does not contain any dangerous article prohibited by legislation or by postal regulations.",
    )
    y -= 26
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(MARGIN, y, f"Signed for {request.signer}, {request.now:%Y-%m-%d}")
    pdf.showPage()
    pdf.save()
    return out.getvalue()
