"""A web page on another origin uploads and downloads through the bucket's CORS rules, in a
real headless Chromium (Debian's), against a real ``moto-forge serve``."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Served, client, start_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PAGE = """<!doctype html>
<html><body><pre id="out">pending</pre>
<script>
(async () => {
  const results = {};
  for (const bucket of ["web", "closed"]) {
    const url = "%(server)s/" + bucket + "/hello.txt";
    try {
      const put = await fetch(url, {method: "PUT", body: "hello from " + bucket,
                                    headers: {"Content-Type": "text/plain", "x-amz-meta-from": "chromium"}});
      const got = await fetch(url);
      results[bucket] = {put: put.status, etag: put.headers.get("ETag"), get: got.status, text: await got.text(),
                         meta: got.headers.get("x-amz-meta-from")};
    } catch (error) {
      results[bucket] = {error: String(error)};
    }
  }
  document.getElementById("out").textContent = JSON.stringify(results);
})();
</script></body></html>
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def page_origin(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static web server on its own origin (``http://localhost:<port>``), serving ``tmp_path``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}", tmp_path
    server.shutdown()
    server.server_close()


def run_page(url: str) -> dict[str, Any]:
    """Load ``url`` in headless Chromium, let its script finish, and return what it reported."""
    assert CHROMIUM is not None, "no chromium: make test installs it (scripts/ensure-test-deps)"
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--virtual-time-budget=20000", "--dump-dom", url],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    found = re.search(r'<pre id="out">(.*?)</pre>', done.stdout, re.S)
    assert found is not None, done.stderr[-2000:]
    text = html.unescape(found.group(1))
    assert text != "pending", "the page's script did not finish"
    result: dict[str, Any] = json.loads(text)
    return result


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by scripts/ensure-test-deps")
def test_a_page_on_another_origin_uploads_and_downloads_with_cors(
    tmp_path: Path, page_origin: tuple[str, Path]
) -> None:
    origin, site = page_origin
    served: Served = start_server(str(tmp_path))
    try:
        s3 = client(served.url)
        s3.create_bucket(Bucket="web")
        s3.create_bucket(Bucket="closed")
        s3.put_bucket_cors(Bucket="web", CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": ["http://elsewhere.example"], "AllowedMethods": ["GET"]},
            {"AllowedOrigins": [origin], "AllowedMethods": ["GET", "PUT"], "AllowedHeaders": ["content-type",
             "x-amz-meta-*"], "ExposeHeaders": ["ETag", "x-amz-meta-from"], "MaxAgeSeconds": 60},
        ]})  # fmt: skip
        (site / "page.html").write_text(PAGE % {"server": served.url})

        results = run_page(f"{origin}/page.html")

        web = results["web"]
        assert (web["put"], web["get"], web["text"]) == (200, 200, "hello from web")
        assert web["etag"] and web["meta"] == "chromium"  # exposed to the page by the rule
        assert "error" in results["closed"]  # no CORS on that bucket: the preflight is refused
        assert s3.get_object(Bucket="web", Key="hello.txt")["Metadata"] == {"from": "chromium"}
        assert s3.list_objects_v2(Bucket="closed")["KeyCount"] == 0  # the browser never sent the PUT
    finally:
        served.stop()
