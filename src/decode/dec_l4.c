/*
 * dec_l4.c - frame decoder, transport layer and tunnels.
 *
 * Pipeline position: decode (link -> ip -> [l4]) -> flow table.
 * Reads ports (TCP RFC 9293, UDP RFC 768, SCTP RFC 9260), TCP flags and
 * ICMP / ICMPv6 type and code, then, when dec_conf.tunnels is on, looks
 * inside GRE (RFC 2784, 2890; version 0 only), IP-in-IP (RFC 2003, 4213),
 * GTP-U (3GPP TS 29.281, G-PDU only) and VXLAN (RFC 7348).
 *
 * A TCP or UDP header cut by the capture after its ports still makes a
 * packet (l4_cut, no flags): a short snap length must not lose flows.
 *
 * Tunnel rule: the inner packet is decoded into a copy of <pkt>; only if
 * that succeeds does it replace the outer one, so a tunnel with a cut,
 * impossible or non-IP payload leaves a plain flow of the outer packet
 * (never a drop). pkt->tunnel is the innermost tunnel type, pkt->tunnel_id
 * the innermost non-zero id. Tunnels in fragments are not followed: the
 * payload is incomplete, and the fragments must stay one flow.
 */
#include "decode/decode.h"

#include "decode/dec_int.h"

#define IPPROTO_ICMP_	1
#define IPPROTO_IPIP_	4
#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17
#define IPPROTO_IPV6_	41
#define IPPROTO_GRE_	47
#define IPPROTO_ICMPV6_	58
#define IPPROTO_SCTP_	132

#define GTPU_PORT	2152
#define VXLAN_PORT	4789

#define GRE_C		0x8000	/* checksum (and reserved1) present */
#define GRE_R		0x4000	/* RFC 1701 routing present */
#define GRE_K		0x2000	/* key present */
#define GRE_S		0x1000	/* sequence number present */
#define GRE_VERSION	0x0007

#define GRE_IPV4	0x0800
#define GRE_IPV6	0x86dd
#define GRE_TEB		0x6558	/* transparent Ethernet bridging */
#define GRE_MPLS	0x8847

#define GTP_GPDU	0xff
#define GTP_E		0x04	/* extension header follows */
#define GTP_SPN		0x07	/* E, S or PN: 4 more header bytes */

#define VXLAN_I		0x08	/* VNI valid */

/* What a tunnel carries. */
enum inner {
	INNER_IP4,
	INNER_IP6,
	INNER_ETHER,
	INNER_MPLS,
};

/*
 * Decodes the tunnel payload <c> (of type <kind>) as the packet, into
 * a copy of <pkt>; keeps the outer <pkt> unless the inner one is DEC_OK.
 */
static void
enter(const struct dec_conf *conf, struct dec_pkt *pkt, int depth,
    enum inner kind, struct cursor c, enum dec_tunnel tun, uint32_t id)
{
	struct dec_pkt in = *pkt;
	enum dec_result r;

	in.tunnel = DEC_TUN_NONE;
	in.tunnel_id = 0;
	switch (kind) {
	case INNER_IP4:
		r = dec_ip(conf, c, 4, &in, depth + 1);
		break;
	case INNER_IP6:
		r = dec_ip(conf, c, 6, &in, depth + 1);
		break;
	case INNER_ETHER:
		r = dec_ether(conf, c, &in, depth + 1, 0);
		break;
	case INNER_MPLS:
		r = dec_mpls(conf, c, &in, depth + 1);
		break;
	default:
		return;
	}
	if (r != DEC_OK)
		return;
	if (in.tunnel == DEC_TUN_NONE)
		in.tunnel = (uint8_t)tun;
	if (in.tunnel_id == 0)
		in.tunnel_id = id;
	*pkt = in;
}

static void
gre(const struct dec_conf *conf, struct dec_pkt *pkt, int depth,
    struct cursor c)
{
	uint16_t flags, type;
	uint32_t key = 0;
	size_t hlen = 4;
	enum inner kind;

	if (!cur_has(&c, 4))
		return;
	flags = cur_be16(&c, 0);
	type = cur_be16(&c, 2);
	/* Version 1 is PPTP's enhanced GRE (PPP inside); RFC 1701 source
	 * routes are obsolete: both stay plain GRE flows. */
	if ((flags & GRE_VERSION) != 0 || (flags & GRE_R) != 0)
		return;
	if (flags & GRE_C)
		hlen += 4;
	if (flags & GRE_K) {
		if (!cur_has(&c, hlen + 4))
			return;
		key = cur_be32(&c, hlen);
		hlen += 4;
	}
	if (flags & GRE_S)
		hlen += 4;
	if (cur_skip(&c, hlen) != 0)
		return;
	switch (type) {
	case GRE_IPV4:
		kind = INNER_IP4;
		break;
	case GRE_IPV6:
		kind = INNER_IP6;
		break;
	case GRE_TEB:
		kind = INNER_ETHER;
		break;
	case GRE_MPLS:
		kind = INNER_MPLS;
		break;
	default:
		return;
	}
	enter(conf, pkt, depth, kind, c, DEC_TUN_GRE, key);
}

/* GTPv1-U G-PDU: 8-byte header, 4 more with E/S/PN, extension chain. */
static void
gtpu(const struct dec_conf *conf, struct dec_pkt *pkt, int depth,
    struct cursor c)
{
	uint8_t flags, next;
	uint32_t teid;
	size_t hlen = 8, elen, glen;

	if (!cur_has(&c, 8))
		return;
	flags = cur_u8(&c, 0);
	/* version 1, protocol type 1 (GTP, not GTP'), T-PDU inside */
	if ((flags >> 5) != 1 || (flags & 0x10) == 0 ||
	    cur_u8(&c, 1) != GTP_GPDU)
		return;
	glen = cur_be16(&c, 2);		/* bytes after the first 8 */
	teid = cur_be32(&c, 4);
	if (glen < c.len - 8)
		c.len = 8 + glen;
	if (flags & GTP_SPN) {
		hlen = 12;
		if (!cur_has(&c, hlen))
			return;
		next = cur_u8(&c, 11);
		/* Without E the next-extension byte means nothing. */
		while ((flags & GTP_E) && next != 0) {
			if (!cur_has(&c, hlen + 1))
				return;
			elen = (size_t)cur_u8(&c, hlen) * 4;
			if (elen == 0 || !cur_has(&c, hlen + elen))
				return;
			next = cur_u8(&c, hlen + elen - 1);
			hlen += elen;
		}
	}
	cur_skip(&c, hlen);
	if (!cur_has(&c, 1))
		return;
	switch (cur_u8(&c, 0) >> 4) {
	case 4:
		enter(conf, pkt, depth, INNER_IP4, c, DEC_TUN_GTPU, teid);
		break;
	case 6:
		enter(conf, pkt, depth, INNER_IP6, c, DEC_TUN_GTPU, teid);
		break;
	default:
		break;
	}
}

static void
vxlan(const struct dec_conf *conf, struct dec_pkt *pkt, int depth,
    struct cursor c)
{
	uint32_t vni;

	if (!cur_has(&c, 8) || (cur_u8(&c, 0) & VXLAN_I) == 0)
		return;
	vni = cur_be32(&c, 4) >> 8;
	cur_skip(&c, 8);
	enter(conf, pkt, depth, INNER_ETHER, c, DEC_TUN_VXLAN, vni);
}

/* Payload of the UDP datagram at <c> (8 bytes known), UDP length applied. */
static struct cursor
udp_payload(struct cursor c)
{
	size_t ulen = cur_be16(&c, 4);

	cur_skip(&c, 8);
	if (ulen >= 8 && ulen - 8 < c.len)
		c.len = ulen - 8;
	return c;
}

enum dec_result
dec_l4(const struct dec_conf *conf, struct dec_pkt *pkt, int depth,
    int len_from_cap)
{
	struct cursor c = { pkt->l4, pkt->l4_caplen };
	size_t need, declared;
	int follow;

	switch (pkt->proto) {
	case IPPROTO_TCP_:
		/* The fixed header, as other decoders want it; a first
		 * fragment may end sooner, its flags (byte 13) suffice. */
		need = pkt->frag == DEC_FRAG_FIRST ? 14 : 20;
		break;
	case IPPROTO_UDP_:
		need = 8;
		break;
	case IPPROTO_SCTP_:
		need = 4;
		break;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		need = 2;
		break;
	default:
		need = 0;
		break;
	}
	if (!cur_has(&c, need)) {
		declared = pkt->ip_len - (size_t)(pkt->l4 - pkt->l3);
		if (declared >= need || len_from_cap) {
			/* Cut by the snap length. The ports make the flow:
			 * count it without what was cut (TCP flags). */
			if (cur_has(&c, 4) && (pkt->proto == IPPROTO_TCP_ ||
			    pkt->proto == IPPROTO_UDP_)) {
				pkt->sport = cur_be16(&c, 0);
				pkt->dport = cur_be16(&c, 2);
				pkt->l4_cut = 1;
				return DEC_OK;
			}
			return DEC_TRUNCATED;
		}
		/* A tiny first fragment: the rest of the header is in the
		 * next one. Counted, without ports. */
		if (pkt->frag == DEC_FRAG_FIRST)
			return DEC_OK;
		return DEC_MALFORMED;
	}

	follow = dec_tunnels_on(conf) && pkt->frag == DEC_FRAG_NONE &&
	    depth < DEC_MAX_TUNNELS;
	switch (pkt->proto) {
	case IPPROTO_TCP_:
		/* A data offset below 5 words is no TCP header (a fuzzed or
		 * broken packet). One past the segment is only odd: the
		 * ports and flags are there, and the packet is counted. A
		 * first fragment is counted whatever it holds, as its later
		 * fragments will be. */
		if ((cur_u8(&c, 12) >> 4) < 5 && pkt->frag == DEC_FRAG_NONE)
			return DEC_MALFORMED;
		pkt->sport = cur_be16(&c, 0);
		pkt->dport = cur_be16(&c, 2);
		pkt->tcp_flags = cur_u8(&c, 13);
		break;
	case IPPROTO_UDP_:
		pkt->sport = cur_be16(&c, 0);
		pkt->dport = cur_be16(&c, 2);
		if (!follow)
			break;
		if (pkt->sport == GTPU_PORT || pkt->dport == GTPU_PORT)
			gtpu(conf, pkt, depth, udp_payload(c));
		else if (pkt->dport == VXLAN_PORT)
			vxlan(conf, pkt, depth, udp_payload(c));
		break;
	case IPPROTO_SCTP_:
		pkt->sport = cur_be16(&c, 0);
		pkt->dport = cur_be16(&c, 2);
		break;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		pkt->icmp_type = cur_u8(&c, 0);
		pkt->icmp_code = cur_u8(&c, 1);
		break;
	case IPPROTO_GRE_:
		if (follow)
			gre(conf, pkt, depth, c);
		break;
	case IPPROTO_IPIP_:
		if (follow)
			enter(conf, pkt, depth, INNER_IP4, c, DEC_TUN_IPIP, 0);
		break;
	case IPPROTO_IPV6_:
		if (follow)
			enter(conf, pkt, depth, INNER_IP6, c, DEC_TUN_IPIP, 0);
		break;
	default:
		break;
	}
	return DEC_OK;
}
