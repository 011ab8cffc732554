/* Control sockets: JSON lines over a real Unix socket, server on a thread. */
#include "tests/harness.h"
#include "common/ctl.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static atomic_int stop;

static json_t *echo_handler(void *arg, json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	int *count = arg;

	(*count)++;
	if (!cmd)
		return ctl_error("missing \"cmd\"");
	if (strcmp(cmd, "add") == 0)
		return json_pack("{s:I}", "sum", json_integer_value(json_object_get(req, "a")) +
		                                    json_integer_value(json_object_get(req, "b")));
	if (strcmp(cmd, "nothing") == 0)
		return NULL;
	return ctl_error("unknown command \"%s\"", cmd);
}

static void *serve(void *srv)
{
	while (!atomic_load(&stop))
		ctl_server_step(srv, 20);
	return NULL;
}

static char path[64];

/* Raw socket: lets a test send bytes no client would. */
static int raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void say(int fd, const char *s)
{
	CHECK(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
}

static char *raw_read_lines(int fd, int lines)
{
	static char buf[4096];
	size_t n = 0;

	while (lines > 0 && n < sizeof buf - 1) {
		ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++)
			lines -= buf[n + (size_t)i] == '\n';
		n += (size_t)r;
	}
	buf[n] = '\0';
	return buf;
}

TEST(request_response)
{
	char err[256];
	json_t *req = json_pack("{s:s,s:i,s:i}", "cmd", "add", "a", 40, "b", 2);
	struct ctl_client *cl = ctl_client_connect(path, 1000, err, sizeof err);
	json_t *resp;

	CHECK(cl != NULL);
	if (!cl)
		return;
	for (int i = 0; i < 3; i++) {
		resp = ctl_client_call(cl, req, 1000, err, sizeof err);
		CHECK(resp != NULL);
		CHECK(json_is_true(json_object_get(resp, "ok")));
		CHECK_INT(json_integer_value(json_object_get(resp, "sum")), ==, 42);
		json_decref(resp);
	}
	json_decref(req);
	req = json_pack("{s:s}", "cmd", "fly");
	resp = ctl_client_call(cl, req, 1000, err, sizeof err);
	CHECK(json_is_false(json_object_get(resp, "ok")));
	CHECK_STR(json_string_value(json_object_get(resp, "error")), "unknown command \"fly\"");
	json_decref(resp);
	json_decref(req);
	req = json_pack("{s:s}", "cmd", "nothing");
	resp = ctl_client_call(cl, req, 1000, err, sizeof err);
	CHECK_STR(json_string_value(json_object_get(resp, "error")),
	          "internal error: the handler gave no response");
	json_decref(resp);
	json_decref(req);
	ctl_client_close(cl);
}

TEST(malformed_input_gets_clear_errors)
{
	int fd = raw_connect();
	char *out;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	/* three requests in one write, one split across two writes */
	say(fd, "{\"cmd\":\n[1,2]\n{\"cmd\":\"add\",\"a\":1,\"b\":");
	usleep(20000);
	say(fd, "2}\n");
	out = raw_read_lines(fd, 3);
	CHECK(strstr(out, "{\"ok\":false,\"error\":\"malformed JSON at column") == out);
	CHECK(strstr(out, "\n{\"ok\":false,\"error\":\"a request must be a JSON object\"}\n") != NULL);
	CHECK(strstr(out, "\"sum\":3") != NULL);
	close(fd);
}

TEST(oversized_line_is_refused_and_connection_survives)
{
	int fd = raw_connect();
	char *big = malloc(CTL_MAX_LINE_DEFAULT + 100);
	char *out;

	CHECK(fd >= 0);
	memset(big, 'x', CTL_MAX_LINE_DEFAULT + 99);
	big[CTL_MAX_LINE_DEFAULT + 99] = '\n';
	CHECK(write(fd, big, CTL_MAX_LINE_DEFAULT + 100) == CTL_MAX_LINE_DEFAULT + 100);
	say(fd, "{\"cmd\":\"add\",\"a\":2,\"b\":2}\n");
	out = raw_read_lines(fd, 2);
	if (!strstr(out, "\"sum\":4"))
		printf("  got: %s\n", out);
	CHECK(strstr(out, "request line longer than 65536 bytes") != NULL);
	CHECK(strstr(out, "\"sum\":4") != NULL);
	free(big);
	close(fd);
}

TEST(second_server_on_same_path_refused)
{
	char err[256];
	int count = 0;
	struct ctl_server *s2 = ctl_server_open(path, echo_handler, &count, err, sizeof err);

	CHECK(s2 == NULL);
	CHECK(strstr(err, "already serving") != NULL);
}

TEST(client_reports_absent_server_and_timeout)
{
	char err[256];
	json_t *req = json_pack("{s:s}", "cmd", "add");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char mute[64];
	int lfd;

	CHECK(ctl_call("/tmp/amphi-no-such.sock", req, 200, err, sizeof err) == NULL);
	CHECK(strstr(err, "cannot connect") != NULL);
	/* a server that accepts but never answers: the call must time out, not hang */
	snprintf(mute, sizeof mute, "/tmp/amphi-mute-%d.sock", getpid());
	strcpy(sa.sun_path, mute);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(lfd, 4) == 0);
	CHECK(ctl_call(mute, req, 200, err, sizeof err) == NULL);
	CHECK_STR(err, "timed out");
	close(lfd);
	unlink(mute);
	json_decref(req);
}

TEST(stale_socket_file_replaced)
{
	char stale[64], err[256];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_server *srv;
	int count = 0, fd;

	snprintf(stale, sizeof stale, "/tmp/amphi-stale-%d.sock", getpid());
	strcpy(sa.sun_path, stale);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
	close(fd);   /* the file stays, nobody listens: what a crash leaves */
	srv = ctl_server_open(stale, echo_handler, &count, err, sizeof err);
	CHECK(srv != NULL);
	ctl_server_close(srv);
	CHECK(access(stale, F_OK) != 0);
}

int main(void)
{
	char err[256];
	int count = 0;
	struct ctl_server *srv;
	pthread_t th;

	snprintf(path, sizeof path, "/tmp/amphi-ctl-test-%d.sock", getpid());
	srv = ctl_server_open(path, echo_handler, &count, err, sizeof err);
	if (!srv) {
		printf("cannot open server: %s\n", err);
		return 1;
	}
	pthread_create(&th, NULL, serve, srv);
	RUN(request_response);
	RUN(malformed_input_gets_clear_errors);
	RUN(oversized_line_is_refused_and_connection_survives);
	RUN(second_server_on_same_path_refused);
	RUN(client_reports_absent_server_and_timeout);
	RUN(stale_socket_file_replaced);
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	ctl_server_close(srv);
	return harness_done();
}
