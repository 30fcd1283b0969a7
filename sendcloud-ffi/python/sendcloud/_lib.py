"""The C API of libsendcloud_ffi as ctypes declarations, and how the library is found.

The declarations are the header's (include/sendcloud.h), transcribed as C type names:
`check-python-decls.py` (run by CI) fails when they drift from it. Importing this module
loads nothing; `load()` finds the library, loads it and declares its functions.
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import os
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Type, Union

# --------------------------------------------------------------------------------------
# Declarations (C type names, exactly as the header spells them)
# --------------------------------------------------------------------------------------

#: The values of the header's enums.
ENUMS: Dict[str, Dict[str, int]] = {
    "sendcloud_result": {
        "SENDCLOUD_OK": 0,
        "SENDCLOUD_NULL_PARAMETER": 1,
        "SENDCLOUD_INVALID_UTF8": 2,
        "SENDCLOUD_INVALID_INPUT": 3,
        "SENDCLOUD_API_ERROR": 4,
        "SENDCLOUD_HTTP_ERROR": 5,
        "SENDCLOUD_DECODE_ERROR": 6,
        "SENDCLOUD_TRANSPORT_ERROR": 7,
        "SENDCLOUD_CONFIG_ERROR": 8,
        "SENDCLOUD_HOOK_REJECTED": 9,
        "SENDCLOUD_HOOK_REPLAYED": 10,
        "SENDCLOUD_BUFFER_TOO_SMALL": 11,
        "SENDCLOUD_OUT_OF_RANGE": 12,
        "SENDCLOUD_PANIC": 13,
    },
    "sendcloud_algorithm": {
        "SENDCLOUD_ALGORITHM_MD5": 0,
        "SENDCLOUD_ALGORITHM_SHA256": 1,
    },
    "sendcloud_msg_type": {
        "SENDCLOUD_MSG_TYPE_SMS": 0,
        "SENDCLOUD_MSG_TYPE_MMS": 1,
        "SENDCLOUD_MSG_TYPE_INTERNATIONAL": 2,
    },
}

#: The fields of the header's structs passed by value.
STRUCTS: Dict[str, List[Tuple[str, str]]] = {
    "sendcloud_str": [("data", "const char *"), ("len", "size_t")],
    "sendcloud_bytes": [("data", "const uint8_t *"), ("len", "size_t")],
}

_ERR = "sendcloud_error **"

#: Every function of the header: its return type and its parameters' types.
FUNCTIONS: Dict[str, Tuple[str, Tuple[str, ...]]] = {
    "sendcloud_result_describe": ("const char *", ("uint32_t",)),
    "sendcloud_str_copy": ("sendcloud_result", ("sendcloud_str", "char *", "size_t", "size_t *")),
    "sendcloud_version": ("const char *", ()),
    # errors
    "sendcloud_error_result": ("sendcloud_result", ("const sendcloud_error *",)),
    "sendcloud_error_message": ("sendcloud_str", ("const sendcloud_error *",)),
    "sendcloud_error_status_code": ("int64_t", ("const sendcloud_error *",)),
    "sendcloud_error_http_status": ("uint16_t", ("const sendcloud_error *",)),
    "sendcloud_error_field": ("sendcloud_str", ("const sendcloud_error *",)),
    "sendcloud_error_rule": ("sendcloud_str", ("const sendcloud_error *",)),
    "sendcloud_error_rejected_count": ("size_t", ("const sendcloud_error *",)),
    "sendcloud_error_rejected": (
        "sendcloud_result",
        ("const sendcloud_error *", "size_t", "sendcloud_str *", "sendcloud_str *"),
    ),
    "sendcloud_error_free": ("void", ("sendcloud_error *",)),
    # messages
    "sendcloud_message_new_template": (
        "sendcloud_result",
        ("uint64_t", "const uint8_t *", "size_t", "sendcloud_message **", _ERR),
    ),
    "sendcloud_message_new_voice": (
        "sendcloud_result",
        ("const uint8_t *", "size_t", "const uint8_t *", "size_t", "sendcloud_message **", _ERR),
    ),
    "sendcloud_message_new_code": (
        "sendcloud_result",
        (
            "const uint8_t *",
            "size_t",
            "const uint8_t *",
            "size_t",
            "uint64_t",
            "const uint8_t *",
            "size_t",
            "sendcloud_message **",
            _ERR,
        ),
    ),
    "sendcloud_message_set_vars": (
        "sendcloud_result",
        ("sendcloud_message *", "const uint8_t *", "size_t", _ERR),
    ),
    "sendcloud_message_set_msg_type": (
        "sendcloud_result",
        ("sendcloud_message *", "uint32_t", _ERR),
    ),
    "sendcloud_message_set_request_id": (
        "sendcloud_result",
        ("sendcloud_message *", "const uint8_t *", "size_t", _ERR),
    ),
    "sendcloud_message_set_tag": (
        "sendcloud_result",
        ("sendcloud_message *", "const uint8_t *", "size_t", _ERR),
    ),
    "sendcloud_message_free": ("void", ("sendcloud_message *",)),
    # client settings
    "sendcloud_client_config_builder_new": (
        "sendcloud_result",
        ("const uint8_t *", "size_t", "const uint8_t *", "size_t",
         "sendcloud_client_config_builder **", _ERR),
    ),
    "sendcloud_client_config_builder_set_base_url": (
        "sendcloud_result",
        ("sendcloud_client_config_builder *", "const uint8_t *", "size_t", _ERR),
    ),
    "sendcloud_client_config_builder_set_algorithm": (
        "sendcloud_result",
        ("sendcloud_client_config_builder *", "uint32_t", _ERR),
    ),
    "sendcloud_client_config_builder_set_timeout_ms": (
        "sendcloud_result",
        ("sendcloud_client_config_builder *", "uint64_t", _ERR),
    ),
    "sendcloud_client_config_builder_set_connect_timeout_ms": (
        "sendcloud_result",
        ("sendcloud_client_config_builder *", "uint64_t", _ERR),
    ),
    "sendcloud_client_config_builder_set_max_attempts": (
        "sendcloud_result",
        ("sendcloud_client_config_builder *", "uint32_t", _ERR),
    ),
    "sendcloud_client_config_builder_set_allow_plain_http": (
        "sendcloud_result",
        ("sendcloud_client_config_builder *", "bool", _ERR),
    ),
    "sendcloud_client_config_builder_build": (
        "sendcloud_result",
        ("sendcloud_client_config_builder *", "const sendcloud_client_config **", _ERR),
    ),
    "sendcloud_client_config_builder_free": ("void", ("sendcloud_client_config_builder *",)),
    "sendcloud_client_config_free": ("void", ("const sendcloud_client_config *",)),
    "sendcloud_client_new_with_config": (
        "sendcloud_result",
        ("const sendcloud_client_config *", "sendcloud_client **", _ERR),
    ),
    "sendcloud_blocking_client_new_with_config": (
        "sendcloud_result",
        ("const sendcloud_client_config *", "sendcloud_blocking_client **", _ERR),
    ),
    # sans-IO
    "sendcloud_client_new": (
        "sendcloud_result",
        ("const uint8_t *", "size_t", "const uint8_t *", "size_t", "const uint8_t *", "size_t",
         "uint32_t", "sendcloud_client **", _ERR),
    ),
    "sendcloud_client_free": ("void", ("sendcloud_client *",)),
    "sendcloud_client_prepare": (
        "sendcloud_result",
        ("const sendcloud_client *", "const sendcloud_message *", "uint64_t",
         "sendcloud_request **", _ERR),
    ),
    "sendcloud_client_prepare_server_time": (
        "sendcloud_result",
        ("const sendcloud_client *", "uint64_t", "sendcloud_request **", _ERR),
    ),
    "sendcloud_request_method": ("sendcloud_str", ("const sendcloud_request *",)),
    "sendcloud_request_url": ("sendcloud_str", ("const sendcloud_request *",)),
    "sendcloud_request_header_count": ("size_t", ("const sendcloud_request *",)),
    "sendcloud_request_header": (
        "sendcloud_result",
        ("const sendcloud_request *", "size_t", "sendcloud_str *", "sendcloud_str *"),
    ),
    "sendcloud_request_body": ("sendcloud_bytes", ("const sendcloud_request *",)),
    "sendcloud_request_free": ("void", ("sendcloud_request *",)),
    "sendcloud_parse_send_response": (
        "sendcloud_result",
        ("uint16_t", "const uint8_t *", "size_t", "sendcloud_receipt **", _ERR),
    ),
    "sendcloud_parse_server_time_response": (
        "sendcloud_result",
        ("uint16_t", "const uint8_t *", "size_t", "uint64_t *", _ERR),
    ),
    # receipts
    "sendcloud_receipt_status_code": ("int64_t", ("const sendcloud_receipt *",)),
    "sendcloud_receipt_success_count": ("uint64_t", ("const sendcloud_receipt *",)),
    "sendcloud_receipt_already_accepted": ("bool", ("const sendcloud_receipt *",)),
    "sendcloud_receipt_sms_id_count": ("size_t", ("const sendcloud_receipt *",)),
    "sendcloud_receipt_sms_id": (
        "sendcloud_result",
        ("const sendcloud_receipt *", "size_t", "sendcloud_str *"),
    ),
    "sendcloud_receipt_rejected_count": ("size_t", ("const sendcloud_receipt *",)),
    "sendcloud_receipt_rejected": (
        "sendcloud_result",
        ("const sendcloud_receipt *", "size_t", "sendcloud_str *", "sendcloud_str *"),
    ),
    "sendcloud_receipt_free": ("void", ("sendcloud_receipt *",)),
    # blocking
    "sendcloud_blocking_client_new": (
        "sendcloud_result",
        ("const uint8_t *", "size_t", "const uint8_t *", "size_t", "const uint8_t *", "size_t",
         "uint32_t", "uint64_t", "uint32_t", "sendcloud_blocking_client **", _ERR),
    ),
    "sendcloud_blocking_send": (
        "sendcloud_result",
        ("const sendcloud_blocking_client *", "const sendcloud_message *",
         "sendcloud_receipt **", _ERR),
    ),
    "sendcloud_blocking_server_time": (
        "sendcloud_result",
        ("const sendcloud_blocking_client *", "uint64_t *", _ERR),
    ),
    "sendcloud_blocking_client_free": ("void", ("sendcloud_blocking_client *",)),
    # SMSHook
    "sendcloud_hook_verifier_new": (
        "sendcloud_result",
        ("const sendcloud_str *", "size_t", "uint64_t", "sendcloud_hook_verifier **", _ERR),
    ),
    "sendcloud_hook_verify": (
        "sendcloud_result",
        ("const sendcloud_hook_verifier *", "const uint8_t *", "size_t", "const uint8_t *",
         "size_t", "uint64_t", "sendcloud_hook_event **", _ERR),
    ),
    "sendcloud_hook_verifier_forget": (
        "sendcloud_result",
        ("const sendcloud_hook_verifier *", "const uint8_t *", "size_t"),
    ),
    "sendcloud_hook_verifier_free": ("void", ("sendcloud_hook_verifier *",)),
    "sendcloud_hook_event_name": ("sendcloud_str", ("const sendcloud_hook_event *",)),
    "sendcloud_hook_event_sms_id": ("sendcloud_str", ("const sendcloud_hook_event *",)),
    "sendcloud_hook_event_phone": ("sendcloud_str", ("const sendcloud_hook_event *",)),
    "sendcloud_hook_event_status_code": ("int64_t", ("const sendcloud_hook_event *",)),
    "sendcloud_hook_event_token": ("sendcloud_str", ("const sendcloud_hook_event *",)),
    "sendcloud_hook_event_timestamp_ms": ("uint64_t", ("const sendcloud_hook_event *",)),
    "sendcloud_hook_event_field": (
        "sendcloud_result",
        ("const sendcloud_hook_event *", "const uint8_t *", "size_t", "sendcloud_str *"),
    ),
    "sendcloud_hook_event_free": ("void", ("sendcloud_hook_event *",)),
}

# --------------------------------------------------------------------------------------
# From C type names to ctypes
# --------------------------------------------------------------------------------------

CType = Optional[Type["ctypes._CData"]]


class Str(ctypes.Structure):
    """sendcloud_str: a borrowed UTF-8 view (not NUL-terminated, so `data` is a bare
    pointer rather than a c_char_p)."""

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


_VALUES: Dict[str, CType] = {
    "void": None,
    "bool": ctypes.c_bool,
    "uint8_t": ctypes.c_uint8,
    "uint16_t": ctypes.c_uint16,
    "uint32_t": ctypes.c_uint32,
    "uint64_t": ctypes.c_uint64,
    "int64_t": ctypes.c_int64,
    "size_t": ctypes.c_size_t,
    # A C enum is an int.
    "sendcloud_result": ctypes.c_int,
    "sendcloud_str": Str,
    "sendcloud_bytes": Bytes,
}


def ctype(decl: str) -> CType:
    """The ctypes type of a C type name as this module spells them: a value type, a
    pointer to one, a `const char *` (a NUL-terminated string), an opaque handle
    (`[const] sendcloud_x *`) or an out-parameter for one (`[const] sendcloud_x **`)."""
    if decl in _VALUES:
        return _VALUES[decl]
    if decl in ("const char *", "char *"):
        return ctypes.c_char_p
    base = decl[len("const ") :] if decl.startswith("const ") else decl
    if base.endswith(" **") and base[: -len(" **")].startswith("sendcloud_"):
        return ctypes.POINTER(ctypes.c_void_p)
    if base.endswith(" *"):
        target = base[: -len(" *")]
        pointee = _VALUES.get(target)
        if pointee is not None:
            return ctypes.POINTER(pointee)
        if target.startswith("sendcloud_"):
            return ctypes.c_void_p
    raise ValueError(f"no ctypes type for the C type {decl!r}")


# --------------------------------------------------------------------------------------
# Finding and loading the library
# --------------------------------------------------------------------------------------

#: The name the bundled library has in this package (`_native` and the platform's suffix
#: for native modules, as setuptools-rust installs it).
NATIVE_STEM = "_native"

_BUILT_NAMES = ("libsendcloud_ffi.so", "libsendcloud_ffi.dylib", "sendcloud_ffi.dll")


def candidates() -> Iterator[Path]:
    """Where the library is looked for, in order: `SENDCLOUD_LIB` alone when it is set;
    else the copy installed in this package, next to this file. In a checkout of the
    repository, that copy (made by an editable install) and the builds in the Cargo target
    directory (release and debug) come newest first, so that a stale build never wins."""
    env = os.environ.get("SENDCLOUD_LIB")
    if env:
        yield Path(env)
        return
    here = Path(__file__).resolve().parent
    bundled = [here / (NATIVE_STEM + s) for s in importlib.machinery.EXTENSION_SUFFIXES]
    # sendcloud-ffi/python/sendcloud/_lib.py: the workspace root is three levels up.
    root = here.parents[2]
    if not (root / "sendcloud-ffi" / "Cargo.toml").is_file():
        yield from bundled
        return
    target = Path(os.environ.get("CARGO_TARGET_DIR") or root / "target")
    built = [target / p / n for p in ("release", "debug") for n in _BUILT_NAMES]
    yield from sorted(bundled + built, key=_mtime, reverse=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def load() -> Tuple[ctypes.CDLL, Path]:
    """Loads the library and declares its functions; answers it and its path."""
    tried = []
    for path in candidates():
        tried.append(str(path))
        if path.is_file():
            lib = ctypes.CDLL(str(path))
            for name, (restype, argtypes) in FUNCTIONS.items():
                f = getattr(lib, name)
                f.restype = ctype(restype)
                f.argtypes = [ctype(a) for a in argtypes]
            return lib, path
    raise OSError(
        "libsendcloud_ffi not found (install the package with pip, set SENDCLOUD_LIB, or "
        "run `cargo build -p sendcloud-ffi` in a checkout); tried: " + ", ".join(tried)
    )


# --------------------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------------------

U8P = ctypes.POINTER(ctypes.c_uint8)


def buf(data: Union[str, bytes, None]) -> Tuple[Optional["ctypes._Pointer[ctypes.c_uint8]"], int]:
    """A (pointer, length) pair for a str or bytes argument; None gives (NULL, 0)."""
    if data is None:
        return None, 0
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    arr = (ctypes.c_uint8 * len(data)).from_buffer_copy(data) if data else (ctypes.c_uint8 * 1)()
    return ctypes.cast(arr, U8P), len(data)


def keys_array(keys: Sequence[bytes]) -> Tuple["ctypes.Array[Str]", List[ctypes.Array[ctypes.c_char]]]:
    """An array of Str views of `keys`, and the buffers it points into (keep them alive for
    the call)."""
    buffers = [ctypes.create_string_buffer(k, len(k)) for k in keys]
    arr = (Str * max(1, len(keys)))()
    for i, (k, b) in enumerate(zip(keys, buffers)):
        arr[i].data = ctypes.cast(b, ctypes.c_void_p)
        arr[i].len = len(k)
    return arr, buffers
