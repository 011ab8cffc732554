/* node_peer: a node script as a unit test's peer — in practice headless
 * Chromium driven by playwright-core (the scripts in tests/data/webrtc/ and
 * tests/data/sdp/), or node-datachannel.
 *
 *   struct node_peer np;
 *   node_peer_start(&np, "tests/data/webrtc/chromium-publish.js");  (SKIPs when absent)
 *   node_peer_send(&np, json_pack(...));         one JSON line to its stdin
 *   json_t *ev = node_peer_next(&np, 5000);     its next stdout line, parsed
 *   node_peer_stop(&np);                         closes stdin: the script closes the browser
 *
 * Lines are read with read(2) into the peer's own buffer, never through
 * stdio, so a test may poll() np.out together with its sockets and then
 * drain node_peer_next(&np, 0) without losing a line in a hidden buffer.
 * The script is found under $AMPHI_TOP (default "."), its modules under
 * $AMPHI_NODE_DIR/node_modules (default /var/cache/amphi/node, where
 * `tools/deps --npm` installs playwright-core and node-datachannel).
 * Header-only, like tests/harness.h, which must be included first. */
#ifndef AMPHI_TESTS_NODE_PEER_H
#define AMPHI_TESTS_NODE_PEER_H

#include <errno.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "common/clock.h"

struct node_peer {
	FILE *in;            /* the script's stdin */
	int out;             /* its stdout */
	pid_t pid;
	int eof;             /* stdout closed: the script ended */
	size_t len;          /* bytes in buf not yet returned as a line */
	char buf[1 << 17];   /* an offer or a stats line fits many times */
};

/* Starts `node SCRIPT`; SKIPs the whole test (77) when chromium, node or
 * playwright-core is missing. */
static void node_peer_start(struct node_peer *np, const char *script)
{
	const char *top = getenv("AMPHI_TOP") ? getenv("AMPHI_TOP") : ".";
	const char *nd = getenv("AMPHI_NODE_DIR") ? getenv("AMPHI_NODE_DIR") : "/var/cache/amphi/node";
	char path[512], modules[512], pw[600];
	int in[2], out[2];

	snprintf(path, sizeof path, "%s/%s", top, script);
	snprintf(modules, sizeof modules, "%s/node_modules", nd);
	snprintf(pw, sizeof pw, "%s/playwright-core/package.json", modules);
	if (access("/usr/bin/chromium", X_OK) != 0)
		SKIP("/usr/bin/chromium is not installed (tools/deps)");
	if (access(pw, R_OK) != 0)
		SKIP("playwright-core is not installed in %s (tools/deps --npm)", nd);
	if (system("command -v node >/dev/null 2>&1") != 0)
		SKIP("node is not installed (tools/deps)");
	if (pipe(in) || pipe(out))
		SKIP("pipe: %s", strerror(errno));
	np->eof = 0;
	np->len = 0;
	np->pid = fork();
	if (np->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		setenv("NODE_PATH", modules, 1);
		execlp("node", "node", path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	np->in = fdopen(in[1], "w");
	np->out = out[0];
}

/* Writes msg as one line to the script and drops the reference. */
static void node_peer_send(struct node_peer *np, json_t *msg)
{
	char *line = json_dumps(msg, JSON_COMPACT);
	fprintf(np->in, "%s\n", line);
	fflush(np->in);
	free(line);
	json_decref(msg);
}

/* The script's next line as JSON, waiting up to timeout_ms for it (0: only
 * what has arrived); NULL on timeout or when the script has ended.  A line
 * that is not JSON is printed and skipped. */
static json_t *node_peer_next(struct node_peer *np, int timeout_ms)
{
	int64_t end = amphi_mono_ns() + (int64_t)timeout_ms * 1000000;

	for (;;) {
		char *nl = memchr(np->buf, '\n', np->len);
		if (nl) {
			*nl = 0;
			json_t *j = json_loads(np->buf, 0, NULL);
			if (!j)
				printf("  node: %s\n", np->buf);
			np->len -= (size_t)(nl + 1 - np->buf);
			memmove(np->buf, nl + 1, np->len);
			if (j)
				return j;
			continue;
		}
		if (np->eof)
			return NULL;
		if (np->len == sizeof np->buf - 1) {
			printf("  node: a line longer than %zu bytes, dropped\n", np->len);
			np->len = 0;
		}
		int64_t left = end - amphi_mono_ns();
		struct pollfd pf = { np->out, POLLIN, 0 };
		if (poll(&pf, 1, left > 0 ? (int)(left / 1000000) : 0) <= 0)
			return NULL;
		ssize_t r = read(np->out, np->buf + np->len, sizeof np->buf - 1 - np->len);
		if (r <= 0)
			np->eof = 1;
		else
			np->len += (size_t)r;
	}
}

/* Closes the script's stdin (it closes its browser and exits) and reaps it. */
static void node_peer_stop(struct node_peer *np)
{
	int status;

	if (!np->in)
		return;
	fclose(np->in);
	np->in = NULL;
	waitpid(np->pid, &status, 0);
	close(np->out);
}

#endif
