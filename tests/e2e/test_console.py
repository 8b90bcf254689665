"""The web console (``/-/console``) of a real ``moto-forge serve``: driven in Debian's headless
Chromium through Selenium and chromedriver (upload a file, see it listed, open its history,
diff two roots, download an old version and compare bytes, delete), and over plain HTTP for
its access rules (login, tenants, CSRF, removed keys, hostile input).

``MOTO_FORGE_CONSOLE_SCREENSHOTS=DIR`` saves a screenshot of each page the browser test
visits into DIR (the README's pictures come from there)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from moto_forge import tenants
from tests.e2e.conftest import Served, start_server

pytestmark = pytest.mark.no_forge

CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ALICE = ("AKIAALICECONSOLE0001", "alice-secret-for-the-console-test")
BOB = ("AKIABOBCONSOLE000002", "bob-secret-for-the-console-test")
SHOTS = os.environ.get("MOTO_FORGE_CONSOLE_SCREENSHOTS")


def s3_as(server: Served, key: tuple[str, str]) -> Any:
    return boto3.client(
        "s3", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id=key[0],
        aws_secret_access_key=key[1], config=Config(retries={"max_attempts": 1}),
    )  # fmt: skip


@pytest.fixture
def tenanted(tmp_path: Path) -> Iterator[tuple[Served, str]]:
    """A server that checks signatures, with tenants alice and bob (``ALICE``, ``BOB``)."""
    path = str(tmp_path / "tenants.toml")
    tenants.add_tenant(path, "alice", *ALICE)
    tenants.add_tenant(path, "bob", *BOB)
    server = start_server(str(tmp_path))
    yield server, path
    server.stop()


# ---- in the browser ---------------------------------------------------------------------


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    """Headless Chromium (Debian's) under Selenium, downloading into a fresh directory."""
    assert CHROMEDRIVER is not None and CHROMIUM is not None, "make test installs chromium and chromium-driver"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run"):  # fmt: skip
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options.add_argument(f"--user-data-dir={profile}")
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})  # fmt: skip
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(60)
    try:
        yield driver, downloads
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(check: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except Exception:  # the page is still loading: try again
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def shot(driver: Any, name: str) -> None:
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))


def keys_listed(driver: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    return [row.get_attribute("data-key") for row in driver.find_elements(By.CSS_SELECTOR, "tr.key")]


def test_console_in_a_browser(tenanted: tuple[Served, str], browser: tuple[Any, Path], tmp_path: Path) -> None:
    """Log in, upload through the page, see it listed, overwrite it, open its history, diff
    the two roots, download the old version (bytes compared), delete; the history records
    who made each write."""
    from selenium.webdriver.common.by import By

    server, _ = tenanted
    driver, downloads = browser
    s3 = s3_as(server, ALICE)
    s3.create_bucket(Bucket="photos")
    s3.put_object(Bucket="photos", Key="albums/2026/cover.jpg", Body=b"\xff\xd8 not a jpeg", ContentType="image/jpeg")
    s3_as(server, BOB).create_bucket(Bucket="bobs-bucket")

    driver.get(server.url + "/-/console/")
    wait_for(lambda: driver.find_element(By.ID, "access_key"), "the login form")
    shot(driver, "login")
    driver.find_element(By.ID, "access_key").send_keys(ALICE[0])
    driver.find_element(By.ID, "secret_key").send_keys(ALICE[1])
    driver.find_element(By.ID, "login").click()
    table = wait_for(lambda: driver.find_element(By.ID, "buckets"), "the bucket list")
    assert "photos" in table.text and "bobs-bucket" not in table.text  # a tenant sees its own buckets
    shot(driver, "buckets")

    driver.find_element(By.LINK_TEXT, "photos").click()
    wait_for(lambda: driver.find_element(By.ID, "dropzone"), "the bucket page")
    assert "albums/" in driver.find_element(By.ID, "keys").text
    first = tmp_path / "notes.txt"
    first.write_bytes(b"first version of the notes\n")
    driver.find_element(By.ID, "upload").send_keys(str(first))
    wait_for(lambda: "notes.txt" in keys_listed(driver), "the uploaded file in the listing")
    assert s3.get_object(Bucket="photos", Key="notes.txt")["Body"].read() == first.read_bytes()
    shot(driver, "bucket")

    second = tmp_path / "upload-2" / "notes.txt"
    second.parent.mkdir()
    second.write_bytes(b"second version, longer than the first one\n")
    driver.find_element(By.ID, "upload").send_keys(str(second))
    wait_for(lambda: s3.get_object(Bucket="photos", Key="notes.txt")["Body"].read() == second.read_bytes(),
             "the overwrite")  # fmt: skip

    driver.get(server.url + "/-/console/b/photos/object?key=notes.txt")
    facts = wait_for(lambda: driver.find_element(By.ID, "manifest"), "the object page")
    assert re.search(r"baf[a-z0-9]{50,}", facts.text), facts.text  # the manifest's CID is shown
    assert len(driver.find_elements(By.CSS_SELECTOR, "#chunks li")) == 1
    shot(driver, "object")

    driver.get(server.url + "/-/console/b/photos/history")
    rows = wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "tr.root"), "the history")
    assert [row.find_element(By.CSS_SELECTOR, "td.op").text for row in rows[:2]] == ["PutObject notes.txt"] * 2
    assert rows[0].find_element(By.CSS_SELECTOR, "td.actor").text == f"key:{ALICE[0]}"
    old_root = rows[1].get_attribute("data-root")
    shot(driver, "history")
    driver.find_element(By.ID, "compare").click()  # the newest two roots are preselected
    summary = wait_for(lambda: driver.find_element(By.ID, "diff-summary"), "the diff")
    assert summary.text.startswith("0 added, 0 removed, 1 changed"), summary.text
    assert "notes.txt" in driver.find_element(By.ID, "diff").text
    shot(driver, "diff")

    driver.get(f"{server.url}/-/console/b/photos?root={old_root}")
    wait_for(lambda: driver.find_element(By.ID, "as-of"), "the bucket as of the old root")
    row = next(r for r in driver.find_elements(By.CSS_SELECTOR, "tr.key") if r.get_attribute("data-key") == "notes.txt")
    row.find_element(By.LINK_TEXT, "Download").click()
    downloaded = wait_for(lambda: [p for p in downloads.iterdir() if p.name == "notes.txt"], "the download")[0]
    assert wait_for(lambda: downloaded.read_bytes() == first.read_bytes(), "the old version's bytes")

    driver.get(server.url + "/-/console/b/photos")
    wait_for(lambda: "notes.txt" in keys_listed(driver), "the listing")
    row = next(r for r in driver.find_elements(By.CSS_SELECTOR, "tr.key") if r.get_attribute("data-key") == "notes.txt")
    row.find_element(By.CSS_SELECTOR, "button.delete").click()
    driver.switch_to.alert.accept()
    wait_for(lambda: "notes.txt" not in keys_listed(driver), "the delete")
    assert "Contents" not in s3.list_objects_v2(Bucket="photos", Prefix="notes.txt")

    driver.get(server.url + "/-/console/forge")
    assert "embedded local store" in wait_for(lambda: driver.find_element(By.ID, "forge"), "the Forge page").text
    shot(driver, "forge")


# ---- over HTTP: who may see what ------------------------------------------------------------


def login(server: Served, key: tuple[str, str]) -> requests.Session:
    session = requests.Session()
    answer = session.post(f"{server.url}/-/console/login", data={"access_key": key[0], "secret_key": key[1]})
    assert answer.status_code == 200, answer.text
    assert 'id="buckets"' in answer.text or 'id="no-buckets"' in answer.text, answer.text
    return session


def csrf_of(session: requests.Session, server: Served) -> str:
    page = session.get(f"{server.url}/-/console/").text
    found = re.search(r'data-csrf="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_console_access_rules(tenanted: tuple[Served, str]) -> None:
    server, tenants_path = tenanted
    s3_as(server, ALICE).create_bucket(Bucket="alices")
    s3_as(server, ALICE).put_object(Bucket="alices", Key="secret.txt", Body=b"for alice only")

    anonymous = requests.get(f"{server.url}/-/console/b/alices", allow_redirects=False)
    assert anonymous.status_code == 303 and "/-/console/login" in anonymous.headers["Location"]
    wrong = requests.post(f"{server.url}/-/console/login", data={"access_key": ALICE[0], "secret_key": "nope"})
    assert wrong.status_code == 403 and 'id="login-failed"' in wrong.text
    offsite_form = {"access_key": ALICE[0], "secret_key": ALICE[1], "next": "https://evil.example/"}
    offsite = requests.post(f"{server.url}/-/console/login", allow_redirects=False, data=offsite_form)
    assert offsite.headers["Location"] == "/-/console/"  # never redirected off the console

    bob = login(server, BOB)
    for page in ("b/alices", "b/alices/object?key=secret.txt", "b/alices/download?key=secret.txt",
                 "b/alices/history", "b/alices/export"):  # fmt: skip
        answer = bob.get(f"{server.url}/-/console/{page}")
        assert answer.status_code == 404 and b"for alice only" not in answer.content, page
    token = csrf_of(bob, server)
    refused = bob.post(f"{server.url}/-/console/api/presign", headers={"X-CSRF-Token": token},
                       json={"bucket": "alices", "key": "x", "method": "PUT"})  # fmt: skip
    assert refused.status_code == 404

    alice = login(server, ALICE)
    assert alice.get(f"{server.url}/-/console/b/alices/download?key=secret.txt").content == b"for alice only"
    no_token = alice.post(f"{server.url}/-/console/api/presign", json={"bucket": "alices", "key": "x", "method": "PUT"})
    assert no_token.status_code == 403  # a page on another origin cannot read the token
    token = csrf_of(alice, server)
    asked = {"bucket": "alices", "key": "from-console", "method": "PUT", "content_type": "text/plain"}
    signed = alice.post(f"{server.url}/-/console/api/presign", headers={"X-CSRF-Token": token}, json=asked)
    assert signed.status_code == 200
    put = requests.put(signed.json()["url"], data=b"via presigned", headers={"Content-Type": "text/plain"})
    assert put.status_code == 200, put.text
    assert s3_as(server, ALICE).get_object(Bucket="alices", Key="from-console")["Body"].read() == b"via presigned"

    page = alice.get(f"{server.url}/-/console/b/alices")
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert page.headers["Referrer-Policy"] == "no-referrer"

    tenants.remove_tenant(tenants_path, "alice")  # removed keys stop at once, sessions included
    gone = alice.get(f"{server.url}/-/console/b/alices", allow_redirects=False)
    assert gone.status_code == 303 and "/login" in gone.headers["Location"]


def test_open_console_escapes_hostile_keys_and_refuses_bad_input(tmp_path: Path) -> None:
    """Without credentials the console is open, as S3 is; keys are the client's text, so every
    page escapes them; bad parameters are 400/404 pages, never a 500."""
    server = start_server(str(tmp_path))
    try:
        s3 = s3_as(server, ("testing", "testing"))
        s3.create_bucket(Bucket="open")
        hostile = '<img src=x onerror="alert(1)">&"\'.txt'
        s3.put_object(Bucket="open", Key=hostile, Body=b"x", Metadata={"note": "<script>alert(2)</script>"})
        listing = requests.get(f"{server.url}/-/console/b/open").text
        detail = requests.get(f"{server.url}/-/console/b/open/object", params={"key": hostile}).text
        for text in (listing, detail):
            assert "<img src=x" not in text and "<script>alert" not in text
        assert "&lt;img src=x" in listing and "&lt;script&gt;alert(2)" in detail
        for page, status in (("b/open?root=not-a-cid", 400), ("b/open/object", 400), ("b/open/object?key=nope", 404),
                             ("b/nope", 404), ("b/open/diff?from=bafy", 400), ("nothing-here", 404)):  # fmt: skip
            assert requests.get(f"{server.url}/-/console/{page}").status_code == status, page
    finally:
        server.stop()


def test_no_console_flag(tmp_path: Path) -> None:
    server = start_server(str(tmp_path), "--no-console")
    try:
        answer = requests.get(f"{server.url}/-/console/")
        assert answer.status_code != 200 or "moto_forge console" not in answer.text
    finally:
        server.stop()
