/* pkt: see pkt.h. */
#include "relay/pkt.h"

#include <stdlib.h>

struct relay_pkt *relay_pkt_new(void)
{
	struct relay_pkt *p = malloc(sizeof *p);
	if (p)
		atomic_init(&p->refs, 1);
	return p;
}

void relay_pkt_unref(struct relay_pkt *p)
{
	/* acq_rel: the freeing thread must see every other holder's reads done. */
	if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1)
		free(p);
}
