/* forms: see forms.h. */
#include "control/forms.h"
#include "common/clock.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void add_error(json_t *errors, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_error(json_t *errors, const char *field, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_array_append_new(errors, json_pack("{s:s,s:s}", "field", field, "error", msg));
}

size_t forms_utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* A control character other than the ones allowed (newline in long texts)
 * would let a message forge lines in logs, exports or SSE frames. */
static bool has_control(const char *s, bool allow_newline)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n' && allow_newline)
			continue;
		if (*p < 0x20 || *p == 0x7f)
			return true;
	}
	return false;
}

static bool is_blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

/* Text field checks shared by every form.  Returns the string or NULL after
 * recording an error.  required: absent is an error; otherwise absent gives
 * NULL without error (the caller tells absent from invalid with *present). */
static const char *text_field(json_t *body, const char *field, bool required, bool allow_empty,
                              bool allow_newline, size_t max_chars, bool *present, json_t *errors)
{
	json_t *v = json_object_get(body, field);
	const char *s;

	*present = v != NULL && !json_is_null(v);
	if (!*present) {
		if (required)
			add_error(errors, field, "is required");
		return NULL;
	}
	if (!json_is_string(v)) {
		add_error(errors, field, "must be a string");
		return NULL;
	}
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v)) {
		add_error(errors, field, "must not contain NUL characters");
		return NULL;
	}
	if (!allow_empty && is_blank(s)) {
		add_error(errors, field, "must not be empty");
		return NULL;
	}
	if (has_control(s, allow_newline)) {
		add_error(errors, field, "must not contain control characters%s",
		          allow_newline ? " other than newlines" : "");
		return NULL;
	}
	if (forms_utf8_len(s) > max_chars) {
		add_error(errors, field, "must be at most %zu characters", max_chars);
		return NULL;
	}
	return s;
}

/* Unknown fields are reported, one error each. */
static void reject_unknown(json_t *body, const char *const known[], json_t *errors)
{
	const char *key;
	json_t *v;

	json_object_foreach(body, key, v) {
		bool ok = false;
		for (size_t i = 0; known[i]; i++)
			if (strcmp(key, known[i]) == 0)
				ok = true;
		if (!ok)
			add_error(errors, key, "unknown field");
	}
}

static int body_object(json_t *body, json_t *errors)
{
	if (!json_is_object(body)) {
		add_error(errors, "", "the body must be a JSON object");
		return -EINVAL;
	}
	return 0;
}

static int done(json_t *errors, size_t before)
{
	return json_array_size(errors) > before ? -EINVAL : 0;
}

const char *forms_visibility_name(enum forms_visibility v)
{
	return v == FORMS_VIS_PUBLIC ? "public" : "registration";
}

const char *forms_codec_name(enum forms_codec c)
{
	return c == FORMS_CODEC_H264 ? "h264" : "vp8";
}

static const char *const results_names[] = { "live", "closed", "organizer" };

const char *forms_results_name(enum forms_results r)
{
	return (unsigned)r < 3 ? results_names[r] : "live";
}

int forms_results_from_name(const char *s, enum forms_results *out)
{
	for (unsigned i = 0; i < 3; i++)
		if (s && strcmp(s, results_names[i]) == 0) {
			*out = (enum forms_results)i;
			return 0;
		}
	return -EINVAL;
}

int forms_webinar_parse(json_t *body, bool create, struct webinar_form *out, json_t *errors)
{
	static const char *const known[] = { "title", "description", "start_time", "visibility",
	                                     "recording", "video_codec", "max_video_bitrate", NULL };
	size_t before = json_array_size(errors);
	const char *s;
	bool present;
	json_t *v;

	memset(out, 0, sizeof *out);
	out->description = "";
	out->visibility = FORMS_VIS_REGISTRATION;
	out->codec = FORMS_CODEC_VP8;
	out->max_video_bitrate = FORMS_VIDEO_BITRATE_DEFAULT;
	if (body_object(body, errors))
		return -EINVAL;
	reject_unknown(body, known, errors);

	out->title = text_field(body, "title", create, false, false, FORMS_TITLE_MAX, &present, errors);
	if (out->title)
		out->set |= FORMS_W_TITLE;
	s = text_field(body, "description", false, true, true, FORMS_DESCRIPTION_MAX, &present, errors);
	if (s) {
		out->description = s;
		out->set |= FORMS_W_DESCRIPTION;
	}
	s = text_field(body, "start_time", create, false, false, 40, &present, errors);
	if (s) {
		if (amphi_time_parse(s, &out->starts_at) == 0)
			out->set |= FORMS_W_START;
		else
			add_error(errors, "start_time",
			          "must be a date and time such as 2026-12-01T09:30:00Z");
	}
	if ((v = json_object_get(body, "visibility"))) {
		s = json_string_value(v);
		if (s && strcmp(s, "public") == 0)
			out->visibility = FORMS_VIS_PUBLIC;
		else if (s && strcmp(s, "registration") == 0)
			out->visibility = FORMS_VIS_REGISTRATION;
		else
			add_error(errors, "visibility", "must be \"public\" or \"registration\"");
		out->set |= FORMS_W_VISIBILITY;
	}
	if ((v = json_object_get(body, "recording"))) {
		if (json_is_boolean(v))
			out->recording = json_is_true(v);
		else
			add_error(errors, "recording", "must be true or false");
		out->set |= FORMS_W_RECORDING;
	}
	if ((v = json_object_get(body, "video_codec"))) {
		s = json_string_value(v);
		if (s && strcmp(s, "vp8") == 0)
			out->codec = FORMS_CODEC_VP8;
		else if (s && strcmp(s, "h264") == 0)
			out->codec = FORMS_CODEC_H264;
		else
			add_error(errors, "video_codec", "must be \"vp8\" or \"h264\"");
		out->set |= FORMS_W_CODEC;
	}
	if ((v = json_object_get(body, "max_video_bitrate"))) {
		if (json_is_integer(v) && json_integer_value(v) >= FORMS_VIDEO_BITRATE_MIN &&
		    json_integer_value(v) <= FORMS_VIDEO_BITRATE_MAX)
			out->max_video_bitrate = json_integer_value(v);
		else
			add_error(errors, "max_video_bitrate", "must be an integer from 100000 to 20000000 (bit/s)");
		out->set |= FORMS_W_MAX_VIDEO_BITRATE;
	}
	if (!create && json_object_size(body) == 0)
		add_error(errors, "", "nothing to change: give at least one field");
	return done(errors, before);
}

/* RFC 5321/5322 "dot-atom" addresses, ASCII only: what an organizer can
 * actually mail.  A domain without a dot is accepted (admin@localhost). */
bool forms_email_valid(const char *s)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
	const char *at = strrchr(s, '@'), *p;
	size_t local_len, label = 0;

	if (!at || strlen(s) > FORMS_EMAIL_MAX)
		return false;
	local_len = (size_t)(at - s);
	if (local_len == 0 || local_len > 64 || s[0] == '.' || at[-1] == '.')
		return false;
	for (p = s; p < at; p++) {
		if (*p == '.') {
			if (p[1] == '.')
				return false;
		} else if (!isalnum((unsigned char)*p) && !strchr(atext, *p)) {
			return false;
		}
	}
	p = at + 1;
	if (!*p)
		return false;
	for (; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-')
				return false;
			if (*p == '\0')
				return true;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-')
			return false;
		if (label == 0 && *p == '-')
			return false;
		label++;
	}
}

/* Written the way people write numbers (+33 1 23 45 67 89, (555) 123-4567):
 * an optional leading +, digits and the separators space . - ( ); between 6
 * and 15 digits (E.164's maximum). */
bool forms_phone_valid(const char *s)
{
	unsigned digits = 0;

	if (strlen(s) > 30)
		return false;
	if (*s == '+')
		s++;
	for (; *s; s++) {
		if (isdigit((unsigned char)*s))
			digits++;
		else if (!strchr(" .-()", *s))
			return false;
	}
	return digits >= 6 && digits <= 15;
}

int forms_registration_parse(json_t *body, struct registration_form *out, json_t *errors)
{
	static const char *const known[] = { "first_name", "last_name", "email", "job_title",
	                                     "organization", "phone", "consent", "age_15_or_older",
	                                     "consent_version", NULL };
	size_t before = json_array_size(errors);
	json_t *consent;
	const char *v;
	bool present;

	memset(out, 0, sizeof *out);
	if (body_object(body, errors))
		return -EINVAL;
	reject_unknown(body, known, errors);
	out->first_name = text_field(body, "first_name", true, false, false, FORMS_NAME_MAX, &present, errors);
	out->last_name = text_field(body, "last_name", true, false, false, FORMS_NAME_MAX, &present, errors);
	out->job_title = text_field(body, "job_title", true, false, false, FORMS_NAME_MAX, &present, errors);
	out->organization = text_field(body, "organization", true, false, false, FORMS_NAME_MAX,
	                               &present, errors);
	out->email = text_field(body, "email", true, false, false, FORMS_EMAIL_MAX, &present, errors);
	if (out->email) {
		if (!forms_email_valid(out->email)) {
			add_error(errors, "email", "must be an email address such as name@example.org");
			out->email = NULL;
		} else {
			size_t i;
			for (i = 0; out->email[i]; i++)
				out->email_key[i] = (char)tolower((unsigned char)out->email[i]);
			out->email_key[i] = '\0';
		}
	}
	out->phone = text_field(body, "phone", false, true, false, 30, &present, errors);
	if (out->phone && is_blank(out->phone)) {
		out->phone = NULL;
	} else if (out->phone && !forms_phone_valid(out->phone)) {
		add_error(errors, "phone", "must be a phone number: digits, spaces, + . - ( ), 6 to 15 digits");
		out->phone = NULL;
	}
	consent = json_object_get(body, "consent");
	if (!json_is_true(consent))
		add_error(errors, "consent", "must be true: registration needs your explicit consent to the "
		          "processing of these data");
	if (!json_is_true(json_object_get(body, "age_15_or_older")))
		add_error(errors, "age_15_or_older", "must be true: participants must be 15 years old or older "
		          "and declare it");
	v = text_field(body, "consent_version", false, false, false, 64, &present, errors);
	if (v && (strlen(v) != 64 || strspn(v, "0123456789abcdef") != 64))
		add_error(errors, "consent_version", "must be the version of the consent text shown, 64 "
		          "lower-case hex digits (GET /api/webinars/{id}/consent)");
	else
		out->consent_version = v;
	return done(errors, before);
}

int forms_registration_patch_parse(json_t *body, struct registration_patch_form *out, json_t *errors)
{
	static const char *const known[] = { "first_name", "last_name", "job_title", "organization", "phone",
	                                     "email", NULL };
	static const char *const names[] = { "first_name", "last_name", "job_title", "organization" };
	const char **fields[] = { &out->first_name, &out->last_name, &out->job_title, &out->organization };
	size_t before = json_array_size(errors);
	bool present;

	memset(out, 0, sizeof *out);
	if (body_object(body, errors))
		return -EINVAL;
	reject_unknown(body, known, errors);
	if (json_object_get(body, "email"))
		add_error(errors, "email", "cannot be changed with a join link, which proves the old address only: "
		          "register again with the right address, then withdraw this registration");
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		if (json_is_null(json_object_get(body, names[i])))
			add_error(errors, names[i], "must not be empty");
		else
			*fields[i] = text_field(body, names[i], false, false, false, FORMS_NAME_MAX, &present, errors);
	}
	if (json_object_get(body, "phone")) {
		out->phone = text_field(body, "phone", false, true, false, 30, &present, errors);
		if (!present || (out->phone && is_blank(out->phone))) {
			out->phone = NULL;
			out->phone_clear = true;
		} else if (out->phone && !forms_phone_valid(out->phone)) {
			add_error(errors, "phone", "must be a phone number: digits, spaces, + . - ( ), 6 to 15 digits");
			out->phone = NULL;
		}
	}
	if (json_object_size(body) == 0)
		add_error(errors, "", "nothing to change: give at least one field");
	return done(errors, before);
}

int forms_text_parse(json_t *body, unsigned max_chars, const char **text, json_t *errors)
{
	static const char *const known[] = { "text", NULL };
	size_t before = json_array_size(errors);
	bool present;

	*text = NULL;
	if (body_object(body, errors))
		return -EINVAL;
	reject_unknown(body, known, errors);
	*text = text_field(body, "text", true, false, true, max_chars, &present, errors);
	return done(errors, before);
}

int forms_poll_parse(json_t *body, struct poll_form *out, json_t *errors)
{
	static const char *const known[] = { "question", "options", "results", NULL };
	size_t before = json_array_size(errors);
	json_t *opts, *v;
	bool present;

	memset(out, 0, sizeof *out);
	if (body_object(body, errors))
		return -EINVAL;
	reject_unknown(body, known, errors);
	out->question = text_field(body, "question", true, false, false, FORMS_QUESTION_MAX, &present, errors);
	opts = json_object_get(body, "options");
	if (!json_is_array(opts) || json_array_size(opts) < 2 ||
	    json_array_size(opts) > FORMS_POLL_OPTIONS_MAX) {
		add_error(errors, "options", "must be an array of 2 to %d strings", FORMS_POLL_OPTIONS_MAX);
	} else {
		size_t i;
		json_array_foreach(opts, i, v) {
			const char *s = json_string_value(v);
			char field[32];

			snprintf(field, sizeof field, "options[%zu]", i);
			if (!s || strlen(s) != json_string_length(v) || is_blank(s) ||
			    has_control(s, false) || forms_utf8_len(s) > FORMS_POLL_OPTION_MAX) {
				add_error(errors, field, "must be a non-empty string of at most %d characters",
				          FORMS_POLL_OPTION_MAX);
				continue;
			}
			for (unsigned j = 0; j < out->n_options; j++)
				if (strcmp(out->options[j], s) == 0) {
					add_error(errors, field, "repeats an earlier option");
					s = NULL;
					break;
				}
			if (s)
				out->options[out->n_options++] = s;
		}
	}
	if ((v = json_object_get(body, "results")) &&
	    forms_results_from_name(json_string_value(v), &out->results))
		add_error(errors, "results", "must be \"live\" (everyone, as votes come), \"closed\" "
		          "(everyone, once the poll is closed) or \"organizer\" (the organizer only)");
	return done(errors, before);
}

int forms_vote_parse(json_t *body, unsigned n_options, unsigned *option, json_t *errors)
{
	static const char *const known[] = { "option", NULL };
	size_t before = json_array_size(errors);
	json_t *v;

	if (body_object(body, errors))
		return -EINVAL;
	reject_unknown(body, known, errors);
	v = json_object_get(body, "option");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) >= (json_int_t)n_options)
		add_error(errors, "option", "must be the index of an option, 0 to %u", n_options ? n_options - 1 : 0);
	else
		*option = (unsigned)json_integer_value(v);
	return done(errors, before);
}

int forms_rating_parse(json_t *body, int *rating, json_t *errors)
{
	static const char *const known[] = { "rating", NULL };
	size_t before = json_array_size(errors);
	json_t *v;

	if (body_object(body, errors))
		return -EINVAL;
	reject_unknown(body, known, errors);
	v = json_object_get(body, "rating");
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 5)
		add_error(errors, "rating", "must be an integer from 1 to 5");
	else
		*rating = (int)json_integer_value(v);
	return done(errors, before);
}

int forms_privacy_request_parse(json_t *body, int64_t now, struct privacy_request_form *out, json_t *errors)
{
	static const char *const known[] = { "kind", "requester", "received_at", "note", NULL };
	static const char *const kinds[] = { "access", "rectification", "erasure", "restriction", "portability",
	                                     "objection", "withdrawal", NULL };
	size_t before = json_array_size(errors);
	const char *at;
	bool present;

	memset(out, 0, sizeof *out);
	if (body_object(body, errors))
		return -EINVAL;
	reject_unknown(body, known, errors);
	out->kind = text_field(body, "kind", true, false, false, 20, &present, errors);
	if (out->kind) {
		size_t k = 0;
		while (kinds[k] && strcmp(kinds[k], out->kind) != 0)
			k++;
		if (!kinds[k]) {
			add_error(errors, "kind", "must be one of: " FORMS_PRIVACY_KINDS);
			out->kind = NULL;
		}
	}
	out->requester = text_field(body, "requester", true, false, false, 200, &present, errors);
	out->note = text_field(body, "note", false, false, true, 1000, &present, errors);
	at = text_field(body, "received_at", false, false, false, 40, &present, errors);
	if (at && (amphi_time_parse(at, &out->received_at) || out->received_at > now ||
	           out->received_at < now - 366 * 86400)) {
		add_error(errors, "received_at", "must be a time such as 2026-12-01T09:30:00Z, not in the future, "
		          "at most a year back");
		out->received_at = 0;
	}
	return done(errors, before);
}

int forms_privacy_close_parse(json_t *body, const char **action, json_t **receipt, json_t *errors)
{
	static const char *const known[] = { "action", "receipt", NULL };
	size_t before = json_array_size(errors);
	bool present;

	*action = NULL;
	*receipt = NULL;
	if (body_object(body, errors))
		return -EINVAL;
	reject_unknown(body, known, errors);
	*action = text_field(body, "action", true, false, true, 1000, &present, errors);
	*receipt = json_object_get(body, "receipt");
	return done(errors, before);
}
