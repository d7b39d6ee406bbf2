"""A small FX service: GET /convert?amount=100&to=USD."""
import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

RATES = {"EUR": 1.0, "USD": 1.08, "GBP": 0.86, "CHF": 0.95}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/convert":
            self.send_error(404)
            return
        query = parse_qs(url.query)
        amount = float(query.get("amount", ["0"])[0])
        to = query.get("to", ["EUR"])[0]
        if to not in RATES:
            self.send_error(400, "unknown currency")
            return
        body = json.dumps({"amount": round(amount * RATES[to], 2), "currency": to})
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())


if __name__ == "__main__":
    HTTPServer(("", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
