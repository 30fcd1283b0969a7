/*
 * The C API of sendcloud-ffi, driven from C: both layers (sans-IO and blocking), SMSHook
 * verification, every error path, and hostile inputs (NULL, invalid UTF-8, oversized)
 * answered with error codes. Run: test_sendcloud BASE_URL (a served sandbox, e.g.
 * `sendcloud sandbox --listen 127.0.0.1:0`). Exits 0 when every check passes.
 *
 * It is also run under valgrind and AddressSanitizer (tests/c/run-sanitizers.sh), so every
 * handle it makes is freed.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sendcloud.h"

static int checks = 0;
static int failures = 0;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        checks++;                                                                      \
        if (!(cond)) {                                                                 \
            failures++;                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                              \
    } while (0)

/* A C string as the pointer + length pair the API takes. */
#define CS(s) (const uint8_t *)(s), strlen(s)

/* A pointer value that no call may write over when it fails. */
#define SENTINEL ((void *)(uintptr_t)0x5e4dc10d)

static int str_eq(sendcloud_str s, const char *c) {
    return s.data != NULL && s.len == strlen(c) && memcmp(s.data, c, s.len) == 0;
}

static int str_has(sendcloud_str s, const char *needle) {
    size_t n = strlen(needle);
    if (n > s.len) return 0;
    for (size_t i = 0; i + n <= s.len; i++)
        if (memcmp(s.data + i, needle, n) == 0) return 1;
    return 0;
}

static int bytes_has(sendcloud_bytes b, const char *needle) {
    sendcloud_str s = {(const char *)b.data, b.len};
    return str_has(s, needle);
}

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Expects `r` to be failure `want`, with an error detail; frees the detail. */
static void expect_err(sendcloud_result r, sendcloud_error *err, sendcloud_result want,
                       const char *field, int line) {
    if (r != want) {
        failures++;
        fprintf(stderr, "line %d: result %d (%s), wanted %d (%s): %.*s\n", line, (int)r,
                sendcloud_result_describe((uint32_t)r), (int)want,
                sendcloud_result_describe((uint32_t)want), (int)sendcloud_error_message(err).len,
                sendcloud_error_message(err).data);
    }
    checks++;
    CHECK(err != NULL);
    CHECK(sendcloud_error_result(err) == want);
    CHECK(sendcloud_error_message(err).len > 0);
    if (field != NULL && !str_eq(sendcloud_error_field(err), field)) {
        failures++;
        fprintf(stderr, "line %d: field %.*s, wanted %s\n", line,
                (int)sendcloud_error_field(err).len, sendcloud_error_field(err).data, field);
    }
    sendcloud_error_free(err);
}
#define EXPECT_ERR(call, want, field)                                                  \
    do {                                                                               \
        sendcloud_error *err_ = NULL;                                                  \
        sendcloud_result r_ = (call);                                                  \
        expect_err(r_, err_, want, field, __LINE__);                                   \
    } while (0)

/* Expects success; on failure prints the error. */
static int ok(sendcloud_result r, sendcloud_error **errp, int line) {
    sendcloud_error *err = r == SENDCLOUD_OK ? NULL : *errp;
    checks++;
    if (r == SENDCLOUD_OK) return 1;
    failures++;
    sendcloud_str m = sendcloud_error_message(err);
    fprintf(stderr, "line %d: failed with %d (%s): %.*s\n", line, (int)r,
            sendcloud_result_describe((uint32_t)r), (int)m.len, m.data);
    sendcloud_error_free(err);
    *errp = NULL;
    return 0;
}
#define OK(call) ok((call), &err, __LINE__)

/* ---------------------------------------------------------------------------------- */

static void test_describe(void) {
    for (uint32_t code = 0; code <= 13; code++) {
        const char *d = sendcloud_result_describe(code);
        CHECK(d != NULL && strlen(d) > 0);
    }
    CHECK(strcmp(sendcloud_result_describe(999), "unknown result code") == 0);
    CHECK(strcmp(sendcloud_result_describe(SENDCLOUD_OK), "success") == 0);
    CHECK(strlen(sendcloud_version()) > 0);
}

static void test_null_and_free(void) {
    sendcloud_client *client = SENTINEL;
    EXPECT_ERR(sendcloud_client_new(NULL, 0, CS("key"), NULL, 0, SENDCLOUD_ALGORITHM_MD5, &client,
                                    &err_),
               SENDCLOUD_NULL_PARAMETER, "smsUser");
    CHECK(client == SENTINEL); /* outputs are written only on success */
    CHECK(sendcloud_client_new(CS("user"), CS("key"), NULL, 0, 0, NULL, NULL) ==
          SENDCLOUD_NULL_PARAMETER);
    /* err_out may be NULL: the code alone comes back */
    CHECK(sendcloud_client_new(CS("user"), NULL, 0, NULL, 0, 0, &client, NULL) ==
          SENDCLOUD_NULL_PARAMETER);
    CHECK(client == SENTINEL);

    sendcloud_message *msg = SENTINEL;
    EXPECT_ERR(sendcloud_message_new_template(1, NULL, 0, &msg, &err_), SENDCLOUD_NULL_PARAMETER,
               "phones");
    EXPECT_ERR(sendcloud_message_new_voice(CS("13800000001"), NULL, 0, &msg, &err_),
               SENDCLOUD_NULL_PARAMETER, "code");
    EXPECT_ERR(sendcloud_message_set_vars(NULL, CS("{}"), &err_), SENDCLOUD_NULL_PARAMETER,
               "message");
    CHECK(msg == SENTINEL);
    EXPECT_ERR(sendcloud_client_prepare(NULL, NULL, 0, NULL, &err_), SENDCLOUD_NULL_PARAMETER,
               "out_request");
    sendcloud_request *req = SENTINEL;
    EXPECT_ERR(sendcloud_client_prepare(NULL, NULL, 0, &req, &err_), SENDCLOUD_NULL_PARAMETER,
               "client");
    CHECK(req == SENTINEL);
    EXPECT_ERR(sendcloud_parse_send_response(200, NULL, 5, (sendcloud_receipt **)&req, &err_),
               SENDCLOUD_NULL_PARAMETER, "body");
    EXPECT_ERR(sendcloud_blocking_send(NULL, NULL, (sendcloud_receipt **)&req, &err_),
               SENDCLOUD_NULL_PARAMETER, "client");
    uint64_t ms = 42;
    EXPECT_ERR(sendcloud_blocking_server_time(NULL, &ms, &err_), SENDCLOUD_NULL_PARAMETER,
               "client");
    CHECK(ms == 42);
    EXPECT_ERR(sendcloud_hook_verifier_new(NULL, 1, 0, (sendcloud_hook_verifier **)&req, &err_),
               SENDCLOUD_NULL_PARAMETER, "keys");
    EXPECT_ERR(sendcloud_hook_verify(NULL, NULL, 0, CS("x"), 0, (sendcloud_hook_event **)&req,
                                     &err_),
               SENDCLOUD_NULL_PARAMETER, "verifier");
    CHECK(req == SENTINEL);
    CHECK(sendcloud_hook_verifier_forget(NULL, CS("tok-1")) == SENDCLOUD_NULL_PARAMETER);

    /* Accessors answer empty values for NULL; frees accept NULL. */
    CHECK(sendcloud_request_method(NULL).len == 0 && sendcloud_request_method(NULL).data != NULL);
    CHECK(sendcloud_request_url(NULL).len == 0);
    CHECK(sendcloud_request_header_count(NULL) == 0);
    CHECK(sendcloud_request_body(NULL).len == 0);
    sendcloud_str a, b;
    CHECK(sendcloud_request_header(NULL, 0, &a, &b) == SENDCLOUD_NULL_PARAMETER);
    CHECK(sendcloud_receipt_status_code(NULL) == 0);
    CHECK(sendcloud_receipt_success_count(NULL) == 0);
    CHECK(sendcloud_receipt_sms_id_count(NULL) == 0);
    CHECK(sendcloud_receipt_rejected_count(NULL) == 0);
    CHECK(!sendcloud_receipt_already_accepted(NULL));
    CHECK(sendcloud_receipt_sms_id(NULL, 0, &a) == SENDCLOUD_NULL_PARAMETER);
    CHECK(sendcloud_receipt_rejected(NULL, 0, &a, &b) == SENDCLOUD_NULL_PARAMETER);
    CHECK(sendcloud_error_result(NULL) == SENDCLOUD_NULL_PARAMETER);
    CHECK(sendcloud_error_message(NULL).len == 0);
    CHECK(sendcloud_error_status_code(NULL) == 0);
    CHECK(sendcloud_error_http_status(NULL) == 0);
    CHECK(sendcloud_error_field(NULL).len == 0 && sendcloud_error_rule(NULL).len == 0);
    CHECK(sendcloud_error_rejected_count(NULL) == 0);
    CHECK(sendcloud_error_rejected(NULL, 0, &a, &b) == SENDCLOUD_NULL_PARAMETER);
    CHECK(sendcloud_hook_event_name(NULL).len == 0);
    CHECK(sendcloud_hook_event_sms_id(NULL).len == 0);
    CHECK(sendcloud_hook_event_phone(NULL).len == 0);
    CHECK(sendcloud_hook_event_token(NULL).len == 0);
    CHECK(sendcloud_hook_event_status_code(NULL) == 0);
    CHECK(sendcloud_hook_event_timestamp_ms(NULL) == 0);
    CHECK(sendcloud_hook_event_field(NULL, CS("x"), &a) == SENDCLOUD_NULL_PARAMETER);
    size_t n = 7;
    char buf[8];
    sendcloud_str null_str = {NULL, 0};
    CHECK(sendcloud_str_copy(null_str, buf, sizeof buf, &n) == SENDCLOUD_NULL_PARAMETER);
    CHECK(n == 7);
    sendcloud_client_free(NULL);
    sendcloud_blocking_client_free(NULL);
    sendcloud_message_free(NULL);
    sendcloud_request_free(NULL);
    sendcloud_receipt_free(NULL);
    sendcloud_error_free(NULL);
    sendcloud_hook_verifier_free(NULL);
    sendcloud_hook_event_free(NULL);
}

static void test_bad_strings(void) {
    static const uint8_t not_utf8[] = {0x31, 0x33, 0xff, 0xfe};
    sendcloud_client *client = SENTINEL;
    EXPECT_ERR(sendcloud_client_new(not_utf8, sizeof not_utf8, CS("key"), NULL, 0, 0, &client,
                                    &err_),
               SENDCLOUD_INVALID_UTF8, "smsUser");
    CHECK(client == SENTINEL);
    sendcloud_message *msg = SENTINEL;
    EXPECT_ERR(sendcloud_message_new_template(1, not_utf8, sizeof not_utf8, &msg, &err_),
               SENDCLOUD_INVALID_UTF8, "phones");
    /* Oversized lengths are refused before anything is read. */
    EXPECT_ERR(sendcloud_message_new_template(1, (const uint8_t *)"13800000001", SIZE_MAX, &msg, &err_),
               SENDCLOUD_INVALID_INPUT, "phones");
    EXPECT_ERR(sendcloud_message_new_voice(CS("13800000001"), (const uint8_t *)"1234",
                                           (size_t)1 << 40, &msg, &err_),
               SENDCLOUD_INVALID_INPUT, "code");
    CHECK(msg == SENTINEL);
    sendcloud_receipt *receipt = SENTINEL;
    EXPECT_ERR(sendcloud_parse_send_response(200, (const uint8_t *)"{}", SIZE_MAX, &receipt,
                                             &err_),
               SENDCLOUD_INVALID_INPUT, "body");
    CHECK(receipt == SENTINEL);
    /* A key that is not UTF-8, and a base URL that is not. */
    EXPECT_ERR(sendcloud_client_new(CS("user"), not_utf8, sizeof not_utf8, NULL, 0, 0, &client,
                                    &err_),
               SENDCLOUD_INVALID_UTF8, "smsKey");
    EXPECT_ERR(sendcloud_client_new(CS("user"), CS("key"), not_utf8, sizeof not_utf8, 0, &client,
                                    &err_),
               SENDCLOUD_INVALID_UTF8, "baseUrl");
    CHECK(client == SENTINEL);

    /* A caller's buffer too small is refused, and nothing is written. */
    sendcloud_str s = {"hello", 5};
    char small[5] = {'x', 'x', 'x', 'x', 'x'};
    size_t n = 99;
    CHECK(sendcloud_str_copy(s, small, sizeof small, &n) == SENDCLOUD_BUFFER_TOO_SMALL);
    CHECK(n == 99 && small[0] == 'x');
    char fits[6];
    CHECK(sendcloud_str_copy(s, fits, sizeof fits, &n) == SENDCLOUD_OK);
    CHECK(n == 5 && strcmp(fits, "hello") == 0);
}

static void test_invalid_inputs(void) {
    sendcloud_client *client = SENTINEL;
    EXPECT_ERR(sendcloud_client_new(CS("user"), CS("key"), NULL, 0, 9, &client, &err_),
               SENDCLOUD_INVALID_INPUT, "algorithm");
    EXPECT_ERR(sendcloud_client_new(CS("user"), CS("key"), CS("ftp://example.com"), 0, &client,
                                    &err_),
               SENDCLOUD_INVALID_INPUT, "baseUrl");
    EXPECT_ERR(sendcloud_client_new(CS("user"), CS(""), NULL, 0, 0, &client, &err_),
               SENDCLOUD_INVALID_INPUT, "smsKey");
    CHECK(client == SENTINEL);

    sendcloud_message *msg = SENTINEL;
    EXPECT_ERR(sendcloud_message_new_template(0, CS("13800000001"), &msg, &err_),
               SENDCLOUD_INVALID_INPUT, "templateId");
    EXPECT_ERR(sendcloud_message_new_template(1, CS("12"), &msg, &err_), SENDCLOUD_INVALID_INPUT,
               "phone");
    EXPECT_ERR(sendcloud_message_new_voice(CS("13800000001"), CS("12"), &msg, &err_),
               SENDCLOUD_INVALID_INPUT, "code");
    EXPECT_ERR(sendcloud_message_new_code(CS("13800000001"), CS("1234"), 0, NULL, 0, &msg, &err_),
               SENDCLOUD_INVALID_INPUT, "signId");
    EXPECT_ERR(sendcloud_message_new_code(CS("13800000001"), CS("1234"), 0, CS(""), &msg, &err_),
               SENDCLOUD_INVALID_INPUT, "signName");
    CHECK(msg == SENTINEL);

    sendcloud_error *err = NULL;
    if (!OK(sendcloud_message_new_template(1, CS("13800000001"), &msg, &err))) return;
    EXPECT_ERR(sendcloud_message_set_vars(msg, CS("not json"), &err_), SENDCLOUD_INVALID_INPUT,
               "vars");
    EXPECT_ERR(sendcloud_message_set_msg_type(msg, 7, &err_), SENDCLOUD_INVALID_INPUT, "msgType");
    EXPECT_ERR(sendcloud_message_set_msg_type(msg, SENDCLOUD_MSG_TYPE_INTERNATIONAL, &err_),
               SENDCLOUD_INVALID_INPUT, "msgType");
    EXPECT_ERR(sendcloud_message_set_request_id(msg, CS(""), &err_), SENDCLOUD_INVALID_INPUT,
               "sendRequestId");
    EXPECT_ERR(sendcloud_message_set_tag(msg, CS("[1]"), &err_), SENDCLOUD_INVALID_INPUT, "tag");
    CHECK(OK(sendcloud_message_set_msg_type(msg, SENDCLOUD_MSG_TYPE_MMS, &err)));
    sendcloud_message_free(msg);

    if (!OK(sendcloud_message_new_voice(CS("13800000001"), CS("1234"), &msg, &err))) return;
    EXPECT_ERR(sendcloud_message_set_vars(msg, CS("{\"code\":\"1\"}"), &err_),
               SENDCLOUD_INVALID_INPUT, "vars");
    EXPECT_ERR(sendcloud_message_set_msg_type(msg, 0, &err_), SENDCLOUD_INVALID_INPUT, "msgType");
    sendcloud_message_free(msg);
}

static void test_prepare(void) {
    sendcloud_error *err = NULL;
    sendcloud_client *client = NULL;
    if (!OK(sendcloud_client_new(CS("my-user"), CS("my-secret-key"),
                                 CS("https://sms.example.com/smsapi/"), SENDCLOUD_ALGORITHM_SHA256,
                                 &client, &err)))
        return;
    sendcloud_message *msg = NULL;
    if (OK(sendcloud_message_new_template(7, CS("+85212345678"), &msg, &err))) {
        EXPECT_ERR(sendcloud_message_set_msg_type(msg, SENDCLOUD_MSG_TYPE_SMS, &err_),
                   SENDCLOUD_INVALID_INPUT, "msgType");
        sendcloud_message_free(msg);
        msg = NULL;
    }
    if (!OK(sendcloud_message_new_template(7, CS("13800000001"), &msg, &err))) goto done;
    CHECK(OK(sendcloud_message_set_vars(msg, CS("{\"code\":\"123456\"}"), &err)));
    CHECK(OK(sendcloud_message_set_request_id(msg, CS("order-1001"), &err)));
    CHECK(OK(sendcloud_message_set_tag(msg, CS("{\"order\":1001}"), &err)));

    sendcloud_request *req = NULL;
    if (OK(sendcloud_client_prepare(client, msg, 1700000000000ull, &req, &err))) {
        CHECK(str_eq(sendcloud_request_method(req), "POST"));
        CHECK(str_eq(sendcloud_request_url(req), "https://sms.example.com/smsapi/send"));
        size_t n = sendcloud_request_header_count(req);
        CHECK(n >= 3);
        int content_type = 0;
        for (size_t i = 0; i < n; i++) {
            sendcloud_str name, value;
            CHECK(sendcloud_request_header(req, i, &name, &value) == SENDCLOUD_OK);
            if (str_eq(name, "content-type"))
                content_type = str_eq(value, "application/x-www-form-urlencoded");
        }
        CHECK(content_type);
        sendcloud_str name = {SENTINEL, 0}, value = {SENTINEL, 0};
        CHECK(sendcloud_request_header(req, n, &name, &value) == SENDCLOUD_OUT_OF_RANGE);
        CHECK(name.data == SENTINEL);
        sendcloud_bytes body = sendcloud_request_body(req);
        CHECK(bytes_has(body, "smsUser=my-user"));
        CHECK(bytes_has(body, "templateId=7"));
        CHECK(bytes_has(body, "timestamp=1700000000000"));
        CHECK(bytes_has(body, "sendRequestId=order-1001"));
        CHECK(bytes_has(body, "signature="));
        CHECK(!bytes_has(body, "my-secret-key")); /* the key signs, it is never sent */
        sendcloud_request_free(req);
    }
    req = NULL;
    if (OK(sendcloud_client_prepare_server_time(client, 1700000000000ull, &req, &err))) {
        CHECK(str_eq(sendcloud_request_method(req), "GET"));
        CHECK(str_has(sendcloud_request_url(req), "https://sms.example.com/smsapi/timestamp/get"));
        CHECK(sendcloud_request_body(req).len == 0);
        sendcloud_request_free(req);
    }
    sendcloud_message_free(msg);

    /* Voice and code messages prepare too. */
    if (OK(sendcloud_message_new_voice(CS("13800000001"), CS("1234"), &msg, &err))) {
        if (OK(sendcloud_client_prepare(client, msg, 1700000000000ull, &req, &err))) {
            CHECK(str_has(sendcloud_request_url(req), "/sendVoice"));
            sendcloud_request_free(req);
        }
        sendcloud_message_free(msg);
    }
    if (OK(sendcloud_message_new_code(CS("13800000001"), CS("123456"), 0, CS("Sandbox"), &msg,
                                      &err))) {
        if (OK(sendcloud_client_prepare(client, msg, 1700000000000ull, &req, &err))) {
            CHECK(str_has(sendcloud_request_url(req), "/sendCode"));
            CHECK(bytes_has(sendcloud_request_body(req), "signName=Sandbox"));
            sendcloud_request_free(req);
        }
        sendcloud_message_free(msg);
    }
done:
    sendcloud_client_free(client);
}

static void test_parse(void) {
    sendcloud_error *err = NULL;
    sendcloud_receipt *receipt = NULL;
    const char *ok_body =
        "{\"result\":true,\"statusCode\":200,\"message\":\"ok\","
        "\"info\":{\"successCount\":2,\"smsIds\":[\"a$13800000001\",\"b$13800000002\"]}}";
    if (OK(sendcloud_parse_send_response(200, CS(ok_body), &receipt, &err))) {
        CHECK(sendcloud_receipt_status_code(receipt) == 200);
        CHECK(sendcloud_receipt_success_count(receipt) == 2);
        CHECK(sendcloud_receipt_sms_id_count(receipt) == 2);
        CHECK(sendcloud_receipt_rejected_count(receipt) == 0);
        CHECK(!sendcloud_receipt_already_accepted(receipt));
        sendcloud_str id;
        CHECK(sendcloud_receipt_sms_id(receipt, 1, &id) == SENDCLOUD_OK);
        CHECK(str_eq(id, "b$13800000002"));
        char buf[64];
        size_t n = 0;
        CHECK(sendcloud_str_copy(id, buf, sizeof buf, &n) == SENDCLOUD_OK);
        CHECK(n == 13 && strcmp(buf, "b$13800000002") == 0);
        CHECK(sendcloud_receipt_sms_id(receipt, 2, &id) == SENDCLOUD_OUT_OF_RANGE);
        sendcloud_receipt_free(receipt);
    }
    const char *partial =
        "{\"result\":true,\"statusCode\":311,\"message\":\"part\",\"info\":{\"successCount\":1,"
        "\"smsIds\":[\"a$13800000001\"],\"items\":[{\"phone\":\"1380000000\",\"message\":\"bad\"}]}}";
    receipt = NULL;
    if (OK(sendcloud_parse_send_response(200, CS(partial), &receipt, &err))) {
        CHECK(sendcloud_receipt_status_code(receipt) == 311);
        CHECK(sendcloud_receipt_rejected_count(receipt) == 1);
        sendcloud_str phone, message;
        CHECK(sendcloud_receipt_rejected(receipt, 0, &phone, &message) == SENDCLOUD_OK);
        CHECK(str_eq(phone, "1380000000") && str_eq(message, "bad"));
        CHECK(sendcloud_receipt_rejected(receipt, 1, &phone, &message) == SENDCLOUD_OUT_OF_RANGE);
        sendcloud_receipt_free(receipt);
    }
    /* A refusal: the status code, message and refused recipients come back in the error. */
    receipt = SENTINEL;
    err = NULL;
    const char *refused = "{\"result\":false,\"statusCode\":412,\"message\":\"wrong phone\","
                          "\"info\":{\"items\":[{\"phone\":\"12\",\"message\":\"bad\"}]}}";
    sendcloud_result r = sendcloud_parse_send_response(200, CS(refused), &receipt, &err);
    CHECK(r == SENDCLOUD_API_ERROR);
    CHECK(receipt == SENTINEL);
    CHECK(sendcloud_error_status_code(err) == 412);
    CHECK(str_has(sendcloud_error_message(err), "wrong phone"));
    CHECK(sendcloud_error_rejected_count(err) == 1);
    sendcloud_str phone, message;
    CHECK(sendcloud_error_rejected(err, 0, &phone, &message) == SENDCLOUD_OK);
    CHECK(str_eq(phone, "12"));
    CHECK(sendcloud_error_rejected(err, 1, &phone, &message) == SENDCLOUD_OUT_OF_RANGE);
    sendcloud_error_free(err);

    err = NULL;
    r = sendcloud_parse_send_response(502, CS("<html>bad gateway</html>"), &receipt, &err);
    CHECK(r == SENDCLOUD_HTTP_ERROR);
    CHECK(sendcloud_error_http_status(err) == 502);
    sendcloud_error_free(err);
    EXPECT_ERR(sendcloud_parse_send_response(200, CS("not json"), &receipt, &err_),
               SENDCLOUD_DECODE_ERROR, NULL);
    EXPECT_ERR(sendcloud_parse_send_response(200, NULL, 0, &receipt, &err_),
               SENDCLOUD_DECODE_ERROR, NULL);
    EXPECT_ERR(sendcloud_parse_send_response(0, CS(ok_body), &receipt, &err_),
               SENDCLOUD_INVALID_INPUT, "httpStatus");
    CHECK(receipt == SENTINEL);

    uint64_t ms = 0;
    err = NULL;
    const char *time_body = "{\"result\":true,\"statusCode\":200,\"message\":\"ok\","
                            "\"info\":{\"timestamp\":1700000000123}}";
    if (OK(sendcloud_parse_server_time_response(200, CS(time_body), &ms, &err)))
        CHECK(ms == 1700000000123ull);
    ms = 5;
    EXPECT_ERR(sendcloud_parse_server_time_response(200, CS("[]"), &ms, &err_),
               SENDCLOUD_DECODE_ERROR, NULL);
    CHECK(ms == 5);
}

/* ---- a tiny HTTP/1.1 client, so that C alone drives the sans-IO layer ---------------- */

/* Sends `req` to the loopback sandbox; fills status and body (malloc'd). */
static int http_roundtrip(const sendcloud_request *req, int *status, char **body,
                          size_t *body_len) {
    sendcloud_str url = sendcloud_request_url(req);
    const char *prefix = "http://127.0.0.1:";
    if (url.len <= strlen(prefix) || memcmp(url.data, prefix, strlen(prefix)) != 0) return 0;
    size_t i = strlen(prefix);
    int port = 0;
    while (i < url.len && url.data[i] >= '0' && url.data[i] <= '9')
        port = port * 10 + (url.data[i++] - '0');
    const char *path = url.data + i;
    size_t path_len = url.len - i;

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return 0;
    }
    sendcloud_str method = sendcloud_request_method(req);
    sendcloud_bytes b = sendcloud_request_body(req);
    char head[4096];
    int n = snprintf(head, sizeof head, "%.*s %.*s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n",
                     (int)method.len, method.data, (int)path_len, path, port);
    for (size_t h = 0; h < sendcloud_request_header_count(req); h++) {
        sendcloud_str name, value;
        if (sendcloud_request_header(req, h, &name, &value) != SENDCLOUD_OK) break;
        n += snprintf(head + n, sizeof head - (size_t)n, "%.*s: %.*s\r\n", (int)name.len,
                      name.data, (int)value.len, value.data);
    }
    n += snprintf(head + n, sizeof head - (size_t)n,
                  "Content-Length: %zu\r\nConnection: close\r\n\r\n", b.len);
    int sent = write(fd, head, (size_t)n) == n &&
               (b.len == 0 || write(fd, b.data, b.len) == (ssize_t)b.len);
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    ssize_t got;
    while (sent && buf && len < cap - 1 && (got = read(fd, buf + len, cap - 1 - len)) > 0)
        len += (size_t)got;
    close(fd);
    if (!sent || !buf) {
        free(buf);
        return 0;
    }
    buf[len] = 0;
    char *split = strstr(buf, "\r\n\r\n");
    if (!split || sscanf(buf, "HTTP/1.1 %d", status) != 1) {
        free(buf);
        return 0;
    }
    *body_len = len - (size_t)(split + 4 - buf);
    *body = malloc(*body_len + 1);
    memcpy(*body, split + 4, *body_len + 1);
    free(buf);
    return 1;
}

static void test_sans_io_roundtrip(const char *base_url) {
    sendcloud_error *err = NULL;
    sendcloud_client *client = NULL;
    if (!OK(sendcloud_client_new(CS("sandbox-user"), CS("sandbox-key"), CS(base_url),
                                 SENDCLOUD_ALGORITHM_MD5, &client, &err)))
        return;
    sendcloud_message *msg = NULL;
    if (OK(sendcloud_message_new_template(1, CS("13800000001"), &msg, &err))) {
        CHECK(OK(sendcloud_message_set_vars(msg, CS("{\"code\":\"123456\"}"), &err)));
        sendcloud_request *req = NULL;
        if (OK(sendcloud_client_prepare(client, msg, now_ms(), &req, &err))) {
            int status = 0;
            char *body = NULL;
            size_t len = 0;
            CHECK(http_roundtrip(req, &status, &body, &len));
            if (body) {
                sendcloud_receipt *receipt = NULL;
                if (OK(sendcloud_parse_send_response((uint16_t)status, (const uint8_t *)body, len,
                                                     &receipt, &err))) {
                    CHECK(sendcloud_receipt_status_code(receipt) == 200);
                    CHECK(sendcloud_receipt_sms_id_count(receipt) == 1);
                    sendcloud_receipt_free(receipt);
                }
                free(body);
            }
            sendcloud_request_free(req);
        }
        sendcloud_message_free(msg);
    }
    /* An unknown template: the sandbox refuses with 431. */
    if (OK(sendcloud_message_new_template(999, CS("13800000001"), &msg, &err))) {
        sendcloud_request *req = NULL;
        if (OK(sendcloud_client_prepare(client, msg, now_ms(), &req, &err))) {
            int status = 0;
            char *body = NULL;
            size_t len = 0;
            CHECK(http_roundtrip(req, &status, &body, &len));
            if (body) {
                sendcloud_receipt *receipt = SENTINEL;
                err = NULL;
                CHECK(sendcloud_parse_send_response((uint16_t)status, (const uint8_t *)body, len,
                                                    &receipt, &err) == SENDCLOUD_API_ERROR);
                CHECK(sendcloud_error_status_code(err) == 431);
                CHECK(receipt == SENTINEL);
                sendcloud_error_free(err);
                free(body);
            }
            sendcloud_request_free(req);
        }
        sendcloud_message_free(msg);
    }
    /* The server's clock, through the sans-IO layer. */
    sendcloud_request *req = NULL;
    if (OK(sendcloud_client_prepare_server_time(client, now_ms(), &req, &err))) {
        int status = 0;
        char *body = NULL;
        size_t len = 0;
        CHECK(http_roundtrip(req, &status, &body, &len));
        if (body) {
            uint64_t ms = 0;
            if (OK(sendcloud_parse_server_time_response((uint16_t)status, (const uint8_t *)body,
                                                        len, &ms, &err)))
                CHECK(ms > now_ms() - 60000 && ms < now_ms() + 60000);
            free(body);
        }
        sendcloud_request_free(req);
    }
    sendcloud_client_free(client);
}

static void test_blocking(const char *base_url) {
    sendcloud_error *err = NULL;
    sendcloud_blocking_client *client = NULL;
    if (!OK(sendcloud_blocking_client_new(CS("sandbox-user"), CS("sandbox-key"), CS(base_url),
                                          SENDCLOUD_ALGORITHM_SHA256, 5000, 2, &client, &err)))
        return;
    sendcloud_message *msg = NULL;
    sendcloud_receipt *receipt = NULL;

    if (OK(sendcloud_message_new_template(1, CS("13800000001"), &msg, &err))) {
        CHECK(OK(sendcloud_message_set_vars(msg, CS("{\"code\":\"123456\"}"), &err)));
        CHECK(OK(sendcloud_message_set_tag(msg, CS("{\"user\":42}"), &err)));
        if (OK(sendcloud_blocking_send(client, msg, &receipt, &err))) {
            CHECK(sendcloud_receipt_status_code(receipt) == 200);
            CHECK(sendcloud_receipt_success_count(receipt) == 1);
            CHECK(sendcloud_receipt_sms_id_count(receipt) == 1);
            sendcloud_receipt_free(receipt);
        }
        sendcloud_message_free(msg);
    }
    /* A number that breaks the rule (10 digits) is refused before anything is sent, and
       the error names it. (Reading a partial success, 311, is tested above.) */
    msg = SENTINEL;
    err = NULL;
    CHECK(sendcloud_message_new_template(1, CS("13800000001,1380000000"), &msg, &err) ==
          SENDCLOUD_INVALID_INPUT);
    CHECK(msg == SENTINEL);
    CHECK(str_eq(sendcloud_error_field(err), "phone"));
    CHECK(str_has(sendcloud_error_message(err), "\"1380000000\" has 10 digits"));
    sendcloud_error_free(err);
    err = NULL;
    msg = NULL;
    /* A refusal: unknown template. */
    if (OK(sendcloud_message_new_template(999, CS("13800000001"), &msg, &err))) {
        receipt = SENTINEL;
        err = NULL;
        CHECK(sendcloud_blocking_send(client, msg, &receipt, &err) == SENDCLOUD_API_ERROR);
        CHECK(sendcloud_error_status_code(err) == 431);
        CHECK(receipt == SENTINEL);
        sendcloud_error_free(err);
        err = NULL;
        sendcloud_message_free(msg);
    }
    /* Voice and code sends. */
    if (OK(sendcloud_message_new_voice(CS("13800000002"), CS("4321"), &msg, &err))) {
        char id[64]; /* unique, so that the test can run again against the same sandbox */
        snprintf(id, sizeof id, "voice-%llu-%ld", (unsigned long long)now_ms(), (long)getpid());
        CHECK(OK(sendcloud_message_set_request_id(msg, CS(id), &err)));
        if (OK(sendcloud_blocking_send(client, msg, &receipt, &err))) {
            CHECK(sendcloud_receipt_success_count(receipt) == 1);
            sendcloud_receipt_free(receipt);
        }
        sendcloud_message_free(msg);
    }
    if (OK(sendcloud_message_new_code(CS("13800000003"), CS("654321"), 0, CS("Sandbox"), &msg,
                                      &err))) {
        if (OK(sendcloud_blocking_send(client, msg, &receipt, &err))) {
            CHECK(sendcloud_receipt_success_count(receipt) == 1);
            sendcloud_receipt_free(receipt);
        }
        sendcloud_message_free(msg);
    }
    uint64_t ms = 0;
    if (OK(sendcloud_blocking_server_time(client, &ms, &err)))
        CHECK(ms > now_ms() - 60000 && ms < now_ms() + 60000);
    sendcloud_blocking_client_free(client);

    /* Wrong key: the sandbox refuses, and the key is nowhere in the error. */
    client = NULL;
    if (OK(sendcloud_blocking_client_new(CS("sandbox-user"), CS("not-the-key-xyz"), CS(base_url),
                                         0, 5000, 1, &client, &err))) {
        if (OK(sendcloud_message_new_template(1, CS("13800000001"), &msg, &err))) {
            err = NULL;
            CHECK(sendcloud_blocking_send(client, msg, &receipt, &err) == SENDCLOUD_API_ERROR);
            CHECK(sendcloud_error_status_code(err) != 0);
            CHECK(!str_has(sendcloud_error_message(err), "not-the-key-xyz"));
            sendcloud_error_free(err);
            err = NULL;
            sendcloud_message_free(msg);
        }
        sendcloud_blocking_client_free(client);
    }
    /* Nobody listening: a transport error. */
    client = NULL;
    if (OK(sendcloud_blocking_client_new(CS("sandbox-user"), CS("sandbox-key"),
                                         CS("http://127.0.0.1:1"), 0, 2000, 1, &client, &err))) {
        ms = 7;
        EXPECT_ERR(sendcloud_blocking_server_time(client, &ms, &err_), SENDCLOUD_TRANSPORT_ERROR,
                   NULL);
        CHECK(ms == 7);
        sendcloud_blocking_client_free(client);
    }
    /* Plain http to a remote host is refused. */
    client = SENTINEL;
    EXPECT_ERR(sendcloud_blocking_client_new(CS("sandbox-user"), CS("sandbox-key"),
                                             CS("http://sms.example.com"), 0, 0, 0, &client,
                                             &err_),
               SENDCLOUD_CONFIG_ERROR, NULL);
    CHECK(client == SENTINEL);
}

/* Posts signed with "hook-key" at 1700000000000 (see the Python tests for the recipe). */
static const char *DELIVER_BODY =
    "event=deliver&smsId=1700000000000_1_1_1_abc%2413800000001&phone=13800000001&token=tok-1"
    "&timestamp=1700000000000"
    "&signature=b0efd86f0b517e9517addde0407b5fcacd20d0518ec3fc018a3d129a639129cd";
static const char *FAILED_BODY =
    "event=delivererror&smsId=1700000000000_1_1_2_def%2413800000002&phone=13800000002"
    "&statusCode=500&token=tok-2&timestamp=1700000000000"
    "&signature=4d9a712e0200f21cee9e0ea694acf68083edfc572039cbf48c41125c4e3c3131";
#define HOOK_TS 1700000000000ull

static void test_hook(void) {
    sendcloud_error *err = NULL;
    sendcloud_hook_verifier *v = SENTINEL;
    sendcloud_str no_keys[1] = {{"", 0}};
    EXPECT_ERR(sendcloud_hook_verifier_new(no_keys, 0, 0, &v, &err_), SENDCLOUD_INVALID_INPUT,
               "appKey");
    EXPECT_ERR(sendcloud_hook_verifier_new(no_keys, 1, 0, &v, &err_), SENDCLOUD_INVALID_INPUT,
               "appKey");
    sendcloud_str bad_key[1] = {{"\xff", 1}};
    EXPECT_ERR(sendcloud_hook_verifier_new(bad_key, 1, 0, &v, &err_), SENDCLOUD_INVALID_UTF8,
               "appKey");
    EXPECT_ERR(sendcloud_hook_verifier_new(no_keys, SIZE_MAX, 0, &v, &err_),
               SENDCLOUD_INVALID_INPUT, "appKey");
    CHECK(v == SENTINEL);

    sendcloud_str keys[2] = {{"old-key", 7}, {"hook-key", 8}};
    v = NULL;
    if (!OK(sendcloud_hook_verifier_new(keys, 2, 0, &v, &err))) return;
    sendcloud_hook_event *ev = NULL;
    if (OK(sendcloud_hook_verify(v, CS("application/x-www-form-urlencoded"), CS(DELIVER_BODY),
                                 HOOK_TS + 1000, &ev, &err))) {
        CHECK(str_eq(sendcloud_hook_event_name(ev), "deliver"));
        CHECK(str_eq(sendcloud_hook_event_sms_id(ev), "1700000000000_1_1_1_abc$13800000001"));
        CHECK(str_eq(sendcloud_hook_event_phone(ev), "13800000001"));
        CHECK(str_eq(sendcloud_hook_event_token(ev), "tok-1"));
        CHECK(sendcloud_hook_event_timestamp_ms(ev) == HOOK_TS);
        CHECK(sendcloud_hook_event_status_code(ev) == 0);
        sendcloud_str f = {SENTINEL, 0};
        CHECK(sendcloud_hook_event_field(ev, CS("phone"), &f) == SENDCLOUD_OK);
        CHECK(str_eq(f, "13800000001"));
        f.data = SENTINEL;
        CHECK(sendcloud_hook_event_field(ev, CS("nope"), &f) == SENDCLOUD_OUT_OF_RANGE);
        CHECK(f.data == SENTINEL);
        sendcloud_hook_event_free(ev);
    }
    /* The same post again is a replay: answer 200, do nothing. */
    ev = SENTINEL;
    err = NULL;
    CHECK(sendcloud_hook_verify(v, NULL, 0, CS(DELIVER_BODY), HOOK_TS + 2000, &ev, &err) ==
          SENDCLOUD_HOOK_REPLAYED);
    CHECK(sendcloud_error_http_status(err) == 200);
    CHECK(ev == SENTINEL);
    sendcloud_error_free(err);
    err = NULL;
    /* A handler that failed forgets the token (by name, then through the event's own view
     * of it), so SendCloud's retry is accepted once more, and then remembered again. */
    ev = NULL;
    CHECK(sendcloud_hook_verifier_forget(v, CS("tok-1")) == SENDCLOUD_OK);
    if (OK(sendcloud_hook_verify(v, NULL, 0, CS(DELIVER_BODY), HOOK_TS + 4000, &ev, &err))) {
        sendcloud_str t = sendcloud_hook_event_token(ev);
        CHECK(str_eq(t, "tok-1"));
        CHECK(sendcloud_hook_verifier_forget(v, (const uint8_t *)t.data, t.len) == SENDCLOUD_OK);
        sendcloud_hook_event_free(ev);
    }
    ev = NULL;
    if (OK(sendcloud_hook_verify(v, NULL, 0, CS(DELIVER_BODY), HOOK_TS + 5000, &ev, &err)))
        sendcloud_hook_event_free(ev);
    ev = SENTINEL;
    CHECK(sendcloud_hook_verify(v, NULL, 0, CS(DELIVER_BODY), HOOK_TS + 6000, &ev, &err) ==
          SENDCLOUD_HOOK_REPLAYED);
    CHECK(ev == SENTINEL);
    sendcloud_error_free(err);
    err = NULL;
    /* Forgetting an unknown or empty token is harmless; NULL and non-UTF-8 are refused. */
    CHECK(sendcloud_hook_verifier_forget(v, CS("never-seen")) == SENDCLOUD_OK);
    CHECK(sendcloud_hook_verifier_forget(v, CS("")) == SENDCLOUD_OK);
    CHECK(sendcloud_hook_verifier_forget(v, NULL, 0) == SENDCLOUD_NULL_PARAMETER);
    CHECK(sendcloud_hook_verifier_forget(v, NULL, 5) == SENDCLOUD_NULL_PARAMETER);
    CHECK(sendcloud_hook_verifier_forget(v, (const uint8_t *)"tok-\xff", 5) ==
          SENDCLOUD_INVALID_UTF8);
    CHECK(sendcloud_hook_verifier_forget(v, (const uint8_t *)"x", SIZE_MAX) ==
          SENDCLOUD_INVALID_INPUT);
    ev = SENTINEL;
    CHECK(sendcloud_hook_verify(v, NULL, 0, CS(DELIVER_BODY), HOOK_TS + 7000, &ev, &err) ==
          SENDCLOUD_HOOK_REPLAYED);
    sendcloud_error_free(err);
    err = NULL;
    /* A failure event, with no content type (guessed). */
    ev = NULL;
    if (OK(sendcloud_hook_verify(v, NULL, 0, CS(FAILED_BODY), HOOK_TS, &ev, &err))) {
        CHECK(str_eq(sendcloud_hook_event_name(ev), "delivererror"));
        CHECK(sendcloud_hook_event_status_code(ev) == 500);
        sendcloud_hook_event_free(ev);
    }
    /* Forged, stale, malformed, oversized, not UTF-8. */
    char forged[512];
    snprintf(forged, sizeof forged, "%s", DELIVER_BODY);
    forged[strlen(forged) - 1] = forged[strlen(forged) - 1] == '0' ? '1' : '0';
    char *tok = strstr(forged, "tok-1");
    tok[4] = '9';
    ev = SENTINEL;
    err = NULL;
    CHECK(sendcloud_hook_verify(v, NULL, 0, CS(forged), HOOK_TS, &ev, &err) ==
          SENDCLOUD_HOOK_REJECTED);
    CHECK(sendcloud_error_http_status(err) == 401);
    sendcloud_error_free(err);
    err = NULL;
    CHECK(sendcloud_hook_verify(v, NULL, 0, CS(FAILED_BODY), HOOK_TS + 3600000, &ev, &err) ==
          SENDCLOUD_HOOK_REJECTED);
    CHECK(sendcloud_error_http_status(err) == 401);
    sendcloud_error_free(err);
    err = NULL;
    CHECK(sendcloud_hook_verify(v, CS("application/json"), CS("{not json"), HOOK_TS, &ev, &err) ==
          SENDCLOUD_HOOK_REJECTED);
    CHECK(sendcloud_error_http_status(err) == 400);
    sendcloud_error_free(err);
    err = NULL;
    CHECK(sendcloud_hook_verify(v, NULL, 0, (const uint8_t *)"x", SIZE_MAX, HOOK_TS, &ev, &err) ==
          SENDCLOUD_HOOK_REJECTED);
    CHECK(sendcloud_error_http_status(err) == 413);
    sendcloud_error_free(err);
    EXPECT_ERR(sendcloud_hook_verify(v, (const uint8_t *)"\xff", 1, CS(DELIVER_BODY), HOOK_TS,
                                     &ev, &err_),
               SENDCLOUD_INVALID_UTF8, "contentType");
    EXPECT_ERR(sendcloud_hook_verify(v, NULL, 0, CS(DELIVER_BODY), HOOK_TS, NULL, &err_),
               SENDCLOUD_NULL_PARAMETER, "out_event");
    CHECK(ev == SENTINEL);
    sendcloud_hook_verifier_free(v);
}

/* ---- the config builder --------------------------------------------------------------- */

/* A listening socket on 127.0.0.1 that never answers (connections wait in its backlog);
 * its port goes to *port. */
static int silent_listener(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 8) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(addr.sin_port);
    return fd;
}

/* The length of the signature field of a form body (32 for MD5, 64 for SHA-256), or 0. */
static size_t signature_len(sendcloud_bytes body) {
    const char *key = "signature=";
    size_t k = strlen(key);
    for (size_t i = 0; i + k <= body.len; i++) {
        if ((i == 0 || body.data[i - 1] == '&') && memcmp(body.data + i, key, k) == 0) {
            size_t n = 0;
            while (i + k + n < body.len && body.data[i + k + n] != '&') n++;
            return n;
        }
    }
    return 0;
}

/* A builder for the sandbox's credentials, or NULL (a failed check) when it cannot be made. */
static sendcloud_client_config_builder *sandbox_builder(void) {
    sendcloud_error *err = NULL;
    sendcloud_client_config_builder *b = NULL;
    if (!OK(sendcloud_client_config_builder_new(CS("sandbox-user"), CS("sandbox-key"), &b, &err)))
        return NULL;
    return b;
}

static void test_config_builder_refusals(void) {
    static const uint8_t not_utf8[] = {0x68, 0x74, 0xff};
    sendcloud_client_config_builder *b = SENTINEL;
    EXPECT_ERR(sendcloud_client_config_builder_new(NULL, 0, CS("key"), &b, &err_),
               SENDCLOUD_NULL_PARAMETER, "smsUser");
    EXPECT_ERR(sendcloud_client_config_builder_new(CS("user"), not_utf8, sizeof not_utf8, &b,
                                                   &err_),
               SENDCLOUD_INVALID_UTF8, "smsKey");
    EXPECT_ERR(sendcloud_client_config_builder_new(CS("user"), CS(""), &b, &err_),
               SENDCLOUD_INVALID_INPUT, "smsKey");
    EXPECT_ERR(sendcloud_client_config_builder_new(CS(" "), CS("key"), &b, &err_),
               SENDCLOUD_INVALID_INPUT, "smsUser");
    EXPECT_ERR(sendcloud_client_config_builder_new(CS("user"), (const uint8_t *)"k", SIZE_MAX, &b,
                                                   &err_),
               SENDCLOUD_INVALID_INPUT, "smsKey");
    EXPECT_ERR(sendcloud_client_config_builder_new(CS("user"), CS("key"), NULL, &err_),
               SENDCLOUD_NULL_PARAMETER, "out");
    CHECK(b == SENTINEL);

    /* Every setter refuses a NULL builder. */
    EXPECT_ERR(sendcloud_client_config_builder_set_base_url(NULL, CS("http://127.0.0.1:1"), &err_),
               SENDCLOUD_NULL_PARAMETER, "builder");
    EXPECT_ERR(sendcloud_client_config_builder_set_algorithm(NULL, 0, &err_),
               SENDCLOUD_NULL_PARAMETER, "builder");
    EXPECT_ERR(sendcloud_client_config_builder_set_timeout_ms(NULL, 1000, &err_),
               SENDCLOUD_NULL_PARAMETER, "builder");
    EXPECT_ERR(sendcloud_client_config_builder_set_connect_timeout_ms(NULL, 1000, &err_),
               SENDCLOUD_NULL_PARAMETER, "builder");
    EXPECT_ERR(sendcloud_client_config_builder_set_max_attempts(NULL, 1, &err_),
               SENDCLOUD_NULL_PARAMETER, "builder");
    EXPECT_ERR(sendcloud_client_config_builder_set_allow_plain_http(NULL, true, &err_),
               SENDCLOUD_NULL_PARAMETER, "builder");
    const sendcloud_client_config *config = SENTINEL;
    EXPECT_ERR(sendcloud_client_config_builder_build(NULL, &config, &err_),
               SENDCLOUD_NULL_PARAMETER, "builder");
    CHECK(config == SENTINEL);
    sendcloud_blocking_client *blocking = SENTINEL;
    sendcloud_client *core = SENTINEL;
    EXPECT_ERR(sendcloud_blocking_client_new_with_config(NULL, &blocking, &err_),
               SENDCLOUD_NULL_PARAMETER, "config");
    EXPECT_ERR(sendcloud_client_new_with_config(NULL, &core, &err_), SENDCLOUD_NULL_PARAMETER,
               "config");
    CHECK(blocking == SENTINEL && core == SENTINEL);
    sendcloud_client_config_builder_free(NULL);
    sendcloud_client_config_free(NULL);

    /* Refused values, each naming its setting. */
    b = sandbox_builder();
    if (b == NULL) return;
    EXPECT_ERR(sendcloud_client_config_builder_set_algorithm(b, 9, &err_), SENDCLOUD_INVALID_INPUT,
               "algorithm");
    EXPECT_ERR(sendcloud_client_config_builder_set_timeout_ms(b, 0, &err_),
               SENDCLOUD_INVALID_INPUT, "timeout");
    EXPECT_ERR(sendcloud_client_config_builder_set_connect_timeout_ms(b, 0, &err_),
               SENDCLOUD_INVALID_INPUT, "connectTimeout");
    EXPECT_ERR(sendcloud_client_config_builder_set_max_attempts(b, 0, &err_),
               SENDCLOUD_INVALID_INPUT, "maxAttempts");
    EXPECT_ERR(sendcloud_client_config_builder_set_base_url(b, NULL, 0, &err_),
               SENDCLOUD_NULL_PARAMETER, "baseUrl");
    EXPECT_ERR(sendcloud_client_config_builder_set_base_url(b, not_utf8, sizeof not_utf8, &err_),
               SENDCLOUD_INVALID_UTF8, "baseUrl");
    EXPECT_ERR(sendcloud_client_config_builder_set_base_url(b, CS("ftp://example.com"), &err_),
               SENDCLOUD_INVALID_INPUT, "baseUrl");
    EXPECT_ERR(sendcloud_client_config_builder_set_base_url(b, CS("no scheme"), &err_),
               SENDCLOUD_INVALID_INPUT, "baseUrl");
    /* An unwanted builder is freed without being built. */
    sendcloud_client_config_builder_free(b);

    /* Plain http to a remote host: refused when the config is built, allowed on request. */
    b = sandbox_builder();
    if (b == NULL) return;
    sendcloud_error *err = NULL;
    CHECK(OK(sendcloud_client_config_builder_set_base_url(b, CS("http://sms.example.com/smsapi"),
                                                          &err)));
    config = SENTINEL;
    EXPECT_ERR(sendcloud_client_config_builder_build(b, &config, &err_), SENDCLOUD_CONFIG_ERROR,
               NULL); /* the builder is consumed, even on failure */
    CHECK(config == SENTINEL);
    b = sandbox_builder();
    if (b == NULL) return;
    CHECK(OK(sendcloud_client_config_builder_set_base_url(b, CS("http://sms.example.com/smsapi"),
                                                          &err)));
    CHECK(OK(sendcloud_client_config_builder_set_allow_plain_http(b, true, &err)));
    config = NULL;
    if (OK(sendcloud_client_config_builder_build(b, &config, &err))) {
        blocking = NULL;
        if (OK(sendcloud_blocking_client_new_with_config(config, &blocking, &err)))
            sendcloud_blocking_client_free(blocking);
        EXPECT_ERR(sendcloud_blocking_client_new_with_config(config, NULL, &err_),
                   SENDCLOUD_NULL_PARAMETER, "out");
        sendcloud_client_config_free(config);
    }
    /* A NULL out_config is refused, and the builder is consumed all the same. */
    b = sandbox_builder();
    if (b == NULL) return;
    EXPECT_ERR(sendcloud_client_config_builder_build(b, NULL, &err_), SENDCLOUD_NULL_PARAMETER,
               "out_config");
}

static void test_config_builder(const char *base_url) {
    sendcloud_error *err = NULL;
    sendcloud_client_config_builder *b = sandbox_builder();
    if (b == NULL) return;
    CHECK(OK(sendcloud_client_config_builder_set_base_url(b, CS(base_url), &err)));
    /* A refused setting changes nothing: the sandbox's URL stays. */
    EXPECT_ERR(sendcloud_client_config_builder_set_base_url(b, CS("ftp://example.com"), &err_),
               SENDCLOUD_INVALID_INPUT, "baseUrl");
    CHECK(OK(sendcloud_client_config_builder_set_algorithm(b, SENDCLOUD_ALGORITHM_SHA256, &err)));
    CHECK(OK(sendcloud_client_config_builder_set_timeout_ms(b, 5000, &err)));
    CHECK(OK(sendcloud_client_config_builder_set_connect_timeout_ms(b, 2000, &err)));
    CHECK(OK(sendcloud_client_config_builder_set_max_attempts(b, 2, &err)));
    const sendcloud_client_config *config = NULL;
    if (!OK(sendcloud_client_config_builder_build(b, &config, &err))) return;
    sendcloud_blocking_client *blocking = NULL;
    sendcloud_client *core = NULL;
    CHECK(OK(sendcloud_blocking_client_new_with_config(config, &blocking, &err)));
    CHECK(OK(sendcloud_client_new_with_config(config, &core, &err)));
    /* The clients keep their own copy of the settings. */
    sendcloud_client_config_free(config);

    sendcloud_message *msg = NULL;
    if (blocking && OK(sendcloud_message_new_template(1, CS("13800000001"), &msg, &err))) {
        CHECK(OK(sendcloud_message_set_vars(msg, CS("{\"code\":\"123456\"}"), &err)));
        sendcloud_receipt *receipt = NULL;
        if (OK(sendcloud_blocking_send(blocking, msg, &receipt, &err))) {
            CHECK(sendcloud_receipt_status_code(receipt) == 200);
            CHECK(sendcloud_receipt_success_count(receipt) == 1);
            sendcloud_receipt_free(receipt);
        }
        /* The sans-IO client of the same config signs for the same service, with SHA-256,
         * and leaves the Host header to the caller's HTTP client. */
        sendcloud_request *req = NULL;
        if (core && OK(sendcloud_client_prepare(core, msg, now_ms(), &req, &err))) {
            sendcloud_str url = sendcloud_request_url(req);
            CHECK(url.len == strlen(base_url) + strlen("/send") &&
                  memcmp(url.data, base_url, strlen(base_url)) == 0);
            CHECK(signature_len(sendcloud_request_body(req)) == 64); /* SHA-256, in hex */
            for (size_t h = 0; h < sendcloud_request_header_count(req); h++) {
                sendcloud_str name, value;
                CHECK(sendcloud_request_header(req, h, &name, &value) == SENDCLOUD_OK);
                CHECK(!str_eq(name, "host"));
            }
            int status = 0;
            char *body = NULL;
            size_t body_len = 0;
            CHECK(http_roundtrip(req, &status, &body, &body_len));
            if (body) {
                sendcloud_receipt *parsed = NULL;
                if (OK(sendcloud_parse_send_response((uint16_t)status, (const uint8_t *)body,
                                                     body_len, &parsed, &err))) {
                    CHECK(sendcloud_receipt_success_count(parsed) == 1);
                    sendcloud_receipt_free(parsed);
                }
                free(body);
            }
            sendcloud_request_free(req);
        }
        sendcloud_message_free(msg);
    }
    sendcloud_client_free(core);
    sendcloud_blocking_client_free(blocking);

    /* The timeout bounds an attempt: a server that never answers fails fast. */
    int port = 0;
    int fd = silent_listener(&port);
    CHECK(fd >= 0);
    if (fd < 0) return;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/smsapi", port);
    b = sandbox_builder();
    if (b != NULL) {
        CHECK(OK(sendcloud_client_config_builder_set_base_url(b, CS(url), &err)));
        CHECK(OK(sendcloud_client_config_builder_set_timeout_ms(b, 300, &err)));
        CHECK(OK(sendcloud_client_config_builder_set_max_attempts(b, 1, &err)));
        config = NULL;
        blocking = NULL;
        if (OK(sendcloud_client_config_builder_build(b, &config, &err)) &&
            OK(sendcloud_blocking_client_new_with_config(config, &blocking, &err))) {
            uint64_t ms = 7, started = now_ms();
            EXPECT_ERR(sendcloud_blocking_server_time(blocking, &ms, &err_),
                       SENDCLOUD_TRANSPORT_ERROR, NULL);
            uint64_t took = now_ms() - started;
            CHECK(ms == 7);
            CHECK(took >= 250 && took < 5000);
            sendcloud_blocking_client_free(blocking);
        }
        sendcloud_client_config_free(config);
    }
    close(fd);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s BASE_URL (of a served sandbox)\n", argv[0]);
        return 2;
    }
    test_describe();
    test_null_and_free();
    test_bad_strings();
    test_invalid_inputs();
    test_prepare();
    test_parse();
    test_hook();
    test_sans_io_roundtrip(argv[1]);
    test_blocking(argv[1]);
    test_config_builder_refusals();
    test_config_builder(argv[1]);
    printf("%d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
