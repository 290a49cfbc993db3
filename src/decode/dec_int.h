/*
 * dec_int.h - internals shared by the decoder's files (dec_link.c,
 * dec_ip.c, dec_l4.c) and their white-box tests; not part of decode.h.
 *
 * Every layer takes a borrowed byte range (p, len) where len is what is
 * captured (and, below IP, what the outer header says is there); a layer
 * checks len before each read with the helpers below, so nothing ever
 * reads past the frame's caplen.  The layers call each other downward
 * (link -> ip -> l4) and, for tunnels, back up (l4 -> ip or ethernet) with
 * <depth> counting the tunnels entered, never more than DEC_MAX_TUNNELS.
 */
#ifndef L7_DEC_INT_H
#define L7_DEC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

/* A borrowed range of the frame: <len> bytes at <p> may be read. */
struct cursor {
	const uint8_t	*p;
	size_t		len;
};

/* 1 when <n> bytes are left to read. */
static inline int
cur_has(const struct cursor *c, size_t n)
{
	return c->len >= n;
}

/* Drops <n> bytes from the front; 0, or -1 (cursor unchanged) if short. */
static inline int
cur_skip(struct cursor *c, size_t n)
{
	if (c->len < n)
		return -1;
	c->p += n;
	c->len -= n;
	return 0;
}

/* Readers at <off>: the caller has checked cur_has(c, off + size). */
static inline uint8_t
cur_u8(const struct cursor *c, size_t off)
{
	return c->p[off];
}

static inline uint16_t
cur_be16(const struct cursor *c, size_t off)
{
	return (uint16_t)(c->p[off] << 8 | c->p[off + 1]);
}

static inline uint32_t
cur_be32(const struct cursor *c, size_t off)
{
	return (uint32_t)c->p[off] << 24 | (uint32_t)c->p[off + 1] << 16 |
	    (uint32_t)c->p[off + 2] << 8 | c->p[off + 3];
}

static inline uint16_t
cur_le16(const struct cursor *c, size_t off)
{
	return (uint16_t)(c->p[off + 1] << 8 | c->p[off]);
}

static inline uint32_t
cur_le32(const struct cursor *c, size_t off)
{
	return (uint32_t)c->p[off + 3] << 24 | (uint32_t)c->p[off + 2] << 16 |
	    (uint32_t)c->p[off + 1] << 8 | c->p[off];
}

/* 1 when tunnels are to be followed (a NULL conf means the default, on). */
static inline int
dec_tunnels_on(const struct dec_conf *conf)
{
	return conf == NULL || conf->tunnels != 0;
}

/*
 * dec_link.c: decodes what follows an ethertype <type> (VLAN tags, MPLS,
 * PPPoE, IPv4, IPv6) in <c>. <outer> is 1 for the frame's own link layer,
 * whose first VLAN tag sets pkt->vlan_id, 0 inside a tunnel.
 */
enum dec_result dec_ethertype(const struct dec_conf *conf, uint16_t type,
	    struct cursor c, struct dec_pkt *pkt, int depth, int outer);

/* dec_link.c: an Ethernet II frame in <c> (14-byte header first). */
enum dec_result dec_ether(const struct dec_conf *conf, struct cursor c,
	    struct dec_pkt *pkt, int depth, int outer);

/* dec_link.c: an MPLS label stack in <c>, then IPv4/IPv6 by first nibble. */
enum dec_result dec_mpls(const struct dec_conf *conf, struct cursor c,
	    struct dec_pkt *pkt, int depth);

/*
 * dec_ip.c: an IPv4 or IPv6 packet in <c>; <version> is 4 or 6 when the
 * link layer said which (a mismatch is DEC_MALFORMED), 0 to go by the
 * first nibble. Writes every L3 and L4 field of <pkt> (not vlan_id nor
 * the tunnel fields, which the caller owns), then calls dec_l4().
 */
enum dec_result dec_ip(const struct dec_conf *conf, struct cursor c,
	    int version, struct dec_pkt *pkt, int depth);

/*
 * dec_l4.c: the L4 header at pkt->l4 (pkt->l4_caplen bytes) of protocol
 * pkt->proto: ports, TCP flags, ICMP type/code, then tunnels. Called only
 * when the packet is not a later fragment. <len_from_cap> is 1 when the
 * IP header gave no length (TSO, jumbogram without option), so ip_len is
 * the captured length and a short L4 header can only be a capture cut.
 */
enum dec_result dec_l4(const struct dec_conf *conf, struct dec_pkt *pkt,
	    int depth, int len_from_cap);

#endif
