/* gone: see gone.h. */
#include "relay/gone.h"
#include "relay/relay.h"

#include <pthread.h>
#include <string.h>

void relay_gone_push(struct relay *r, const struct relay_gone *g)
{
	pthread_mutex_lock(&r->gone_lock);
	if (r->ngone < RELAY_GONE_MAX)
		r->gone[r->ngone++] = *g;
	else
		r->gone_lost++;
	pthread_mutex_unlock(&r->gone_lock);
}

unsigned relay_gone_take(struct relay *r, struct relay_gone *out, unsigned cap)
{
	unsigned n;
	pthread_mutex_lock(&r->gone_lock);
	n = r->ngone < cap ? r->ngone : cap;
	memcpy(out, r->gone, n * sizeof *out);
	memmove(r->gone, r->gone + n, (r->ngone - n) * sizeof *out);
	r->ngone -= n;
	pthread_mutex_unlock(&r->gone_lock);
	return n;
}
