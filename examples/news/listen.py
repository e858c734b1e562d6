"""A webhook listener to try podium's news on: Apprise `json://HOST:PORT/PATH` URLs post
here, and every message becomes one line of `--out` (`/PATH: text`; the title too when it
says something the text does not).

    python examples/news/listen.py --port 8001 --out news.log
"""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path


def serve(port: int, out: Path) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            size = min(int(self.headers.get("Content-Length", "0")), 1_000_000)
            try:
                message = json.loads(self.rfile.read(size) or b"{}")
            except ValueError:
                message = {}
            title = str(message.get("title", "")).replace("\n", " ")
            body = str(message.get("message", "")).replace("\n", " ")
            with out.open("a", encoding="utf-8") as log:
                shown = body if title in body else f"{title}: {body}"
                log.write(f"{self.path}: {shown}\n")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            """Quiet: the messages go to `--out`."""

    HTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--out", type=Path, default=Path("news.log"))
    args = parser.parse_args()
    serve(args.port, args.out)
