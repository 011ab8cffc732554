/* ice: ICE-lite peer table of one worker; see ice.h.
 *
 * Layout: a fixed array of peer slots (allocated once at create, nothing on
 * the packet path) and two chained hash indexes over it, by ufrag and by
 * latched address; chains and the free list are slot indices. */
#include "relay/ice.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "relay/stun.h"

#define NIL (-1)

/* A transport address as a fixed-size hashable key. */
struct addr_key {
	uint16_t family;
	uint16_t port;       /* network order, as in the sockaddr */
	uint8_t ip[16];
};

struct peer {
	bool used;
	bool has_addr;
	char ufrag[ICE_UFRAG_MAX + 1];
	char pwd[ICE_PWD_MAX + 1];
	void *user;                /* the caller's, not owned */
	int64_t consent_deadline;  /* removed by ice_table_expire() at or after this */
	struct addr_key addr;      /* latched address when has_addr */
	struct sockaddr_storage sa;/* the same, as the sockaddr it came from */
	int32_t ufrag_next;        /* next slot in the ufrag chain, or in the free list */
	int32_t addr_next;         /* next slot in the address chain */
};

struct ice_table {
	unsigned cap, count;
	uint32_t mask;             /* buckets - 1; buckets is a power of two >= 2 * cap */
	int64_t consent_ns;
	int64_t next_expiry;       /* no deadline is earlier than this */
	int32_t free_head;
	struct peer *peers;
	int32_t *by_ufrag;         /* bucket heads */
	int32_t *by_addr;
};

static uint32_t fnv1a(const void *data, size_t n)
{
	const uint8_t *p = data;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static int addr_key_of(const struct sockaddr *sa, struct addr_key *k)
{
	memset(k, 0, sizeof *k);
	k->family = sa->sa_family;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		k->port = in->sin_port;
		memcpy(k->ip, &in->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		k->port = in6->sin6_port;
		memcpy(k->ip, &in6->sin6_addr, 16);
		return 0;
	}
	return -EAFNOSUPPORT;
}

struct ice_table *ice_table_create(unsigned capacity, unsigned consent_ms)
{
	struct ice_table *t;
	uint32_t buckets = 2;

	if (capacity == 0 || capacity > (1u << 24))
		return NULL;
	while (buckets < 2 * capacity)
		buckets <<= 1;
	if (!(t = calloc(1, sizeof *t)))
		return NULL;
	t->peers = calloc(capacity, sizeof *t->peers);
	t->by_ufrag = malloc(buckets * sizeof *t->by_ufrag);
	t->by_addr = malloc(buckets * sizeof *t->by_addr);
	if (!t->peers || !t->by_ufrag || !t->by_addr) {
		ice_table_destroy(t);
		return NULL;
	}
	for (uint32_t i = 0; i < buckets; i++)
		t->by_ufrag[i] = t->by_addr[i] = NIL;
	for (unsigned i = 0; i < capacity; i++)
		t->peers[i].ufrag_next = i + 1 < capacity ? (int32_t)(i + 1) : NIL;
	t->cap = capacity;
	t->mask = buckets - 1;
	t->free_head = 0;
	t->consent_ns = (int64_t)(consent_ms ? consent_ms : ICE_CONSENT_MS_DEFAULT) * 1000000;
	t->next_expiry = INT64_MAX;
	return t;
}

void ice_table_destroy(struct ice_table *t)
{
	if (!t)
		return;
	if (t->peers)
		explicit_bzero(t->peers, t->cap * sizeof *t->peers);
	free(t->peers);
	free(t->by_ufrag);
	free(t->by_addr);
	free(t);
}

static int32_t find_ufrag(const struct ice_table *t, const void *ufrag, size_t len)
{
	for (int32_t i = t->by_ufrag[fnv1a(ufrag, len) & t->mask]; i != NIL; i = t->peers[i].ufrag_next)
		if (strlen(t->peers[i].ufrag) == len && !memcmp(t->peers[i].ufrag, ufrag, len))
			return i;
	return NIL;
}

static int32_t find_addr(const struct ice_table *t, const struct addr_key *k)
{
	for (int32_t i = t->by_addr[fnv1a(k, sizeof *k) & t->mask]; i != NIL; i = t->peers[i].addr_next)
		if (!memcmp(&t->peers[i].addr, k, sizeof *k))
			return i;
	return NIL;
}

static void unlink_addr(struct ice_table *t, int32_t idx)
{
	struct peer *p = &t->peers[idx];
	if (!p->has_addr)
		return;
	int32_t *link = &t->by_addr[fnv1a(&p->addr, sizeof p->addr) & t->mask];
	while (*link != NIL && *link != idx)
		link = &t->peers[*link].addr_next;
	if (*link == idx)
		*link = p->addr_next;
	p->has_addr = false;
	p->addr_next = NIL;
}

static void latch(struct ice_table *t, int32_t idx, const struct addr_key *k, const struct sockaddr *sa)
{
	struct peer *p = &t->peers[idx];
	if (p->has_addr && !memcmp(&p->addr, k, sizeof *k))
		return;
	int32_t other = find_addr(t, k);
	if (other != NIL)
		unlink_addr(t, other);   /* one transport address belongs to one ICE session */
	unlink_addr(t, idx);
	p->addr = *k;
	memset(&p->sa, 0, sizeof p->sa);
	memcpy(&p->sa, sa, sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	p->has_addr = true;
	uint32_t b = fnv1a(k, sizeof *k) & t->mask;
	p->addr_next = t->by_addr[b];
	t->by_addr[b] = idx;
}

static int all_ice_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return 0;
	}
	return 1;
}

int ice_peer_add(struct ice_table *t, const char *ufrag, const char *pwd, void *user, int64_t now_ns)
{
	size_t ul = ufrag ? strlen(ufrag) : 0, pl = pwd ? strlen(pwd) : 0;

	if (ul < 4 || ul > ICE_UFRAG_MAX || pl < 22 || pl > ICE_PWD_MAX ||
	    !all_ice_chars(ufrag, ul) || !all_ice_chars(pwd, pl))
		return -EINVAL;
	if (find_ufrag(t, ufrag, ul) != NIL)
		return -EEXIST;
	if (t->free_head == NIL)
		return -ENOSPC;
	int32_t idx = t->free_head;
	struct peer *p = &t->peers[idx];
	t->free_head = p->ufrag_next;
	memset(p, 0, sizeof *p);
	p->used = true;
	memcpy(p->ufrag, ufrag, ul + 1);
	memcpy(p->pwd, pwd, pl + 1);
	p->user = user;
	p->consent_deadline = now_ns + t->consent_ns;
	p->addr_next = NIL;
	uint32_t b = fnv1a(ufrag, ul) & t->mask;
	p->ufrag_next = t->by_ufrag[b];
	t->by_ufrag[b] = idx;
	t->count++;
	if (p->consent_deadline < t->next_expiry)
		t->next_expiry = p->consent_deadline;
	return 0;
}

static void remove_slot(struct ice_table *t, int32_t idx)
{
	struct peer *p = &t->peers[idx];
	unlink_addr(t, idx);
	int32_t *link = &t->by_ufrag[fnv1a(p->ufrag, strlen(p->ufrag)) & t->mask];
	while (*link != NIL && *link != idx)
		link = &t->peers[*link].ufrag_next;
	if (*link == idx)
		*link = p->ufrag_next;
	explicit_bzero(p, sizeof *p);
	p->ufrag_next = t->free_head;
	t->free_head = idx;
	t->count--;
}

int ice_peer_remove(struct ice_table *t, const char *ufrag)
{
	int32_t idx = find_ufrag(t, ufrag, strlen(ufrag));
	if (idx == NIL)
		return -ENOENT;
	remove_slot(t, idx);
	return 0;
}

void *ice_table_lookup_addr(const struct ice_table *t, const struct sockaddr *from)
{
	struct addr_key k;
	if (addr_key_of(from, &k) != 0)
		return NULL;
	int32_t idx = find_addr(t, &k);
	return idx == NIL ? NULL : t->peers[idx].user;
}

int ice_peer_addr(const struct ice_table *t, const char *ufrag, struct sockaddr_storage *out)
{
	int32_t idx = find_ufrag(t, ufrag, strlen(ufrag));
	if (idx == NIL || !t->peers[idx].has_addr)
		return -ENOENT;
	*out = t->peers[idx].sa;
	return 0;
}

int ice_table_stun(struct ice_table *t, const uint8_t *buf, size_t len,
                   const struct sockaddr *from, int64_t now_ns,
                   uint8_t *out, size_t cap, void **user)
{
	struct stun_msg m;
	struct addr_key k;
	const uint8_t *uf;
	size_t ul;
	int32_t idx = NIL;
	int verdict;

	*user = NULL;
	if (addr_key_of(from, &k) != 0 || stun_msg_parse(&m, buf, len) != 0 ||
	    m.type != STUN_BINDING_REQUEST)
		return 0;   /* responses, indications and junk get no answer */
	if (stun_username_local(&m, &uf, &ul) == 0)
		idx = find_ufrag(t, uf, ul);
	if (idx != NIL)
		verdict = stun_binding_check(&m, buf, t->peers[idx].ufrag, t->peers[idx].pwd);
	else
		verdict = m.username && m.integrity_off ? 401 : 400;
	if (verdict != 0)
		return stun_binding_error_build(out, cap, &m, verdict);

	struct peer *p = &t->peers[idx];
	/* RFC 8445 §7.3.1.5 (lite side): the first valid check makes the
	 * address usable; a nomination moves the peer to the nominated pair. */
	if (!p->has_addr || m.use_candidate)
		latch(t, idx, &k, from);
	p->consent_deadline = now_ns + t->consent_ns;
	*user = p->user;
	return stun_binding_success_build(out, cap, m.txid, from, p->pwd);
}

unsigned ice_table_expire(struct ice_table *t, int64_t now_ns,
                          void (*gone)(void *arg, void *user), void *arg)
{
	unsigned n = 0;
	int64_t next = INT64_MAX;

	if (now_ns < t->next_expiry)
		return 0;
	t->next_expiry = INT64_MAX;   /* peers gone() adds lower it again */
	for (unsigned i = 0; i < t->cap; i++) {
		struct peer *p = &t->peers[i];
		if (!p->used)
			continue;
		if (p->consent_deadline > now_ns) {
			if (p->consent_deadline < next)
				next = p->consent_deadline;
			continue;
		}
		void *u = p->user;
		remove_slot(t, (int32_t)i);
		n++;
		if (gone)
			gone(arg, u);
	}
	if (next < t->next_expiry)
		t->next_expiry = next;
	return n;
}

unsigned ice_table_count(const struct ice_table *t)
{
	return t->count;
}
