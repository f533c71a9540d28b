"""The customer pages' static assets on their own port, as CloudFront serves them deployed:
GET /<version>/<name> (boomerang/web/assets.py), a year's Cache-Control, the right content type,
gzip when the browser takes it. Read from the repository on each request, so an edit shows at once
(the version in the URL is the one the stack started with)."""

from __future__ import annotations

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from boomerang.web.assets import CONTENT_TYPES, asset_files, assets_version

ROOT = Path(__file__).resolve().parent.parent


class AssetServer(ThreadingHTTPServer):
    daemon_threads = True
    version: str
    files: dict[str, Path]

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> AssetServer:
        threading.Thread(target=self.serve_forever, name="assets", daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def make_asset_server(host: str = "127.0.0.1", port: int = 0) -> AssetServer:
    class Assets(BaseHTTPRequestHandler):
        server: AssetServer

        def do_GET(self) -> None:
            parts = self.path.split("?")[0].strip("/").split("/")
            path = (
                self.server.files.get(parts[1])
                if len(parts) == 2 and parts[0] == self.server.version
                else None
            )
            if path is None:
                self.send_error(404)
                return
            data = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPES.get(path.suffix, "application/octet-stream"))
            self.send_header("Cache-Control", "public, max-age=31536000, immutable")
            self.send_header("Access-Control-Allow-Origin", "*")
            if "gzip" in (self.headers.get("Accept-Encoding") or ""):
                data = gzip.compress(data)
                self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = AssetServer((host, port), Assets)
    server.version = assets_version(ROOT)
    server.files = asset_files(ROOT)
    return server
