/* libFuzzer target: what amphi-control does with a request body from the
 * network before anything is stored: the JSON body parse of HTTP_JSON routes
 * (http_json_body_parse), then the account form validation, the email
 * syntax check and the password rules on whatever strings the body holds.
 * None of it may crash, leak or disagree with itself. */
#include "control/accounts.h"
#include "control/http.h"
#include "control/password.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = NULL;
	char err[256];
	if (http_json_body_parse((const char *)data, size, &body, err, sizeof err) != 0) {
		if (!err[0])
			abort();   /* a refusal always says why */
		return 0;
	}
	for (int create = 0; create < 2; create++) {
		json_t *errors = json_array();
		int rc = accounts_form_check(body, create, errors);
		if ((rc == 0) != (json_array_size(errors) == 0))
			abort();
		json_decref(errors);
	}
	const char *k;
	json_t *v;
	const char *first = json_string_value(json_object_get(body, "first_name"));
	const char *last = json_string_value(json_object_get(body, "last_name"));
	const char *email = json_string_value(json_object_get(body, "email"));
	json_object_foreach(body, k, v) {
		if (!json_is_string(v))
			continue;
		const char *s = json_string_value(v);
		accounts_email_valid(s);
		json_t *unmet = json_array();
		int rc = password_check(s, first, last, email, unmet);
		if ((rc == 0) != (json_array_size(unmet) == 0))
			abort();
		json_decref(unmet);
	}
	json_decref(body);
	return 0;
}
