"""The Python package against a sandbox served on 127.0.0.1.

The sandbox is SENDCLOUD_SANDBOX_URL when set, else a `sendcloud sandbox` started here
(the binary at SENDCLOUD_BIN, or target/debug/sendcloud).

The package tested is the one `import sendcloud` finds: the checkout's copy with
PYTHONPATH=sendcloud-ffi/python, or an installed one. SENDCLOUD_TEST_INSTALLED=1 asserts
that it is an installed copy, outside the repository, with the library inside it.
"""

import hashlib
import hmac
import importlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
from pathlib import Path
from unittest import mock

import sendcloud
from sendcloud import (
    ApiError,
    Client,
    ConfigError,
    DecodeError,
    HookRejected,
    HookReplayed,
    HookVerifier,
    HttpError,
    InvalidInput,
    SendCloudError,
    TransportError,
    parse_send_response,
)

ROOT = Path(__file__).resolve().parents[3]
PACKAGE_DIR = Path(sendcloud.__file__).resolve().parent
_sandbox = None
BASE_URL = None


def setUpModule():
    global _sandbox, BASE_URL
    BASE_URL = os.environ.get("SENDCLOUD_SANDBOX_URL")
    if BASE_URL:
        return
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = os.environ.get("SENDCLOUD_BIN", str(target / "debug" / "sendcloud"))
    _sandbox = subprocess.Popen(
        [binary, "sandbox", "--listen", "127.0.0.1:0", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    BASE_URL = json.loads(_sandbox.stdout.readline())["base_url"]


def tearDownModule():
    if _sandbox is not None:
        _sandbox.terminate()
        _sandbox.wait(timeout=10)
        _sandbox.stdout.close()


def client(**kw):
    kw.setdefault("timeout", 5)
    return Client("sandbox-user", "sandbox-key", base_url=BASE_URL, **kw)


def signed(key, token, ts, **fields):
    """An SMSHook form body signed like SendCloud does: HMAC-SHA256(key, timestamp + token)."""
    sig = hmac.new(key.encode(), (str(ts) + token).encode(), hashlib.sha256).hexdigest()
    pairs = list(fields.items()) + [("token", token), ("timestamp", str(ts)), ("signature", sig)]
    return urllib.parse.urlencode(pairs).encode()


class BlockingTests(unittest.TestCase):
    def test_send(self):
        with client(sha256=True) as c:
            r = c.send(1, "13800000001", vars={"code": "123456"}, tag={"user": 42})
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.success_count, 1)
        self.assertEqual(len(r.sms_ids), 1)
        self.assertEqual(r.rejected, [])
        self.assertFalse(r.already_accepted)

    def test_an_invalid_number_is_refused_before_sending(self):
        # The library applies SendCloud's (and the sandbox's) rule: a 10-digit number is
        # refused, and named.
        with self.assertRaises(InvalidInput) as cm:
            client().send(1, ["13800000001", "1380000000"], vars={"code": "123456"})
        self.assertEqual(cm.exception.field, "phone")
        self.assertIn('"1380000000" has 10 digits', cm.exception.rule)
        # A partial success from a service that refuses a number is read as before.
        partial = (
            b'{"result":true,"statusCode":311,"message":"partial","info":{"successCount":1,'
            b'"smsIds":["a$13800000001"],"items":[{"phone":"1380000000","message":"bad"}]}}'
        )
        r = parse_send_response(200, partial)
        self.assertEqual((r.status_code, r.success_count), (311, 1))
        self.assertEqual([x.phone for x in r.rejected], ["1380000000"])
        self.assertTrue(r.rejected[0].message)

    def test_api_error(self):
        with self.assertRaises(ApiError) as cm:
            client().send(999, "13800000001")
        self.assertEqual(cm.exception.status_code, 431)
        self.assertIsInstance(cm.exception, SendCloudError)

    def test_voice_code_time(self):
        c = client()
        rid = "py-voice-%d-%d" % (time.time_ns(), os.getpid())
        self.assertEqual(c.send_voice("13800000002", "4321", request_id=rid).success_count, 1)
        self.assertEqual(c.send_code("13800000003", "654321", sign_name="Sandbox").success_count, 1)
        now = int(time.time() * 1000)
        self.assertLess(abs(c.server_time() - now), 60_000)

    def test_wrong_key_is_not_shown(self):
        c = Client("sandbox-user", "wrong-key-xyz", base_url=BASE_URL, max_attempts=1)
        self.assertNotIn("wrong-key-xyz", repr(c))
        with self.assertRaises(ApiError) as cm:
            c.send(1, "13800000001", vars={"code": "1234"})
        self.assertNotIn("wrong-key-xyz", str(cm.exception))

    def test_transport_and_config_errors(self):
        c = Client("u", "k", base_url="http://127.0.0.1:1", timeout=2, max_attempts=1)
        with self.assertRaises(TransportError):
            c.server_time()
        with self.assertRaises(ConfigError):
            Client("u", "k", base_url="http://sms.example.com")

    def test_invalid_inputs(self):
        c = client()
        cases = [
            (lambda: c.send(0, "13800000001"), "templateId"),
            (lambda: c.send(1, "12"), "phone"),
            (lambda: c.send(1, "13800000001", vars="not json"), "vars"),
            (lambda: c.send(1, "13800000001", tag="[1]"), "tag"),
            (lambda: c.send(1, "13800000001", request_id=""), "sendRequestId"),
            (lambda: c.send(1, "13800000001", msg_type=2), "msgType"),
            (lambda: c.send_voice("13800000001", "12"), "code"),
            (lambda: c.send_code("13800000001", "1234"), "signId"),
            (lambda: Client("u", "", base_url=BASE_URL), "smsKey"),
            (lambda: Client("u", "k", base_url="ftp://x"), "baseUrl"),
        ]
        for call, field in cases:
            with self.subTest(field=field):
                with self.assertRaises(InvalidInput) as cm:
                    call()
                self.assertEqual(cm.exception.field, field)
                self.assertTrue(cm.exception.rule)

    def test_not_utf8_and_oversized(self):
        # A lone surrogate is passed on as bytes that are not UTF-8, and refused by the library.
        with self.assertRaises(InvalidInput) as cm:
            client().send(1, "\udcff")
        self.assertEqual((cm.exception.field, cm.exception.code), ("phones", 2))
        with self.assertRaises(InvalidInput) as cm:
            client().send(1, "1" * (17 << 20))
        self.assertEqual(cm.exception.field, "phones")


class SettingsTests(unittest.TestCase):
    def test_timeout_bounds_an_attempt(self):
        # A listener that never answers: the timeout, not the default 30 s, ends the call.
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)
            url = "http://127.0.0.1:%d/smsapi" % silent.getsockname()[1]
            c = Client("u", "k", base_url=url, timeout=0.3, connect_timeout=0.2, max_attempts=1)
            started = time.monotonic()
            with self.assertRaises(TransportError):
                c.server_time()
            self.assertLess(time.monotonic() - started, 5)

    def test_retries_are_bounded(self):
        c = Client("u", "k", base_url="http://127.0.0.1:1", max_attempts=2, timeout=2)
        with self.assertRaises(TransportError):
            c.server_time()

    def test_plain_http_on_request(self):
        with self.assertRaises(ConfigError):
            Client("u", "k", base_url="http://sms.example.com/smsapi")
        c = Client("u", "k", base_url="http://sms.example.com/smsapi", allow_plain_http=True)
        req = c.prepare_send(1, "13800000001", vars={"code": "1"}, now_ms=1_700_000_000_000)
        self.assertEqual(req.url, "http://sms.example.com/smsapi/send")
        # The prepared request leaves the Host header to the HTTP client that sends it.
        self.assertNotIn("host", [name for name, _ in req.headers])

    def test_sha256_signs_with_sha256(self):
        for sha256, length in ((False, 32), (True, 64)):
            c = Client("u", "k", base_url="https://sms.example.com/smsapi", sha256=sha256)
            body = urllib.parse.parse_qs(c.prepare_send(1, "13800000001", now_ms=1).body.decode())
            self.assertEqual(len(body["signature"][0]), length)

    def test_refused_settings(self):
        cases = [
            (lambda: Client("u", "k", timeout=0), "timeout"),
            (lambda: Client("u", "k", timeout=-1), "timeout"),
            (lambda: Client("u", "k", timeout=float("nan")), "timeout"),
            (lambda: Client("u", "k", connect_timeout=0), "connectTimeout"),
            (lambda: Client("u", "k", max_attempts=-1), "maxAttempts"),
            (lambda: Client("u", "k", base_url="\udcff"), "baseUrl"),
            (lambda: Client("", "k"), "smsUser"),
        ]
        for call, field in cases:
            with self.subTest(field=field):
                with self.assertRaises(InvalidInput) as cm:
                    call()
                self.assertEqual(cm.exception.field, field)
                self.assertTrue(cm.exception.rule)
        # A timeout too long for the library is its longest, not an error.
        c = client(timeout=float("inf"), connect_timeout=1e300)
        self.assertGreater(c.server_time(), 0)


class LibraryTests(unittest.TestCase):
    def test_the_library_in_use(self):
        path = Path(sendcloud.library_path())
        self.assertTrue(path.is_file())
        self.assertTrue(sendcloud.version())
        if os.environ.get("SENDCLOUD_LIB"):
            self.assertEqual(path, Path(os.environ["SENDCLOUD_LIB"]))
        if os.environ.get("SENDCLOUD_TEST_INSTALLED") == "1":
            # An installed copy, outside the repository, with its own library.
            self.assertNotIn(ROOT, PACKAGE_DIR.parents)
            self.assertEqual(path.parent, PACKAGE_DIR)
            self.assertTrue((PACKAGE_DIR / "py.typed").is_file())
            # The distribution's version is the library's.
            from importlib.metadata import version

            self.assertEqual(version("sendcloud-rs"), sendcloud.version())

    def test_where_the_library_is_looked_for(self):
        lib = importlib.import_module("sendcloud._lib")
        env = {k: v for k, v in os.environ.items() if k not in ("SENDCLOUD_LIB", "CARGO_TARGET_DIR")}
        with tempfile.TemporaryDirectory() as target:
            # A release build older than the debug build: the newer one comes first.
            for profile, age in (("release", 100), ("debug", 0)):
                (Path(target) / profile).mkdir()
                f = Path(target) / profile / "libsendcloud_ffi.so"
                f.write_bytes(b"")
                os.utime(f, (time.time() - age, time.time() - age))
            with mock.patch.dict(os.environ, dict(env, CARGO_TARGET_DIR=target), clear=True):
                found = list(lib.candidates())
            with mock.patch.dict(os.environ, dict(env, SENDCLOUD_LIB="/x/lib.so"), clear=True):
                self.assertEqual(list(lib.candidates()), [Path("/x/lib.so")])
        bundled = [p for p in found if p.parent == PACKAGE_DIR]
        self.assertTrue(bundled, found)
        debug = Path(target) / "debug" / "libsendcloud_ffi.so"
        release = Path(target) / "release" / "libsendcloud_ffi.so"
        if ROOT in PACKAGE_DIR.parents:
            # The checkout's copy: the newest build first, here the debug one.
            self.assertEqual(found[0], debug)
            self.assertLess(found.index(debug), found.index(release))
        else:
            # An installed copy looks next to itself only, never into a target directory.
            self.assertEqual(found, bundled)


class SansIoTests(unittest.TestCase):
    def test_prepare_and_parse(self):
        c = Client("my-user", "my-secret-key", base_url="https://sms.example.com/smsapi")
        req = c.prepare_send(7, "13800000001", vars={"code": "1"}, now_ms=1_700_000_000_000)
        self.assertEqual(req.method, "POST")
        self.assertEqual(req.url, "https://sms.example.com/smsapi/send")
        self.assertIn(("content-type", "application/x-www-form-urlencoded"), req.headers)
        self.assertIn(b"timestamp=1700000000000", req.body)
        self.assertNotIn(b"my-secret-key", req.body)

        ok = b'{"result":true,"statusCode":200,"message":"ok","info":{"smsIds":["a$1"]}}'
        r = parse_send_response(200, ok)
        self.assertEqual((r.status_code, r.success_count, r.sms_ids), (200, 1, ["a$1"]))
        with self.assertRaises(ApiError) as cm:
            parse_send_response(200, b'{"result":false,"statusCode":412,"message":"bad"}')
        self.assertEqual(cm.exception.status_code, 412)
        with self.assertRaises(HttpError) as cm:
            parse_send_response(502, b"bad gateway")
        self.assertEqual(cm.exception.http_status, 502)
        with self.assertRaises(DecodeError):
            parse_send_response(200, b"not json")
        with self.assertRaises(InvalidInput):
            parse_send_response(0, ok)

    def test_roundtrip_with_urllib(self):
        import urllib.request

        c = client()
        req = c.prepare_send(1, "13800000001", vars={"code": "123456"})
        http_req = urllib.request.Request(req.url, data=req.body, method=req.method)
        for name, value in req.headers:
            http_req.add_header(name, value)
        with urllib.request.urlopen(http_req, timeout=5) as resp:
            r = parse_send_response(resp.status, resp.read())
        self.assertEqual(r.success_count, 1)


class HookTests(unittest.TestCase):
    TS = 1_700_000_000_000

    def test_verify_replay_and_rejections(self):
        v = HookVerifier(["old-key", "hook-key"])
        self.assertNotIn("hook-key", repr(v))
        body = signed("hook-key", "tok-1", self.TS, event="deliver", smsId="a$13800000001", phone="13800000001")
        ev = v.verify(body, "application/x-www-form-urlencoded", now_ms=self.TS + 1000)
        self.assertEqual(ev.event, "deliver")
        self.assertEqual(ev.sms_id, "a$13800000001")
        self.assertEqual(ev.phone, "13800000001")
        self.assertEqual(ev.token, "tok-1")
        self.assertEqual(ev.timestamp_ms, self.TS)
        self.assertEqual(ev.status_code, 0)

        with self.assertRaises(HookReplayed) as cm:
            v.verify(body, now_ms=self.TS + 2000)
        self.assertEqual(cm.exception.http_status, 200)
        self.assertIsInstance(cm.exception, HookRejected)

        failed = signed("hook-key", "tok-2", self.TS, event="delivererror", smsId="b$1", phone="13800000002", statusCode="500")
        self.assertEqual(v.verify(failed, now_ms=self.TS).status_code, 500)

        forged = signed("other-key", "tok-3", self.TS, event="deliver", smsId="c$1")
        with self.assertRaises(HookRejected) as cm:
            v.verify(forged, now_ms=self.TS)
        self.assertEqual(cm.exception.http_status, 401)
        stale = signed("hook-key", "tok-4", self.TS, event="deliver", smsId="d$1")
        with self.assertRaises(HookRejected) as cm:
            v.verify(stale, now_ms=self.TS + 3_600_000)
        self.assertEqual(cm.exception.http_status, 401)
        with self.assertRaises(HookRejected) as cm:
            v.verify(b"{not json", "application/json", now_ms=self.TS)
        self.assertEqual(cm.exception.http_status, 400)
        with self.assertRaises(HookRejected) as cm:
            v.verify(b"x" * (65 * 1024), now_ms=self.TS)
        self.assertEqual(cm.exception.http_status, 413)

    def test_forget_lets_a_retry_through(self):
        v = HookVerifier("hook-key")
        body = signed("hook-key", "tok-f", self.TS, event="deliver", smsId="f$1", phone="13800000001")
        ev = v.verify(body, now_ms=self.TS)
        with self.assertRaises(HookReplayed):
            v.verify(body, now_ms=self.TS + 1000)
        # The handler failed: forget the token, and SendCloud's retry is accepted again.
        v.forget(ev.token)
        self.assertEqual(v.verify(body, now_ms=self.TS + 2000).token, "tok-f")
        with self.assertRaises(HookReplayed):
            v.verify(body, now_ms=self.TS + 3000)
        v.forget(b"tok-f")
        v.verify(body, now_ms=self.TS + 4000)

        v.forget("never-seen")
        v.forget("")
        with self.assertRaises(InvalidInput) as cm:
            v.forget(b"tok-\xff")
        self.assertEqual(cm.exception.field, "token")
        with self.assertRaises(InvalidInput) as cm:
            v.forget(None)
        self.assertEqual(cm.exception.field, "token")
        # Refused calls forgot nothing.
        with self.assertRaises(HookReplayed):
            v.verify(body, now_ms=self.TS + 5000)
        v.close()
        with self.assertRaises(InvalidInput) as cm:
            v.forget("tok-f")
        self.assertEqual(cm.exception.field, "verifier")

    def test_bad_keys(self):
        with self.assertRaises(InvalidInput):
            HookVerifier([])
        with self.assertRaises(InvalidInput):
            HookVerifier([""])


class ReadmeExampleTest(unittest.TestCase):
    def test_hello_py(self):
        # The example imports the same copy of the package as these tests.
        env = dict(os.environ, SENDCLOUD_BASE_URL=BASE_URL, PYTHONPATH=str(PACKAGE_DIR.parent))
        example = Path(__file__).resolve().parents[2] / "examples" / "hello.py"
        out = subprocess.run(
            [sys.executable, str(example)], env=env, capture_output=True, text=True, timeout=60
        )
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(out.stdout.startswith("sent:"), out.stdout)


if __name__ == "__main__":
    unittest.main()
