"""A Pythonic SendCloud SMS client over the sendcloud-ffi C library (ctypes, no extension).

    from sendcloud import Client
    client = Client("sandbox-user", "sandbox-key", base_url="http://127.0.0.1:8025/smsapi")
    receipt = client.send(1, "13800000000", vars={"code": "123456"})

The C library is the copy installed with this package (`pip install`), or the file named
by the SENDCLOUD_LIB environment variable, or, in a checkout of the repository, the newest
build in its Cargo target directory; `library_path()` tells which was loaded.
"""

from __future__ import annotations

import ctypes
import json
import time
from dataclasses import dataclass, field
from typing import Any, List, Mapping, NoReturn, Optional, Sequence, Tuple, Union

from . import _lib
from ._lib import Str, buf, keys_array

lib, _path = _lib.load()

__all__ = [
    "Client",
    "HookVerifier",
    "Receipt",
    "Rejected",
    "HookEvent",
    "PreparedRequest",
    "SendCloudError",
    "ApiError",
    "InvalidInput",
    "HttpError",
    "DecodeError",
    "TransportError",
    "ConfigError",
    "HookRejected",
    "HookReplayed",
    "parse_send_response",
    "version",
    "library_path",
    "MSG_TYPE_SMS",
    "MSG_TYPE_MMS",
    "MSG_TYPE_INTERNATIONAL",
]

_R = _lib.ENUMS["sendcloud_result"]
_OK = _R["SENDCLOUD_OK"]
_NULL_PARAMETER = _R["SENDCLOUD_NULL_PARAMETER"]
_INVALID_UTF8 = _R["SENDCLOUD_INVALID_UTF8"]
_INVALID_INPUT = _R["SENDCLOUD_INVALID_INPUT"]
_API_ERROR = _R["SENDCLOUD_API_ERROR"]
_HTTP_ERROR = _R["SENDCLOUD_HTTP_ERROR"]
_DECODE_ERROR = _R["SENDCLOUD_DECODE_ERROR"]
_TRANSPORT_ERROR = _R["SENDCLOUD_TRANSPORT_ERROR"]
_CONFIG_ERROR = _R["SENDCLOUD_CONFIG_ERROR"]
_HOOK_REJECTED = _R["SENDCLOUD_HOOK_REJECTED"]
_HOOK_REPLAYED = _R["SENDCLOUD_HOOK_REPLAYED"]

_MT = _lib.ENUMS["sendcloud_msg_type"]
MSG_TYPE_SMS: int = _MT["SENDCLOUD_MSG_TYPE_SMS"]
MSG_TYPE_MMS: int = _MT["SENDCLOUD_MSG_TYPE_MMS"]
MSG_TYPE_INTERNATIONAL: int = _MT["SENDCLOUD_MSG_TYPE_INTERNATIONAL"]

_ALG = _lib.ENUMS["sendcloud_algorithm"]

#: A JSON object, given as a dict or as its JSON text.
Json = Union[str, Mapping[str, Any]]


def version() -> str:
    """The version of the C library."""
    return str(lib.sendcloud_version().decode())


def library_path() -> str:
    """The path of the C library this package loaded."""
    return str(_path)


# --------------------------------------------------------------------------------------
# Results and errors
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejected:
    """A recipient SendCloud refused, with its reason."""

    phone: str
    message: str


@dataclass(frozen=True)
class Receipt:
    """What an accepted send returns (status 200, or 311 when some numbers were refused)."""

    status_code: int
    success_count: int
    sms_ids: List[str] = field(default_factory=list)
    rejected: List[Rejected] = field(default_factory=list)
    already_accepted: bool = False


@dataclass(frozen=True)
class HookEvent:
    """A verified SMSHook event."""

    event: str
    sms_id: str
    phone: str
    status_code: int
    token: str
    timestamp_ms: int


@dataclass(frozen=True)
class PreparedRequest:
    """A signed request, ready for any HTTP client."""

    method: str
    url: str
    headers: List[Tuple[str, str]]
    body: bytes


class SendCloudError(Exception):
    """The base of every error of this package."""

    def __init__(self, message: str, code: int = 0):
        super().__init__(message)
        self.message = message
        self.code = code


class InvalidInput(SendCloudError, ValueError):
    """An input was refused before anything was sent."""

    def __init__(self, message: str, field: str = "", rule: str = "", code: int = _INVALID_INPUT):
        super().__init__(message, code)
        self.field = field
        self.rule = rule


class ApiError(SendCloudError):
    """SendCloud answered and refused the request."""

    def __init__(self, status_code: int, message: str, rejected: Sequence[Rejected] = ()):
        super().__init__(message, _API_ERROR)
        self.status_code = status_code
        self.rejected = list(rejected)


class HttpError(SendCloudError):
    """The HTTP status of the answer was not 2xx."""

    def __init__(self, http_status: int, message: str):
        super().__init__(message, _HTTP_ERROR)
        self.http_status = http_status


class DecodeError(SendCloudError):
    """The answer could not be decoded."""


class TransportError(SendCloudError):
    """Connecting, sending or receiving failed, or timed out."""


class ConfigError(SendCloudError):
    """The client settings were refused."""


class HookRejected(SendCloudError):
    """An SMSHook post was refused; answer it with `http_status`."""

    def __init__(self, message: str, http_status: int, code: int = _HOOK_REJECTED):
        super().__init__(message, code)
        self.http_status = http_status


class HookReplayed(HookRejected):
    """An SMSHook post replays one already accepted; answer 200 and ignore it."""


Handle = ctypes.c_void_p


def _rejected_list(count_fn: Any, get_fn: Any, handle: Handle) -> List[Rejected]:
    out = []
    for i in range(count_fn(handle)):
        phone, message = Str(), Str()
        if get_fn(handle, i, ctypes.byref(phone), ctypes.byref(message)) == _OK:
            out.append(Rejected(phone.text(), message.text()))
    return out


def _raise(code: int, err: Handle) -> NoReturn:
    """Turns a failed call's result code and error handle into an exception (and frees it)."""
    try:
        if not err:
            raise SendCloudError(lib.sendcloud_result_describe(code).decode(), code)
        message = lib.sendcloud_error_message(err).text()
        if code in (_NULL_PARAMETER, _INVALID_UTF8, _INVALID_INPUT):
            raise InvalidInput(
                message,
                lib.sendcloud_error_field(err).text(),
                lib.sendcloud_error_rule(err).text(),
                code,
            )
        if code == _API_ERROR:
            rejected = _rejected_list(
                lib.sendcloud_error_rejected_count, lib.sendcloud_error_rejected, err
            )
            raise ApiError(lib.sendcloud_error_status_code(err), message, rejected)
        if code == _HTTP_ERROR:
            raise HttpError(lib.sendcloud_error_http_status(err), message)
        if code == _DECODE_ERROR:
            raise DecodeError(message, code)
        if code == _TRANSPORT_ERROR:
            raise TransportError(message, code)
        if code == _CONFIG_ERROR:
            raise ConfigError(message, code)
        if code == _HOOK_REPLAYED:
            raise HookReplayed(message, lib.sendcloud_error_http_status(err), code)
        if code == _HOOK_REJECTED:
            raise HookRejected(message, lib.sendcloud_error_http_status(err), code)
        raise SendCloudError(message, code)
    finally:
        lib.sendcloud_error_free(err)


def _call(fn: Any, *args: Any) -> None:
    """Calls `fn(*args, &err)` and raises on failure."""
    err = Handle()
    code = fn(*args, ctypes.byref(err))
    if code != _OK:
        _raise(code, err)


def _receipt(handle: Handle) -> Receipt:
    try:
        ids = []
        for i in range(lib.sendcloud_receipt_sms_id_count(handle)):
            s = Str()
            if lib.sendcloud_receipt_sms_id(handle, i, ctypes.byref(s)) == _OK:
                ids.append(s.text())
        return Receipt(
            status_code=lib.sendcloud_receipt_status_code(handle),
            success_count=lib.sendcloud_receipt_success_count(handle),
            sms_ids=ids,
            rejected=_rejected_list(
                lib.sendcloud_receipt_rejected_count, lib.sendcloud_receipt_rejected, handle
            ),
            already_accepted=bool(lib.sendcloud_receipt_already_accepted(handle)),
        )
    finally:
        lib.sendcloud_receipt_free(handle)


def _json_text(value: Optional[Json]) -> Optional[str]:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


# --------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------

#: Phone numbers: a comma-separated str, or a sequence of them.
Phones = Union[str, Sequence[str]]


class _Message:
    """An owned sendcloud_message handle."""

    def __init__(self, handle: Handle):
        self.handle: Optional[Handle] = handle

    def __enter__(self) -> "_Message":
        return self

    def __exit__(self, *exc: object) -> None:
        lib.sendcloud_message_free(self.handle)
        self.handle = None

    def options(
        self,
        request_id: Optional[str] = None,
        tag: Optional[Json] = None,
        vars: Optional[Json] = None,
        msg_type: Optional[int] = None,
    ) -> "_Message":
        if vars is not None:
            _call(lib.sendcloud_message_set_vars, self.handle, *buf(_json_text(vars)))
        if msg_type is not None:
            _call(lib.sendcloud_message_set_msg_type, self.handle, msg_type)
        if request_id is not None:
            _call(lib.sendcloud_message_set_request_id, self.handle, *buf(request_id))
        if tag is not None:
            _call(lib.sendcloud_message_set_tag, self.handle, *buf(_json_text(tag)))
        return self


def _new(fn: Any, *args: Any) -> _Message:
    out = Handle()
    _call(fn, *args, ctypes.byref(out))
    return _Message(out)


def _template(
    template_id: int,
    phones: Phones,
    vars: Optional[Json],
    request_id: Optional[str],
    tag: Optional[Json],
    msg_type: Optional[int],
) -> _Message:
    if not isinstance(phones, str):
        phones = ",".join(phones)
    if not isinstance(template_id, int) or template_id < 0 or template_id >= 2**64:
        raise InvalidInput("invalid templateId: must be a positive integer", "templateId")
    m = _new(lib.sendcloud_message_new_template, template_id, *buf(phones))
    try:
        return m.options(request_id=request_id, tag=tag, vars=vars, msg_type=msg_type)
    except BaseException:
        m.__exit__()
        raise


def _voice(phone: str, code: str, request_id: Optional[str], tag: Optional[Json]) -> _Message:
    m = _new(lib.sendcloud_message_new_voice, *buf(phone), *buf(code))
    try:
        return m.options(request_id=request_id, tag=tag)
    except BaseException:
        m.__exit__()
        raise


def _code(
    phone: str,
    code: str,
    sign_id: Optional[int],
    sign_name: Optional[str],
    request_id: Optional[str],
    tag: Optional[Json],
) -> _Message:
    m = _new(
        lib.sendcloud_message_new_code, *buf(phone), *buf(code), sign_id or 0, *buf(sign_name)
    )
    try:
        return m.options(request_id=request_id, tag=tag)
    except BaseException:
        m.__exit__()
        raise


# --------------------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------------------


def _config(
    sms_user: str,
    sms_key: str,
    base_url: Optional[str],
    sha256: bool,
    timeout: Optional[float],
    connect_timeout: Optional[float],
    max_attempts: int,
    allow_plain_http: bool,
) -> Handle:
    """Builds a sendcloud_client_config (free it with sendcloud_client_config_free)."""
    builder = Handle()
    _call(
        lib.sendcloud_client_config_builder_new,
        *buf(sms_user),
        *buf(sms_key),
        ctypes.byref(builder),
    )
    try:
        if base_url is not None:
            _call(lib.sendcloud_client_config_builder_set_base_url, builder, *buf(base_url))
        if sha256:
            algorithm = _ALG["SENDCLOUD_ALGORITHM_SHA256"]
            _call(lib.sendcloud_client_config_builder_set_algorithm, builder, algorithm)
        if timeout is not None:
            ms = _millis(timeout, "timeout")
            _call(lib.sendcloud_client_config_builder_set_timeout_ms, builder, ms)
        if connect_timeout is not None:
            ms = _millis(connect_timeout, "connectTimeout")
            _call(lib.sendcloud_client_config_builder_set_connect_timeout_ms, builder, ms)
        if max_attempts:
            if not 0 < max_attempts < 2**32:
                rule = "must be at least 1 (1: no retries)"
                raise InvalidInput(f"invalid maxAttempts: {rule}", "maxAttempts", rule)
            _call(lib.sendcloud_client_config_builder_set_max_attempts, builder, max_attempts)
        if allow_plain_http:
            _call(lib.sendcloud_client_config_builder_set_allow_plain_http, builder, True)
    except BaseException:
        lib.sendcloud_client_config_builder_free(builder)
        raise
    config = Handle()
    # Consumes the builder, whether it succeeds or not.
    _call(lib.sendcloud_client_config_builder_build, builder, ctypes.byref(config))
    return config


def _millis(seconds: float, name: str) -> int:
    """Seconds as whole milliseconds for the C library, at least 1."""
    if not seconds > 0:  # also refuses NaN
        raise InvalidInput(f"invalid {name}: must be positive", name, "must be positive")
    return max(1, int(min(seconds * 1000, 2**64 - 1)))


class Client:
    """A blocking SendCloud client (plain http is allowed only to loopback, unless
    `allow_plain_http`).

    `timeout` (seconds) bounds each attempt and `connect_timeout` connecting;
    `max_attempts` bounds the tries of a call (0: the library's default, 5; 1: no
    retries). The SMS key is kept by the C library and never shown.
    """

    def __init__(
        self,
        sms_user: str,
        sms_key: str,
        base_url: Optional[str] = None,
        sha256: bool = False,
        timeout: float = 30.0,
        max_attempts: int = 0,
        connect_timeout: Optional[float] = None,
        allow_plain_http: bool = False,
    ):
        self._handle: Optional[Handle] = None
        self._core: Optional[Handle] = None
        config = _config(
            sms_user,
            sms_key,
            base_url,
            sha256,
            timeout,
            connect_timeout,
            max_attempts,
            allow_plain_http,
        )
        try:
            # One config makes both clients: the blocking one and the sans-IO one of
            # `prepare_send`, which sign alike.
            handle, core = Handle(), Handle()
            _call(lib.sendcloud_blocking_client_new_with_config, config, ctypes.byref(handle))
            self._handle = handle
            _call(lib.sendcloud_client_new_with_config, config, ctypes.byref(core))
            self._core = core
        finally:
            lib.sendcloud_client_config_free(config)

    def __repr__(self) -> str:
        return "Client(<credentials hidden>)"

    def close(self) -> None:
        """Frees the client (also done when it is garbage-collected)."""
        if getattr(self, "_handle", None):
            lib.sendcloud_blocking_client_free(self._handle)
            self._handle = None
        if getattr(self, "_core", None):
            lib.sendcloud_client_free(self._core)
            self._core = None

    def __del__(self) -> None:
        self.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, message: _Message) -> Receipt:
        with message:
            out = Handle()
            _call(lib.sendcloud_blocking_send, self._handle, message.handle, ctypes.byref(out))
            return _receipt(out)

    def send(
        self,
        template_id: int,
        phones: Phones,
        vars: Optional[Union[str, Mapping[str, str]]] = None,
        request_id: Optional[str] = None,
        tag: Optional[Json] = None,
        msg_type: Optional[int] = None,
    ) -> Receipt:
        """Sends template `template_id` to `phones` (a comma-separated str or a list)."""
        return self._send(_template(template_id, phones, vars, request_id, tag, msg_type))

    def send_voice(
        self, phone: str, code: str, request_id: Optional[str] = None, tag: Optional[Json] = None
    ) -> Receipt:
        """Reads verification `code` out to `phone`."""
        return self._send(_voice(phone, code, request_id, tag))

    def send_code(
        self,
        phone: str,
        code: str,
        sign_id: Optional[int] = None,
        sign_name: Optional[str] = None,
        request_id: Optional[str] = None,
        tag: Optional[Json] = None,
    ) -> Receipt:
        """Sends verification `code` to `phone` by SMS, signed by id or by name."""
        return self._send(_code(phone, code, sign_id, sign_name, request_id, tag))

    def server_time(self) -> int:
        """The server's clock, in milliseconds since the Unix epoch."""
        out = ctypes.c_uint64()
        _call(lib.sendcloud_blocking_server_time, self._handle, ctypes.byref(out))
        return out.value

    def prepare_send(
        self,
        template_id: int,
        phones: Phones,
        vars: Optional[Union[str, Mapping[str, str]]] = None,
        request_id: Optional[str] = None,
        tag: Optional[Json] = None,
        now_ms: Optional[int] = None,
    ) -> PreparedRequest:
        """The sans-IO layer: the signed request of a template send, for your own HTTP
        client; read its answer with `parse_send_response`."""
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        with _template(template_id, phones, vars, request_id, tag, None) as m:
            out = Handle()
            _call(lib.sendcloud_client_prepare, self._core, m.handle, now_ms, ctypes.byref(out))
        try:
            headers = []
            for i in range(lib.sendcloud_request_header_count(out)):
                name, value = Str(), Str()
                if lib.sendcloud_request_header(out, i, ctypes.byref(name), ctypes.byref(value)) == _OK:
                    headers.append((name.text(), value.text()))
            return PreparedRequest(
                method=lib.sendcloud_request_method(out).text(),
                url=lib.sendcloud_request_url(out).text(),
                headers=headers,
                body=lib.sendcloud_request_body(out).value(),
            )
        finally:
            lib.sendcloud_request_free(out)


def parse_send_response(http_status: int, body: bytes) -> Receipt:
    """Parses the answer to a send into a Receipt, or raises ApiError, HttpError or
    DecodeError."""
    if not 0 <= http_status <= 0xFFFF:
        raise InvalidInput("invalid httpStatus: must be 100 to 999", "httpStatus")
    out = Handle()
    _call(lib.sendcloud_parse_send_response, http_status, *buf(body), ctypes.byref(out))
    return _receipt(out)


class HookVerifier:
    """Verifies SMSHook posts signed with any of `keys`, at most `max_age_ms` old (default
    five minutes), and remembers their tokens against replays."""

    def __init__(self, keys: Union[str, bytes, Sequence[Union[str, bytes]]], max_age_ms: int = 0):
        if isinstance(keys, (str, bytes)):
            keys = [keys]
        encoded = [k.encode("utf-8") if isinstance(k, str) else bytes(k) for k in keys]
        arr, buffers = keys_array(encoded)
        out = Handle()
        self._handle: Optional[Handle] = None
        _call(lib.sendcloud_hook_verifier_new, arr, len(encoded), max_age_ms, ctypes.byref(out))
        del buffers  # the library keeps copies of the keys
        self._handle = out

    def __repr__(self) -> str:
        return "HookVerifier(<keys hidden>)"

    def close(self) -> None:
        """Frees the verifier (also done when it is garbage-collected)."""
        if getattr(self, "_handle", None):
            lib.sendcloud_hook_verifier_free(self._handle)
            self._handle = None

    def __del__(self) -> None:
        self.close()

    def verify(
        self,
        body: Union[bytes, str],
        content_type: Optional[str] = None,
        now_ms: Optional[int] = None,
    ) -> HookEvent:
        """Verifies and parses one post; raises HookRejected (or HookReplayed).

        The event's token is remembered at once: if handling the event then fails, call
        `forget(event.token)` before answering 5xx, or SendCloud's retry is refused as
        HookReplayed."""
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        out = Handle()
        _call(
            lib.sendcloud_hook_verify,
            self._handle,
            *buf(content_type),
            *buf(body),
            now_ms,
            ctypes.byref(out),
        )
        try:
            return HookEvent(
                event=lib.sendcloud_hook_event_name(out).text(),
                sms_id=lib.sendcloud_hook_event_sms_id(out).text(),
                phone=lib.sendcloud_hook_event_phone(out).text(),
                status_code=lib.sendcloud_hook_event_status_code(out),
                token=lib.sendcloud_hook_event_token(out).text(),
                timestamp_ms=lib.sendcloud_hook_event_timestamp_ms(out),
            )
        finally:
            lib.sendcloud_hook_event_free(out)

    def forget(self, token: Union[str, bytes]) -> None:
        """Forgets an accepted event's token, so that a redelivery of the event is verified
        again instead of raising HookReplayed: call it when your handler failed, so that
        SendCloud's retry is accepted. An unknown token is ignored."""
        code = lib.sendcloud_hook_verifier_forget(self._handle, *buf(token))
        if code != _OK:
            # This call hands back no error details: name the refused input here.
            message = lib.sendcloud_result_describe(code).decode()
            if code in (_NULL_PARAMETER, _INVALID_UTF8, _INVALID_INPUT):
                name = "verifier" if not self._handle else "token"
                raise InvalidInput(message, name, "", code)
            raise SendCloudError(message, code)


del _lib
