/* Fuzz target: the request bodies of the live-webinar endpoints, decoded the
 * way amphi-control decodes them and fed to every form parser (forms.h). */
#include "control/forms.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t e;
	json_t *body = json_loadb((const char *)data, size, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &e);
	json_t *errors = json_array();
	struct webinar_form w;
	struct registration_form r;
	struct poll_form p;
	const char *text;
	struct privacy_request_form pr;
	struct registration_patch_form rp;
	json_t *receipt;
	unsigned option;
	int rating;

	if (body) {
		forms_webinar_parse(body, true, &w, errors);
		forms_webinar_parse(body, false, &w, errors);
		if (forms_registration_parse(body, &r, errors) == 0 &&
		    (strlen(r.email_key) != strlen(r.email) || !forms_email_valid(r.email)))
			__builtin_trap();
		if (forms_registration_patch_parse(body, &rp, errors) == 0 && rp.phone && rp.phone_clear)
			__builtin_trap();
		forms_text_parse(body, FORMS_CHAT_MAX, &text, errors);
		if (forms_poll_parse(body, &p, errors) == 0 && (p.n_options < 2 || p.n_options > FORMS_POLL_OPTIONS_MAX))
			__builtin_trap();
		if (forms_vote_parse(body, 4, &option, errors) == 0 && option >= 4)
			__builtin_trap();
		if (forms_rating_parse(body, &rating, errors) == 0 && (rating < 1 || rating > 5))
			__builtin_trap();
		if (forms_privacy_request_parse(body, 1796000000, &pr, errors) == 0 &&
		    (!pr.kind || !pr.requester || pr.received_at > 1796000000))
			__builtin_trap();
		forms_privacy_close_parse(body, &text, &receipt, errors);
		json_decref(body);
	}
	json_decref(errors);
	return 0;
}
