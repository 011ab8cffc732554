/* mail: see mail.h. */
#include "control/mail.h"
#include "control/smtp.h"
#include "common/clock.h"
#include "common/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

struct item {
	char *rcpt, *kind, *msg;   /* owned; msg wiped before it is freed */
	size_t len;
	struct item *next;
};

struct mail {
	char *outbox;
	bool smtp_on;
	struct smtp_config smtp;       /* strings owned (password wiped at destroy) */
	pthread_t sender;
	pthread_mutex_t mu;            /* guards the queue, stop and the counters */
	pthread_cond_t cond;
	struct item *head, *tail;
	unsigned queued;
	bool stop;
	struct mail_stats stats;
	struct smtp_abort abort;       /* fired by mail_destroy: a slow server cannot hold the shutdown */
};

static void item_free(struct item *it)
{
	if (!it)
		return;
	if (it->msg)
		explicit_bzero(it->msg, it->len);
	free(it->msg);
	free(it->rcpt);
	free(it->kind);
	free(it);
}

int mail_outbox_write(const char *outbox, const char *kind, const char *msg, size_t len)
{
	char tmp[4096], path[4096];
	int64_t ns = amphi_now_ns();
	int fd, rc = 0;

	if (!outbox)
		return -ENOENT;
	snprintf(tmp, sizeof tmp, "%s/.%lld.tmp", outbox, (long long)ns);
	snprintf(path, sizeof path, "%s/%lld-%s.eml", outbox, (long long)ns, kind);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < len && rc == 0;) {
		ssize_t w = write(fd, msg + off, len - off);
		if (w < 0 && errno != EINTR)
			rc = -errno;
		else if (w > 0)
			off += (size_t)w;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

void mail_head(FILE *f, const struct mail *m, const char *rcpt, const char *subject, const char *kind)
{
	char date[64];
	time_t t = (time_t)amphi_now();
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	fprintf(f, "From: amphi <%s>\r\n"
	           "To: <%s>\r\n"
	           "Subject: %s\r\n"
	           "Date: %s\r\n"
	           "Message-ID: <%lld.%s@amphi>\r\n"
	           "MIME-Version: 1.0\r\n"
	           "Content-Type: text/plain; charset=utf-8\r\n",
	        mail_from(m), rcpt, subject, date, (long long)amphi_now_ns(), kind);
}

/* Is the message in path addressed to "To: <rcpt>"?  Only its head is read. */
/* Whether the message's head says To: <rcpt> (any recipient when rcpt is
 * NULL) and, for webinar > 0, X-Amphi-Webinar: <webinar>. */
static bool mail_matches(const char *path, const char *rcpt, int64_t webinar)
{
	char line[1024], want_to[600], want_w[64];
	bool to = !rcpt, about = webinar <= 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	snprintf(want_to, sizeof want_to, "To: <%s>", rcpt ? rcpt : "");
	snprintf(want_w, sizeof want_w, "X-Amphi-Webinar: %" PRId64, webinar);
	while (!(to && about) && fgets(line, sizeof line, f) && line[0] != '\r' && line[0] != '\n') {
		line[strcspn(line, "\r\n")] = '\0';
		to = to || strcasecmp(line, want_to) == 0;
		about = about || strcasecmp(line, want_w) == 0;
	}
	fclose(f);
	return to && about;
}

int mail_outbox_forget(const char *outbox, const char *rcpt, int64_t webinar)
{
	char path[4096];
	struct dirent *e;
	DIR *d;
	int n = 0;

	if (!outbox || (rcpt && !*rcpt) || (!rcpt && webinar <= 0))
		return 0;
	if (!(d = opendir(outbox)))
		return -errno;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".eml") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", outbox, e->d_name);
		if (mail_matches(path, rcpt, webinar) && unlink(path) == 0)
			n++;
	}
	closedir(d);
	return n;
}

json_t *mail_outbox_about(const char *outbox, const char *rcpt)
{
	char path[4096], when[32], kind[32];
	json_t *list = json_array();
	struct dirent *e;
	DIR *d;

	if (!list || !outbox || !rcpt || !*rcpt || !(d = opendir(outbox)))
		return list;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		long long ns = 0;
		int used = 0;

		if (len < 5 || strcmp(e->d_name + len - 4, ".eml") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", outbox, e->d_name);
		if (!mail_matches(path, rcpt, 0))
			continue;
		/* <ns>-<kind>.eml, as mail_outbox_write names it */
		if (sscanf(e->d_name, "%lld-%31[a-z_]%n", &ns, kind, &used) != 2 || strcmp(e->d_name + used, ".eml") != 0)
			snprintf(kind, sizeof kind, "unknown");
		json_array_append_new(list, json_pack("{s:s,s:s,s:s}", "file", e->d_name, "kind", kind, "written_at",
		                                      amphi_time_iso((int64_t)(ns / 1000000000LL), when, sizeof when)));
	}
	closedir(d);
	return list;
}

static void to_outbox(struct mail *m, const struct item *it, const char *why_raw)
{
	int rc = mail_outbox_write(m->outbox, it->kind, it->msg, it->len);
	char why[400];

	log_quote(why, sizeof why, why_raw);
	pthread_mutex_lock(&m->mu);
	if (rc == 0)
		m->stats.outbox_written++;
	pthread_mutex_unlock(&m->mu);
	if (rc)
		log_msg(LOG_ERROR, "mail lost: neither SMTP nor the outbox took it", "kind=%s smtp=%s error=\"%s\"",
		        it->kind, why, strerror(-rc));
	else
		log_msg(LOG_WARN, "mail not sent by SMTP, kept in the outbox", "kind=%s error=%s", it->kind, why);
}

static void *sender_main(void *arg)
{
	struct mail *m = arg;

	for (;;) {
		struct item *it;
		char err[300];

		pthread_mutex_lock(&m->mu);
		while (!m->head && !m->stop)
			pthread_cond_wait(&m->cond, &m->mu);
		if (m->stop) {
			pthread_mutex_unlock(&m->mu);
			return NULL;   /* mail_destroy moves what is left to the outbox */
		}
		it = m->head;
		m->head = it->next;
		if (!m->head)
			m->tail = NULL;
		m->queued--;
		pthread_mutex_unlock(&m->mu);

		err[0] = 0;
		int64_t t0 = amphi_mono_ns();
		int rc = smtp_send(&m->smtp, it->rcpt, it->msg, it->len, &m->abort, err, sizeof err);
		pthread_mutex_lock(&m->mu);
		if (rc == 0)
			m->stats.smtp_sent++;
		else
			m->stats.smtp_failed++;
		pthread_mutex_unlock(&m->mu);
		if (rc == 0) {
			char q[80];
			log_msg(LOG_INFO, "mail sent", "kind=%s via=smtp host=%s ms=%lld", it->kind,
			        log_quote(q, sizeof q, m->smtp.host), (long long)((amphi_mono_ns() - t0) / 1000000));
		} else {
			to_outbox(m, it, err);
		}
		item_free(it);
	}
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct mail *mail_create(const char *outbox, const struct smtp_config *smtp)
{
	struct mail *m = calloc(1, sizeof *m);
	int r;

	if (!m || !(m->outbox = strdup(outbox))) {
		free(m);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cond, NULL);
	smtp_abort_init(&m->abort);
	if (!smtp)
		return m;
	m->smtp_on = true;
	m->smtp = *smtp;
	m->smtp.host = dup_or_null(smtp->host);
	m->smtp.from = dup_or_null(smtp->from);
	m->smtp.helo = dup_or_null(smtp->helo);
	m->smtp.tls_ca = dup_or_null(smtp->tls_ca);
	m->smtp.user = dup_or_null(smtp->user);
	m->smtp.password = dup_or_null(smtp->password);
	m->smtp.auth = dup_or_null(smtp->auth);
	if ((r = pthread_create(&m->sender, NULL, sender_main, m)) != 0) {
		m->smtp_on = false;
		mail_destroy(m);
		errno = r;
		return NULL;
	}
	return m;
}

const char *mail_from(const struct mail *m)
{
	return m->smtp_on ? m->smtp.from : "no-reply@localhost";
}

int mail_send(struct mail *m, const char *rcpt, const char *kind, const char *msg, size_t len)
{
	struct item *it;

	if (!m->smtp_on)
		goto outbox;
	it = calloc(1, sizeof *it);
	if (!it || !(it->rcpt = strdup(rcpt)) || !(it->kind = strdup(kind)) || !(it->msg = malloc(len))) {
		item_free(it);
		goto outbox;
	}
	memcpy(it->msg, msg, len);
	it->len = len;
	pthread_mutex_lock(&m->mu);
	if (m->stop || m->queued >= MAIL_QUEUE_MAX) {
		pthread_mutex_unlock(&m->mu);
		log_msg(LOG_WARN, "mail queue full, kept in the outbox", "kind=%s queued=%u", kind, m->queued);
		item_free(it);
		goto outbox;
	}
	if (m->tail)
		m->tail->next = it;
	else
		m->head = it;
	m->tail = it;
	m->queued++;
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->mu);
	return 0;
outbox:;
	int rc = mail_outbox_write(m->outbox, kind, msg, len);
	pthread_mutex_lock(&m->mu);
	if (rc == 0)
		m->stats.outbox_written++;
	pthread_mutex_unlock(&m->mu);
	return rc;
}

void mail_stats_get(struct mail *m, struct mail_stats *out)
{
	pthread_mutex_lock(&m->mu);
	*out = m->stats;
	pthread_mutex_unlock(&m->mu);
}

void mail_destroy(struct mail *m)
{
	if (!m)
		return;
	if (m->smtp_on) {
		pthread_mutex_lock(&m->mu);
		m->stop = true;
		pthread_cond_signal(&m->cond);
		pthread_mutex_unlock(&m->mu);
		smtp_abort_fire(&m->abort);   /* the message being sent goes to the outbox */
		pthread_join(m->sender, NULL);
	}
	for (struct item *it = m->head, *next; it; it = next) {
		next = it->next;
		to_outbox(m, it, "not sent before shutdown");
		item_free(it);
	}
	if (m->smtp.password)
		explicit_bzero((char *)m->smtp.password, strlen(m->smtp.password));
	free((char *)m->smtp.host);
	free((char *)m->smtp.from);
	free((char *)m->smtp.helo);
	free((char *)m->smtp.tls_ca);
	free((char *)m->smtp.user);
	free((char *)m->smtp.password);
	free((char *)m->smtp.auth);
	smtp_abort_destroy(&m->abort);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->mu);
	free(m->outbox);
	free(m);
}
