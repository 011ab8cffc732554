/* forms: validation of the JSON bodies the live-webinar endpoints accept
 * (webinars, registrations, chat, questions, polls, votes, ratings).
 *
 * Every parser takes a request body already decoded by jansson (borrowed), and
 * either fills its form and returns 0, or returns -EINVAL after appending one
 * {"field": "...", "error": "..."} object per problem to `errors` (a JSON array
 * owned by the caller), so a client learns about every bad field at once.  A
 * form's string pointers are borrowed from the body: they live as long as the
 * body does.  Nothing here touches the database: callers store a form only
 * when its parser returned 0, so bad input changes nothing.
 *
 * Limits are in characters (Unicode code points), not bytes, because that is
 * what a person typing sees; jansson has already checked that strings are
 * valid UTF-8. */
#ifndef AMPHI_CONTROL_FORMS_H
#define AMPHI_CONTROL_FORMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define FORMS_TITLE_MAX        200
#define FORMS_DESCRIPTION_MAX  5000
#define FORMS_NAME_MAX         100   /* first/last name, job title, organization */
#define FORMS_EMAIL_MAX        254   /* RFC 5321 path limit minus the brackets */
#define FORMS_CHAT_MAX         1000  /* one chat message */
#define FORMS_QUESTION_MAX     500
#define FORMS_POLL_OPTIONS_MAX 10
#define FORMS_POLL_OPTION_MAX  100

enum forms_visibility { FORMS_VIS_PUBLIC, FORMS_VIS_REGISTRATION };
enum forms_codec { FORMS_CODEC_VP8, FORMS_CODEC_H264 };
/* Who sees a poll's results: everyone as votes come in, everyone once the
 * organizer closes it, or only the organizer. */
enum forms_results { FORMS_RESULTS_LIVE, FORMS_RESULTS_CLOSED, FORMS_RESULTS_ORGANIZER };

/* Bits of struct webinar_form.set: which fields the body carried. */
enum {
	FORMS_W_TITLE = 1 << 0,
	FORMS_W_DESCRIPTION = 1 << 1,
	FORMS_W_START = 1 << 2,
	FORMS_W_VISIBILITY = 1 << 3,
	FORMS_W_RECORDING = 1 << 4,
	FORMS_W_CODEC = 1 << 5,
	FORMS_W_MAX_VIDEO_BITRATE = 1 << 6,
};

/* max_video_bitrate (bit/s): the cap a WebRTC publisher's video is held under. */
#define FORMS_VIDEO_BITRATE_DEFAULT 2500000
#define FORMS_VIDEO_BITRATE_MIN 100000
#define FORMS_VIDEO_BITRATE_MAX 20000000

struct webinar_form {
	unsigned set;                 /* FORMS_W_* of the fields present */
	const char *title;
	const char *description;      /* "" when absent on create */
	int64_t starts_at;            /* seconds since the epoch */
	enum forms_visibility visibility;
	bool recording;
	enum forms_codec codec;
	int64_t max_video_bitrate;    /* bit/s */
};

/* create: title and start_time are required, the rest defaults to
 * description "", visibility "registration", recording false, codec "vp8",
 * max_video_bitrate 2500000.
 * !create (PATCH): every field optional, at least one required.
 * Unknown fields are errors (a typo must not be silently ignored). */
int forms_webinar_parse(json_t *body, bool create, struct webinar_form *out, json_t *errors);

struct registration_form {
	const char *first_name, *last_name, *email, *job_title, *organization;
	const char *phone;            /* NULL when absent or empty */
	const char *consent_version;  /* the consent text's version the client showed; NULL when absent */
	char email_key[FORMS_EMAIL_MAX + 1];  /* email lowercased: the duplicate key */
};

/* consent and age_15_or_older must be JSON true; anything else (absent,
 * false, "yes") is an error.  consent_version, optional, is 64 lower-case
 * hex digits (consent.h). */
int forms_registration_parse(json_t *body, struct registration_form *out, json_t *errors);

/* A participant's rectification of their registration (PATCH /api/me):
 * first_name, last_name, job_title, organization (each optional, not empty,
 * FORMS_NAME_MAX), phone (optional; null or "" clears it).  At least one.
 * email is an error (the join link proves the old address only), as is any
 * unknown field. */
struct registration_patch_form {
	const char *first_name, *last_name, *job_title, *organization, *phone;   /* NULL: unchanged */
	bool phone_clear;
};
int forms_registration_patch_parse(json_t *body, struct registration_patch_form *out, json_t *errors);

/* {"text": "..."} for chat messages (FORMS_CHAT_MAX) and questions (FORMS_QUESTION_MAX). */
int forms_text_parse(json_t *body, unsigned max_chars, const char **text, json_t *errors);

struct poll_form {
	const char *question;
	const char *options[FORMS_POLL_OPTIONS_MAX];
	unsigned n_options;           /* 2..FORMS_POLL_OPTIONS_MAX */
	enum forms_results results;   /* default FORMS_RESULTS_LIVE */
};

int forms_poll_parse(json_t *body, struct poll_form *out, json_t *errors);
/* {"option": i} with 0 <= i < n_options. */
int forms_vote_parse(json_t *body, unsigned n_options, unsigned *option, json_t *errors);
/* {"rating": 1..5} */
int forms_rating_parse(json_t *body, int *rating, json_t *errors);

/* Field checks, exposed for other modules and the tests. */
/* A privacy request received by other means (mail, letter), recorded by an
 * administrator: kind (one of FORMS_PRIVACY_KINDS), requester (who asked:
 * name and contact, 1..200 characters), received_at (ISO 8601, optional:
 * now; never in the future, at most a year back), note (optional, 1000). */
#define FORMS_PRIVACY_KINDS "access, rectification, erasure, restriction, portability, objection, withdrawal"
struct privacy_request_form {
	const char *kind, *requester, *note;
	int64_t received_at;          /* 0 when absent */
};
int forms_privacy_request_parse(json_t *body, int64_t now, struct privacy_request_form *out, json_t *errors);

/* Closing a privacy request: {"action": what was done (1..1000 characters),
 * "receipt": any JSON (optional: the receipt of an erasure, an export's
 * summary)}. */
int forms_privacy_close_parse(json_t *body, const char **action, json_t **receipt, json_t *errors);

bool forms_email_valid(const char *s);
bool forms_phone_valid(const char *s);
/* Number of code points of a valid UTF-8 string. */
size_t forms_utf8_len(const char *s);

const char *forms_visibility_name(enum forms_visibility v);
const char *forms_codec_name(enum forms_codec c);
const char *forms_results_name(enum forms_results r);
int forms_results_from_name(const char *s, enum forms_results *out);   /* 0 or -EINVAL */

#endif
