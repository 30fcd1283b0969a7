"""Loads libsendcloud_ffi and declares its functions for ctypes."""

import ctypes
import os
from pathlib import Path

c_u8p = ctypes.POINTER(ctypes.c_uint8)


class Str(ctypes.Structure):
    """sendcloud_str: a borrowed UTF-8 view."""

    _fields_ = [("data", ctypes.c_void_p), ("len", ctypes.c_size_t)]

    def text(self) -> str:
        if not self.data or not self.len:
            return ""
        return ctypes.string_at(self.data, self.len).decode("utf-8")


class Bytes(ctypes.Structure):
    """sendcloud_bytes: a borrowed byte view."""

    _fields_ = [("data", ctypes.c_void_p), ("len", ctypes.c_size_t)]

    def value(self) -> bytes:
        if not self.data or not self.len:
            return b""
        return ctypes.string_at(self.data, self.len)


def _candidates():
    env = os.environ.get("SENDCLOUD_LIB")
    if env:
        yield Path(env)
        return
    # sendcloud-ffi/python/sendcloud/_lib.py -> the workspace root is three levels up.
    root = Path(__file__).resolve().parents[3]
    target = Path(os.environ.get("CARGO_TARGET_DIR", root / "target"))
    for profile in ("debug", "release"):
        for name in ("libsendcloud_ffi.so", "libsendcloud_ffi.dylib", "sendcloud_ffi.dll"):
            yield target / profile / name


def _load():
    tried = []
    for path in _candidates():
        tried.append(str(path))
        if path.exists():
            return ctypes.CDLL(str(path))
    raise OSError(
        "libsendcloud_ffi not found (set SENDCLOUD_LIB, or run `cargo build -p sendcloud-ffi`); "
        "tried: " + ", ".join(tried)
    )


lib = _load()

P = ctypes.c_void_p
PP = ctypes.POINTER(ctypes.c_void_p)
R = ctypes.c_int  # sendcloud_result
SZ = ctypes.c_size_t
U64 = ctypes.c_uint64

_signatures = {
    "sendcloud_result_describe": (ctypes.c_char_p, [ctypes.c_uint32]),
    "sendcloud_version": (ctypes.c_char_p, []),
    # errors
    "sendcloud_error_result": (R, [P]),
    "sendcloud_error_message": (Str, [P]),
    "sendcloud_error_status_code": (ctypes.c_int64, [P]),
    "sendcloud_error_http_status": (ctypes.c_uint16, [P]),
    "sendcloud_error_field": (Str, [P]),
    "sendcloud_error_rule": (Str, [P]),
    "sendcloud_error_rejected_count": (SZ, [P]),
    "sendcloud_error_rejected": (R, [P, SZ, ctypes.POINTER(Str), ctypes.POINTER(Str)]),
    "sendcloud_error_free": (None, [P]),
    # messages
    "sendcloud_message_new_template": (R, [U64, c_u8p, SZ, PP, PP]),
    "sendcloud_message_new_voice": (R, [c_u8p, SZ, c_u8p, SZ, PP, PP]),
    "sendcloud_message_new_code": (R, [c_u8p, SZ, c_u8p, SZ, U64, c_u8p, SZ, PP, PP]),
    "sendcloud_message_set_vars": (R, [P, c_u8p, SZ, PP]),
    "sendcloud_message_set_msg_type": (R, [P, ctypes.c_uint32, PP]),
    "sendcloud_message_set_request_id": (R, [P, c_u8p, SZ, PP]),
    "sendcloud_message_set_tag": (R, [P, c_u8p, SZ, PP]),
    "sendcloud_message_free": (None, [P]),
    # sans-IO
    "sendcloud_client_new": (R, [c_u8p, SZ, c_u8p, SZ, c_u8p, SZ, ctypes.c_uint32, PP, PP]),
    "sendcloud_client_free": (None, [P]),
    "sendcloud_client_prepare": (R, [P, P, U64, PP, PP]),
    "sendcloud_client_prepare_server_time": (R, [P, U64, PP, PP]),
    "sendcloud_request_method": (Str, [P]),
    "sendcloud_request_url": (Str, [P]),
    "sendcloud_request_header_count": (SZ, [P]),
    "sendcloud_request_header": (R, [P, SZ, ctypes.POINTER(Str), ctypes.POINTER(Str)]),
    "sendcloud_request_body": (Bytes, [P]),
    "sendcloud_request_free": (None, [P]),
    "sendcloud_parse_send_response": (R, [ctypes.c_uint16, c_u8p, SZ, PP, PP]),
    "sendcloud_parse_server_time_response": (
        R,
        [ctypes.c_uint16, c_u8p, SZ, ctypes.POINTER(U64), PP],
    ),
    # receipts
    "sendcloud_receipt_status_code": (ctypes.c_int64, [P]),
    "sendcloud_receipt_success_count": (U64, [P]),
    "sendcloud_receipt_already_accepted": (ctypes.c_bool, [P]),
    "sendcloud_receipt_sms_id_count": (SZ, [P]),
    "sendcloud_receipt_sms_id": (R, [P, SZ, ctypes.POINTER(Str)]),
    "sendcloud_receipt_rejected_count": (SZ, [P]),
    "sendcloud_receipt_rejected": (R, [P, SZ, ctypes.POINTER(Str), ctypes.POINTER(Str)]),
    "sendcloud_receipt_free": (None, [P]),
    # blocking
    "sendcloud_blocking_client_new": (
        R,
        [c_u8p, SZ, c_u8p, SZ, c_u8p, SZ, ctypes.c_uint32, U64, ctypes.c_uint32, PP, PP],
    ),
    "sendcloud_blocking_send": (R, [P, P, PP, PP]),
    "sendcloud_blocking_server_time": (R, [P, ctypes.POINTER(U64), PP]),
    "sendcloud_blocking_client_free": (None, [P]),
    # SMSHook
    "sendcloud_hook_verifier_new": (R, [ctypes.POINTER(Str), SZ, U64, PP, PP]),
    "sendcloud_hook_verify": (R, [P, c_u8p, SZ, c_u8p, SZ, U64, PP, PP]),
    "sendcloud_hook_verifier_forget": (R, [P, c_u8p, SZ]),
    "sendcloud_hook_verifier_free": (None, [P]),
    "sendcloud_hook_event_name": (Str, [P]),
    "sendcloud_hook_event_sms_id": (Str, [P]),
    "sendcloud_hook_event_phone": (Str, [P]),
    "sendcloud_hook_event_status_code": (ctypes.c_int64, [P]),
    "sendcloud_hook_event_token": (Str, [P]),
    "sendcloud_hook_event_timestamp_ms": (U64, [P]),
    "sendcloud_hook_event_field": (R, [P, c_u8p, SZ, ctypes.POINTER(Str)]),
    "sendcloud_hook_event_free": (None, [P]),
}

for _name, (_restype, _argtypes) in _signatures.items():
    _f = getattr(lib, _name)
    _f.restype = _restype
    _f.argtypes = _argtypes


def buf(data):
    """A (pointer, length) pair for a str or bytes argument; None gives (NULL, 0)."""
    if data is None:
        return None, 0
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    arr = (ctypes.c_uint8 * len(data)).from_buffer_copy(data) if data else (ctypes.c_uint8 * 1)()
    return ctypes.cast(arr, c_u8p), len(data)
