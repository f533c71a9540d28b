"""A local stand-in that speaks EasyPost's HTTP API, for `make local`, `make demo` and the
integration tests: the label step's real EasyPost SDK talks to it over HTTP (the workflow's
EASYPOST_API_BASE), as it talks to api.easypost.com in production.

Its answers are EasyPost's recorded replies (tests/data/easypost, provenance in that folder's
README.md), made per request: a new shipment id, the request's reference (the RMA) and addresses,
a tracking number of its own, and the label's and QR code's files served from here. A parcel that
carries customs info gets the cross-border recording (DHL Express; no QR code, no carrier
invoice), any other the domestic one (USPS, with a QR code for printer-free drop-off).

    POST /v2/shipments                 -> the recorded Shipment (rates)
    POST /v2/shipments/{id}/buy        -> the recorded bought Shipment (tracking code, postage label)
    POST /v2/shipments/{id}/forms      -> label_qr_code: the recorded Form, or the recorded 422
    POST /v2/trackers                  -> the recorded Tracker
    GET  /v2/shipments/{id}            -> the shipment as created, or as bought (a resumed purchase)
    POST /v2/refunds                   -> the recorded Refund ("submitted") per tracking code
    GET  /files/postage_label/{id}.pdf -> a PDF label (it says it comes from this stand-in)
    GET  /files/form/{id}.pdf          -> the QR code for drop-off, as a PDF

Requests need an EasyPost API key (a Bearer token, as the SDK sends it); what was asked is kept in
`requests` (method, path, body) for tests. Nothing here reaches the network.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

RECORDINGS = Path(__file__).resolve().parents[1] / "tests" / "data" / "easypost"
DOMESTIC, CROSS_BORDER = "return_label_qr", "return_customs_de_us"
# Carrier accounts the stand-in knows besides the recorded ones (USPS, DHL Express): a shipment
# rated with one of them gets the recording's rates as that carrier's, as EasyPost rates with the
# accounts a request names. The demo shops' European and origin hubs ship with GLS and DHL.
LOCAL_CARRIER_ACCOUNTS = {"ca_local_gls": "GLS", "ca_local_dhl": "DHL", "ca_local_ups": "UPS"}


def _recorded(name: str) -> dict[str, tuple[int, Any]]:
    """The recording's replies by what they answer: create, buy, forms, tracker."""
    interactions = yaml.safe_load((RECORDINGS / f"{name}.yaml").read_text())["interactions"]
    replies: dict[str, tuple[int, Any]] = {}
    for interaction in interactions:
        uri = interaction["request"]["uri"]
        what = uri.rstrip("/").rsplit("/", 1)[-1]
        kind = {"shipments": "create", "buy": "buy", "forms": "forms", "trackers": "tracker"}[what]
        response = interaction["response"]
        replies[kind] = (int(response["status"]["code"]), json.loads(response["body"]["string"]))
    return replies


def _refund_recorded() -> tuple[int, Any]:
    """EasyPost's recorded reply to POST /v2/refunds (a list of Refunds, status "submitted")."""
    interactions = yaml.safe_load((RECORDINGS / "refund_create.yaml").read_text())["interactions"]
    response = next(i for i in interactions if i["request"]["uri"].endswith("/v2/refunds"))["response"]
    return int(response["status"]["code"]), json.loads(response["body"]["string"])


def _pdf(lines: list[str], qr: str | None = None) -> bytes:
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode import qr as qr_code
    from reportlab.graphics.shapes import Drawing
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(288, 432), invariant=True)
    y = 400
    for n, line in enumerate(lines):
        pdf.setFont("Helvetica-Bold" if n == 0 else "Helvetica", 12 if n == 0 else 10)
        pdf.drawString(18, y, line[:60])
        y -= 18
    if qr:
        widget = qr_code.QrCodeWidget(qr)
        drawing = Drawing(180, 180)
        drawing.add(widget)
        renderPDF.draw(drawing, pdf, 54, 60)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


@dataclass
class FakeEasyPost:
    host: str = "127.0.0.1"
    port: int = 0
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """What the SDK is given as `api_base` (EASYPOST_API_BASE)."""
        return f"{self.base_url}/v2"

    def start(self) -> FakeEasyPost:
        self.recordings = {name: _recorded(name) for name in (DOMESTIC, CROSS_BORDER)}
        self.refund_reply = _refund_recorded()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet, as a server in tests
                pass

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if path.startswith("/v2/"):
                    if not _authorized(self.headers.get("Authorization", "")):
                        self._answer(401, b'{"error": {"code": "APIKEY.INACTIVE"}}', "application/json")
                        return
                    status, answer = fake.retrieve(path)
                    self._answer(status, json.dumps(answer).encode(), "application/json")
                    return
                status, body, kind = fake.file(self.path)
                self._answer(status, body, kind)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if not _authorized(self.headers.get("Authorization", "")):
                    body = {"error": {"code": "APIKEY.INACTIVE", "message": "No API key given", "errors": []}}
                    self._answer(401, json.dumps(body).encode(), "application/json")
                    return
                sent = json.loads(raw) if raw else {}
                status, answer = fake.answer(self.path.split("?")[0], sent)
                self._answer(status, json.dumps(answer).encode(), "application/json")

            def _answer(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="fake-easypost", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- the API ------------------------------------------------------------------------------

    def answer(self, path: str, sent: dict[str, Any]) -> tuple[int, Any]:
        with self._lock:
            self.requests.append(("POST", path, sent))
        parts = path.strip("/").split("/")  # v2, shipments, {id}, buy
        if parts[1:] == ["shipments"]:
            return self._create(sent.get("shipment") or {})
        if parts[1:] == ["trackers"]:
            return self._tracker(sent.get("tracker") or {})
        if parts[1:] == ["refunds"]:
            return self._refund(sent.get("refund") or {})
        if len(parts) == 4 and parts[1] == "shipments" and parts[2] in self.shipments:
            if parts[3] == "buy":
                return self._buy(parts[2])
            if parts[3] == "forms":
                return self._form(parts[2], (sent.get("form") or {}).get("type", ""))
        return 404, {"error": {"code": "NOT_FOUND", "message": "The requested resource could not be found."}}

    def retrieve(self, path: str) -> tuple[int, Any]:
        with self._lock:
            self.requests.append(("GET", path, {}))
        parts = path.strip("/").split("/")  # v2, shipments, {id}
        kept = self.shipments.get(parts[2]) if len(parts) == 3 and parts[1] == "shipments" else None
        if kept is None:
            return 404, {
                "error": {"code": "NOT_FOUND", "message": "The requested resource could not be found."}
            }
        if kept["bought"] is not None:
            return 200, kept["bought"]
        _, reply = copy.deepcopy(self.recordings[kept["recording"]]["create"])
        return 200, _with(reply, parts[2], kept["asked"])

    def _refund(self, asked: dict[str, Any]) -> tuple[int, Any]:
        status, reply = copy.deepcopy(self.refund_reply)
        refunds = []
        for code in asked.get("tracking_codes") or []:
            shipment_id = next(
                (
                    sid
                    for sid, k in self.shipments.items()
                    if (k["bought"] or {}).get("tracking_code") == code
                ),
                None,
            )
            refunds.append({**reply[0], "id": f"rfnd_{uuid.uuid4().hex}", "tracking_code": code,
                            "carrier": asked.get("carrier"), "shipment_id": shipment_id})  # fmt: skip
        with self._lock:
            self.refunds.extend(refunds)
        return status, refunds

    def refunds_for(self, body: dict[str, Any]) -> dict[str, Any]:
        """The refunds asked for the labels of the shipments referenced `body["reference"]` (an RMA)."""
        reference = str(body.get("reference") or "")
        with self._lock:
            ids = {sid for sid, k in self.shipments.items() if k["asked"].get("reference") == reference}
            return {"refunds": [r for r in self.refunds if r.get("shipment_id") in ids]}

    def _create(self, asked: dict[str, Any]) -> tuple[int, Any]:
        recording = CROSS_BORDER if asked.get("customs_info") else DOMESTIC
        status, reply = copy.deepcopy(self.recordings[recording]["create"])
        shipment_id = f"shp_{uuid.uuid4().hex}"
        reply = _with(reply, shipment_id, asked)
        with self._lock:
            self.shipments[shipment_id] = {"recording": recording, "asked": asked, "bought": None}
        return status, reply

    def _buy(self, shipment_id: str) -> tuple[int, Any]:
        kept = self.shipments[shipment_id]
        status, reply = copy.deepcopy(self.recordings[kept["recording"]]["buy"])
        reply = _with(reply, shipment_id, kept["asked"])
        digits = int(hashlib.sha256(shipment_id.encode()).hexdigest()[:16], 16) % 10**18
        tracking = f"9400{digits:018d}" if kept["recording"] == DOMESTIC else f"{digits % 10**10:010d}"
        reply["tracking_code"] = tracking
        label = reply.get("postage_label") or {}
        label["label_url"] = label["label_pdf_url"] = f"{self.base_url}/files/postage_label/{shipment_id}.pdf"
        reply["postage_label"] = label
        with self._lock:
            kept["bought"] = reply
        return status, reply

    def _form(self, shipment_id: str, form_type: str) -> tuple[int, Any]:
        status, reply = copy.deepcopy(self.recordings[self.shipments[shipment_id]["recording"]]["forms"])
        if status >= 400 or form_type != "label_qr_code":
            return status, reply
        bought = copy.deepcopy(self.shipments[shipment_id]["bought"] or {})
        forms = [dict(f) for f in reply.get("forms") or []]
        for form in forms:
            if form.get("form_type") == "label_qr_code":
                form["form_url"] = f"{self.base_url}/files/form/{shipment_id}.pdf"
        bought["forms"] = forms
        return status, bought

    def _tracker(self, asked: dict[str, Any]) -> tuple[int, Any]:
        recording = next(
            (
                k["recording"]
                for k in self.shipments.values()
                if (k["bought"] or {}).get("tracking_code") == asked.get("tracking_code")
            ),
            DOMESTIC,
        )
        status, reply = copy.deepcopy(self.recordings[recording]["tracker"])
        reply["tracking_code"] = asked.get("tracking_code", reply.get("tracking_code"))
        reply["id"] = f"trk_{uuid.uuid4().hex}"
        return status, reply

    def shipments_for(self, body: dict[str, Any]) -> dict[str, Any]:
        """What was asked for the shipments referenced `body["reference"]` (an RMA): the demo shows
        the customs info a cross-border label was bought with."""
        reference = str(body.get("reference") or "")
        with self._lock:
            asked = [
                {
                    "id": sid,
                    "customs_info": k["asked"].get("customs_info"),
                    "options": k["asked"].get("options"),
                }
                for sid, k in self.shipments.items()
                if k["asked"].get("reference") == reference
            ]
        return {"shipments": asked}

    # --- the files the replies link to --------------------------------------------------------

    def file(self, path: str) -> tuple[int, bytes, str]:
        name = path.split("?")[0].rsplit("/", 1)[-1].removesuffix(".pdf")
        kept = self.shipments.get(name)
        if kept is None or kept["bought"] is None:
            return 404, b"not found", "text/plain"
        bought = kept["bought"]
        rate = bought.get("selected_rate") or {}
        if "/files/form/" in path:
            lines = ["Drop-off QR code (local EasyPost stand-in)", f"{rate.get('carrier', '')}"]
            return (
                200,
                _pdf([*lines, str(bought["tracking_code"])], qr=str(bought["tracking_code"])),
                "application/pdf",
            )
        lines = [
            "LOCAL EASYPOST STAND-IN: NO POSTAGE",
            f"{rate.get('carrier', '')} {rate.get('service', '')}",
            f"Tracking {bought['tracking_code']}",
            f"Reference {bought.get('reference') or ''}",
        ]
        return 200, _pdf(lines), "application/pdf"


def _authorized(header: str) -> bool:
    """An EasyPost key as the SDK sends it (Bearer), or as curl's Basic auth does."""
    if header.startswith("Bearer "):
        return header[7:].startswith("EZ")
    if not header.startswith("Basic "):
        return False
    try:
        user = base64.b64decode(header[6:]).decode().split(":", 1)[0]
    except ValueError:
        return False
    return user.startswith("EZ")


def _with(reply: dict[str, Any], shipment_id: str, asked: dict[str, Any]) -> dict[str, Any]:
    """The recorded shipment made this request's: its id, reference, addresses, options, and the
    carrier of the account it was rated with (LOCAL_CARRIER_ACCOUNTS)."""
    reply["id"] = shipment_id
    reply["reference"] = asked.get("reference")
    reply["is_return"] = bool(asked.get("is_return"))
    for side in ("from_address", "to_address"):
        if asked.get(side):
            reply[side] = {**(reply.get(side) or {}), **asked[side], "object": "Address"}
    reply["options"] = {**(reply.get("options") or {}), **(asked.get("options") or {})}
    accounts = [a.get("id") if isinstance(a, dict) else a for a in asked.get("carrier_accounts") or []]
    account = next((a for a in accounts if a in LOCAL_CARRIER_ACCOUNTS), None)
    rates = [*(reply.get("rates") or []), *([reply["selected_rate"]] if reply.get("selected_rate") else [])]
    for rate in rates:
        rate["shipment_id"] = shipment_id
        if account:
            rate.update(carrier=LOCAL_CARRIER_ACCOUNTS[account], carrier_account_id=account)
    return reply
