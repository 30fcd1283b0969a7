"""The Python package against a sandbox served on 127.0.0.1.

The sandbox is SENDCLOUD_SANDBOX_URL when set, else a `sendcloud sandbox` started here
(the binary at SENDCLOUD_BIN, or target/debug/sendcloud).
"""

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import unittest
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sendcloud  # noqa: E402
from sendcloud import (  # noqa: E402
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
    return Client("sandbox-user", "sandbox-key", base_url=BASE_URL, timeout=5, **kw)


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
        python_dir = str(Path(__file__).resolve().parents[1])
        env = dict(os.environ, SENDCLOUD_BASE_URL=BASE_URL, PYTHONPATH=python_dir)
        example = Path(__file__).resolve().parents[2] / "examples" / "hello.py"
        out = subprocess.run(
            [sys.executable, str(example)], env=env, capture_output=True, text=True, timeout=60
        )
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(out.stdout.startswith("sent:"), out.stdout)


if __name__ == "__main__":
    unittest.main()
