/* ice: a worker's ICE-lite peer table (RFC 8445 §2.5 lite agent, RFC 7675
 * consent freshness) on top of relay/stun.
 *
 * Each WebRTC peer placed on a worker is registered here under the relay's
 * local ufrag for it, with its ice-pwd.  STUN datagrams that arrive on the
 * worker's port go to ice_table_stun(), which answers them (success or
 * 400/401/420), latches the peer's address on its first valid check and
 * moves it on a nominating one (USE-CANDIDATE), and refreshes the peer's
 * consent.  DTLS and SRTP datagrams are then routed by source address with
 * ice_table_lookup_addr(): only an address that passed a check reaches a
 * peer.  ice_table_expire() removes the peers whose consent lapsed (no valid
 * check for consent_ms, 30 s by default as RFC 7675 §5.1 says; a peer that
 * never sent one expires the same time after it was added).
 *
 * Ownership: one table per worker, used from that worker's thread only (no
 * locks).  The table copies ufrag and pwd (the pwd is wiped on removal) and
 * keeps the caller's user pointer without owning it: the caller frees what
 * it points to when ice_peer_remove() returns or from the expire callback. */
#ifndef AMPHI_RELAY_ICE_H
#define AMPHI_RELAY_ICE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ICE_CONSENT_MS_DEFAULT 30000
#define ICE_UFRAG_MAX 32     /* the relay makes its own ufrags: short is enough */
#define ICE_PWD_MAX 64

struct ice_table;

/* capacity: peers the table can hold (>= 1).  consent_ms 0 takes the default.
 * NULL when out of memory or capacity is 0. */
struct ice_table *ice_table_create(unsigned capacity, unsigned consent_ms);
void ice_table_destroy(struct ice_table *t);

/* Registers a peer.  ufrag: 4..ICE_UFRAG_MAX ice-chars; pwd: 22..ICE_PWD_MAX
 * ice-chars (RFC 8839 §5.4).  0, -EINVAL, -EEXIST (ufrag taken), -ENOSPC. */
int ice_peer_add(struct ice_table *t, const char *ufrag, const char *pwd, void *user, int64_t now_ns);

/* Forgets a peer (its address stops routing at once).  0 or -ENOENT. */
int ice_peer_remove(struct ice_table *t, const char *ufrag);

/* The user pointer of the peer whose latched address is from, or NULL. */
void *ice_table_lookup_addr(const struct ice_table *t, const struct sockaddr *from);

/* The peer's latched address into out; 0, or -ENOENT (unknown ufrag or no
 * valid check yet). */
int ice_peer_addr(const struct ice_table *t, const char *ufrag, struct sockaddr_storage *out);

/* Handles one datagram the RFC 7983 demux classed as STUN, from `from`.
 * Writes the answer into out (STUN_RESPONSE_MAX is enough for a success,
 * 128 bytes for any answer) and returns its length, 0 when nothing is to be
 * sent (not a Binding request, unparsable, an indication), or -ENOSPC.
 * *user is set to the peer's user pointer when the check was valid (NULL
 * otherwise).  Requests for an unknown ufrag get 401. */
int ice_table_stun(struct ice_table *t, const uint8_t *buf, size_t len,
                   const struct sockaddr *from, int64_t now_ns,
                   uint8_t *out, size_t cap, void **user);

/* Removes every peer whose consent expired at now_ns, calling gone(arg, user)
 * for each after it left the table.  Returns how many went.  Cheap enough
 * for every timer tick: it walks the table only when the earliest deadline
 * has passed. */
unsigned ice_table_expire(struct ice_table *t, int64_t now_ns,
                          void (*gone)(void *arg, void *user), void *arg);

/* Peers registered. */
unsigned ice_table_count(const struct ice_table *t);

#endif
