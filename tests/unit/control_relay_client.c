/* The relay client against a real control socket (common/ctl server on a
 * thread): answers, refusals, a relay that is not there, and one that never
 * answers, which must fail within the timeout instead of hanging. */
#include "tests/harness.h"
#include "control/relay_client.h"
#include "common/clock.h"
#include "common/ctl.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static atomic_int stop;
static char path[64], mute_path[64];

static json_t *handler(void *arg, json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));

	(void)arg;
	if (cmd && strcmp(cmd, "stream.create") == 0)
		return json_pack("{s:b,s:O}", "ok", 1, "stream", json_object_get(req, "stream"));
	return ctl_error("unknown command \"%s\"", cmd ? cmd : "");
}

static void *serve(void *srv)
{
	while (!atomic_load(&stop))
		ctl_server_step(srv, 20);
	return NULL;
}

TEST(answers_and_refusals)
{
	struct relay_client *rc = relay_client_create(path, 1000);
	json_t *args = json_pack("{s:s}", "stream", "w1"), *resp;
	char err[256];

	CHECK_INT(relay_client_cmd(rc, "stream.create", args, &resp, err, sizeof err), ==, 0);
	CHECK_STR(json_string_value(json_object_get(resp, "stream")), "w1");
	json_decref(resp);
	CHECK_INT(relay_client_cmd(rc, "stream.explode", NULL, &resp, err, sizeof err), ==, -EPROTO);
	CHECK(resp == NULL);
	CHECK_STR(err, "relay refused: unknown command \"stream.explode\"");
	CHECK_INT(relay_client_http_status(-EPROTO), ==, 502);
	json_decref(args);
	relay_client_destroy(rc);
}

TEST(relay_down)
{
	char gone[64];
	struct relay_client *rc, *none = relay_client_create(NULL, 0);
	json_t *resp;
	char err[256];

	snprintf(gone, sizeof gone, "/tmp/amphi-relay-gone-%d.sock", (int)getpid());
	rc = relay_client_create(gone, 1000);
	CHECK_INT(relay_client_cmd(rc, "stream.create", NULL, &resp, err, sizeof err), ==, -EHOSTDOWN);
	CHECK(strncmp(err, "relay unavailable: cannot connect", 33) == 0);
	CHECK_INT(relay_client_http_status(-EHOSTDOWN), ==, 503);
	CHECK_INT(relay_client_cmd(none, "stream.create", NULL, &resp, err, sizeof err), ==, -EHOSTDOWN);
	CHECK(strstr(err, "--relay") != NULL);
	relay_client_destroy(rc);
	relay_client_destroy(none);
}

TEST(relay_stuck)
{
	/* A socket that accepts connections (the kernel backlog does) but whose
	 * owner never reads: the call must give up after its timeout. */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct relay_client *rc = relay_client_create(mute_path, 300);
	json_t *resp;
	char err[256];
	int64_t t0;

	strcpy(sa.sun_path, mute_path);
	unlink(mute_path);
	CHECK_INT(bind(lfd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
	CHECK_INT(listen(lfd, 4), ==, 0);
	t0 = amphi_mono_ns();
	CHECK_INT(relay_client_cmd(rc, "stream.create", NULL, &resp, err, sizeof err), ==, -ETIMEDOUT);
	CHECK_INT(amphi_mono_ns() - t0, >=, 250000000);
	CHECK_INT(amphi_mono_ns() - t0, <, 1500000000);
	CHECK(strstr(err, "timed out") != NULL);
	CHECK_INT(relay_client_http_status(-ETIMEDOUT), ==, 503);
	close(lfd);
	unlink(mute_path);
	relay_client_destroy(rc);
}

int main(void)
{
	struct ctl_server *srv;
	pthread_t t;
	char err[256];

	snprintf(path, sizeof path, "/tmp/amphi-relay-client-%d.sock", (int)getpid());
	snprintf(mute_path, sizeof mute_path, "/tmp/amphi-relay-mute-%d.sock", (int)getpid());
	srv = ctl_server_open(path, handler, NULL, err, sizeof err);
	if (!srv)
		SKIP("cannot open a control socket: %s", err);
	pthread_create(&t, NULL, serve, srv);
	RUN(answers_and_refusals);
	RUN(relay_down);
	RUN(relay_stuck);
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	ctl_server_close(srv);
	return harness_done();
}
