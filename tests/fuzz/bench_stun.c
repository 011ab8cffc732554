/* Fuzz target: what amphi-bench's WebRTC viewers read from the relay's port
 * as STUN (bench/ice_client.c): the answers to their checks and consent
 * checks.  Whatever the bytes, the checker returns; an answer it accepts as
 * a success verified under the password, and one it builds verifies. */
#include "bench/ice_client.h"
#include "common/stun.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char pwd[] = "VOkJxbRl1RmTxUk/WvJxBt";
	struct ice_client_answer a;
	uint8_t txid[ICE_CLIENT_TXID_LEN] = { 0 }, req[ICE_CLIENT_REQUEST_MAX];
	int r;

	if (size >= 20)
		memcpy(txid, data + 8, sizeof txid);     /* so that the answer may match */
	r = ice_client_answer_check(data, size, txid, pwd, &a);
	if (r == 0 && a.error_code == 0 && ice_client_message_verify(data, size, pwd) != 0)
		abort();
	(void)ice_client_message_verify(data, size, pwd);
	/* the builder with a USERNAME taken from the input */
	if (size > 0 && size <= 64) {
		char user[65];

		memcpy(user, data, size);
		user[size] = 0;
		r = stun_binding_request_build(req, sizeof req, txid, user, pwd, 1, 2, size & 1);
		if (r > 0 && strlen(user) > 0 && ice_client_message_verify(req, (size_t)r, pwd) != 0)
			abort();
	}
	return 0;
}
