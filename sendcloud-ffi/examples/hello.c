#include <stdio.h>
#include <string.h>
#include "sendcloud.h"

int main(int argc, char **argv) {
    const char *url = argc > 1 ? argv[1] : "http://127.0.0.1:8025/smsapi"; /* `sendcloud sandbox` */
    sendcloud_blocking_client *client = NULL; sendcloud_message *msg = NULL;
    sendcloud_receipt *receipt = NULL; sendcloud_error *err = NULL;
    sendcloud_result r = sendcloud_blocking_client_new(SENDCLOUD_S("sandbox-user"), SENDCLOUD_S("sandbox-key"),
        (const uint8_t *)url, strlen(url), SENDCLOUD_ALGORITHM_MD5, 0, 0, &client, &err);
    if (r == SENDCLOUD_OK) r = sendcloud_message_new_template(1, SENDCLOUD_S("13800000000"), &msg, &err);
    if (r == SENDCLOUD_OK) r = sendcloud_message_set_vars(msg, SENDCLOUD_S("{\"code\":\"123456\"}"), &err);
    if (r == SENDCLOUD_OK) r = sendcloud_blocking_send(client, msg, &receipt, &err);
    if (r == SENDCLOUD_OK) printf("sent: %llu message(s)\n", (unsigned long long)sendcloud_receipt_success_count(receipt));
    else printf("failed: %.*s\n", (int)sendcloud_error_message(err).len, sendcloud_error_message(err).data);
    sendcloud_receipt_free(receipt); sendcloud_message_free(msg); sendcloud_error_free(err); sendcloud_blocking_client_free(client);
    return r == SENDCLOUD_OK ? 0 : 1;
}
