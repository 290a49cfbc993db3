/*
 * dec_ip.c - frame decoder, network layer: IPv4 (RFC 791) and IPv6
 * (RFC 8200) headers, up to the L4 header.
 *
 * Pipeline position: decode (link -> [ip] -> l4) -> flow table.
 * Fills addresses, protocol, the length to count and the fragment state,
 * then hands the L4 header to dec_l4(). Invariants:
 *  - pkt->ip_len is what the header says (IPv4 total length, 40 + IPv6
 *    payload length, 40 + jumbo length for RFC 2675 jumbograms), or the
 *    wire length from the IP header on when the header says 0 (TSO /
 *    GSO / BIG TCP captures, jumbograms without the option);
 *  - a length larger than what the frame had on the wire from the IP
 *    header on is DEC_MALFORMED: never trusted, never counted;
 *  - pkt->l3_caplen is min(captured, ip_len): Ethernet padding is not IP;
 *  - a header cut by the snap length is DEC_TRUNCATED; one cut by the IP
 *    packet's own length, or impossible, is DEC_MALFORMED;
 *  - a later fragment (offset > 0) has no L4 header: l4 is NULL.
 */
#include "decode/decode.h"

#include <string.h>

#include "decode/dec_int.h"

#define IPV4_HLEN	20
#define IPV6_HLEN	40

#define IP4_MF		0x2000
#define IP4_OFFMASK	0x1fff

#define IP6_HOPOPTS	0
#define IP6_ROUTING	43
#define IP6_FRAGMENT	44
#define IP6_AH		51
#define IP6_DSTOPTS	60

#define IP6_OPT_PAD1	0x00
#define IP6_OPT_JUMBO	0xc2

/* Clears what dec_ip() owns, so an inner packet leaves nothing of the
 * outer one behind; the caller's vlan_id and tunnel fields stay. */
static void
reset_l3(struct dec_pkt *pkt)
{
	pkt->l3 = NULL;
	pkt->l3_caplen = 0;
	pkt->l4 = NULL;
	pkt->l4_caplen = 0;
	pkt->ip_len = 0;
	pkt->frag_id = 0;
	memset(pkt->src, 0, sizeof(pkt->src));
	memset(pkt->dst, 0, sizeof(pkt->dst));
	pkt->sport = 0;
	pkt->dport = 0;
	pkt->ip_version = 0;
	pkt->proto = 0;
	pkt->tcp_flags = 0;
	pkt->icmp_type = 0;
	pkt->icmp_code = 0;
	pkt->frag = DEC_FRAG_NONE;
	pkt->l4_cut = 0;
}

/*
 * A header cut inside the IP packet: by the capture, or by the packet's
 * own length. When that length was taken from the capture (<from_cap>),
 * nothing says the packet ends there: a cut is a capture cut.
 */
static enum dec_result
cut(const struct dec_pkt *pkt, int from_cap)
{
	if (from_cap || pkt->l3_caplen < pkt->ip_len)
		return DEC_TRUNCATED;
	return DEC_MALFORMED;
}

/* Bytes the frame had on the wire from <p> (inside the frame) on. */
static uint32_t
wire_from(const struct dec_pkt *pkt, const uint8_t *p)
{
	size_t off = (size_t)(p - pkt->frame);

	return off >= pkt->wirelen ? 0 : pkt->wirelen - (uint32_t)off;
}

static enum dec_result
ipv4(const struct dec_conf *conf, struct cursor c, struct dec_pkt *pkt,
    int depth)
{
	size_t hlen;
	uint32_t tot;
	uint16_t off;
	int from_cap = 0;

	if (!cur_has(&c, IPV4_HLEN))
		return DEC_TRUNCATED;
	hlen = (size_t)(cur_u8(&c, 0) & 0x0f) * 4;
	if (hlen < IPV4_HLEN)
		return DEC_MALFORMED;
	if (!cur_has(&c, hlen))
		return DEC_TRUNCATED;
	tot = cur_be16(&c, 2);
	if (tot == 0) {
		/* Segmentation offload: the NIC writes the real lengths. */
		tot = wire_from(pkt, c.p);
		from_cap = 1;
	} else if (tot < hlen || tot > wire_from(pkt, c.p)) {
		return DEC_MALFORMED;
	}
	pkt->ip_version = 4;
	pkt->l3 = c.p;
	pkt->ip_len = tot;
	pkt->l3_caplen = c.len < tot ? (uint32_t)c.len : tot;
	pkt->frag_id = cur_be16(&c, 4);
	pkt->proto = cur_u8(&c, 9);
	memcpy(pkt->src, c.p + 12, 4);
	memcpy(pkt->dst, c.p + 16, 4);
	off = cur_be16(&c, 6);
	if (off & IP4_OFFMASK) {
		pkt->frag = DEC_FRAG_LATER;
		return DEC_OK;
	}
	if (off & IP4_MF)
		pkt->frag = DEC_FRAG_FIRST;
	pkt->l4 = c.p + hlen;
	pkt->l4_caplen = pkt->l3_caplen - (uint32_t)hlen;
	return dec_l4(conf, pkt, depth, from_cap);
}

/*
 * Length from the RFC 2675 jumbo option of the hop-by-hop header that
 * starts at <c> (already known to hold it whole): 0 if absent.
 */
static uint32_t
jumbo_len(const struct cursor *c, size_t hlen)
{
	size_t i = 2;

	while (i < hlen) {
		if (cur_u8(c, i) == IP6_OPT_PAD1) {
			i++;
			continue;
		}
		if (i + 2 > hlen)
			break;
		if (cur_u8(c, i) == IP6_OPT_JUMBO && cur_u8(c, i + 1) == 4 &&
		    i + 6 <= hlen)
			return cur_be32(c, i + 2);
		i += 2 + (size_t)cur_u8(c, i + 1);
	}
	return 0;
}

static enum dec_result
ipv6(const struct dec_conf *conf, struct cursor c, struct dec_pkt *pkt,
    int depth)
{
	struct cursor x;	/* extension headers, then L4 */
	size_t hlen;
	uint32_t len;
	uint16_t off;
	uint8_t nxt;
	int from_cap = 0;

	if (!cur_has(&c, IPV6_HLEN))
		return DEC_TRUNCATED;
	pkt->ip_version = 6;
	pkt->l3 = c.p;
	memcpy(pkt->src, c.p + 8, 16);
	memcpy(pkt->dst, c.p + 24, 16);
	nxt = cur_u8(&c, 6);
	len = cur_be16(&c, 4);
	if (len != 0) {
		len += IPV6_HLEN;
	} else {
		/* Jumbogram, or offload; the option must come first. */
		len = wire_from(pkt, c.p);
		from_cap = 1;
		if (nxt == IP6_HOPOPTS) {
			x = (struct cursor){ c.p + IPV6_HLEN, c.len - IPV6_HLEN };
			if (!cur_has(&x, 2))
				return DEC_TRUNCATED;
			hlen = ((size_t)cur_u8(&x, 1) + 1) * 8;
			if (!cur_has(&x, hlen))
				return DEC_TRUNCATED;
			if ((len = jumbo_len(&x, hlen)) != 0) {
				if (len > UINT32_MAX - IPV6_HLEN)
					return DEC_MALFORMED;
				len += IPV6_HLEN;
				from_cap = 0;
			} else {
				len = wire_from(pkt, c.p);
			}
		}
	}
	if (len > wire_from(pkt, c.p))
		return DEC_MALFORMED;
	pkt->ip_len = len;
	pkt->l3_caplen = c.len < len ? (uint32_t)c.len : len;
	x = (struct cursor){ c.p + IPV6_HLEN, pkt->l3_caplen - IPV6_HLEN };

	/* Each extension header takes 8 bytes or more: the loop ends. */
	for (;;) {
		switch (nxt) {
		case IP6_HOPOPTS:
		case IP6_ROUTING:
		case IP6_DSTOPTS:
			if (!cur_has(&x, 2))
				return cut(pkt, from_cap);
			hlen = ((size_t)cur_u8(&x, 1) + 1) * 8;
			break;
		case IP6_AH:
			if (!cur_has(&x, 2))
				return cut(pkt, from_cap);
			hlen = ((size_t)cur_u8(&x, 1) + 2) * 4;
			break;
		case IP6_FRAGMENT:
			hlen = 8;
			if (!cur_has(&x, hlen))
				return cut(pkt, from_cap);
			off = cur_be16(&x, 2);
			pkt->frag_id = cur_be32(&x, 4);
			if (off & 0xfff8) {
				pkt->frag = DEC_FRAG_LATER;
				pkt->proto = cur_u8(&x, 0);
				return DEC_OK;
			}
			/* offset 0, M=0: an atomic fragment (RFC 6946) is
			 * a whole packet. */
			if (off & 0x0001)
				pkt->frag = DEC_FRAG_FIRST;
			break;
		default:
			pkt->proto = nxt;
			pkt->l4 = x.p;
			pkt->l4_caplen = (uint32_t)x.len;
			return dec_l4(conf, pkt, depth, from_cap);
		}
		if (!cur_has(&x, hlen))
			return cut(pkt, from_cap);
		nxt = cur_u8(&x, 0);
		cur_skip(&x, hlen);
	}
}

enum dec_result
dec_ip(const struct dec_conf *conf, struct cursor c, int version,
    struct dec_pkt *pkt, int depth)
{
	int v;

	if (!cur_has(&c, 1))
		return DEC_TRUNCATED;
	v = cur_u8(&c, 0) >> 4;
	if (v != 4 && v != 6)
		return DEC_MALFORMED;
	if (version != 0 && v != version)
		return DEC_MALFORMED;
	reset_l3(pkt);
	return v == 4 ? ipv4(conf, c, pkt, depth) : ipv6(conf, c, pkt, depth);
}
