/*
 * decode.h - frame decoder: from a captured frame to the fields a flow needs.
 *
 * Pipeline position: capture -> [decode] -> flow table.
 * Input is one captured frame (buf, caplen) of a libpcap link type; output
 * is a struct dec_pkt that borrows pointers into that frame. The decoder
 * never reads past caplen, never allocates, and keeps no state: it is safe
 * to call from any thread.
 *
 * What it understands:
 *  - link types: Ethernet, Linux cooked v1/v2, raw IPv4/IPv6 (DLT_RAW,
 *    DLT_IPV4, DLT_IPV6), BSD loopback/null (DLT_NULL, DLT_LOOP), PPP,
 *    Cisco HDLC, NFLOG, PPI (one level);
 *  - 802.1Q / 802.1ad (QinQ) tags (the outermost VLAN id is kept), MPLS
 *    label stacks, PPPoE sessions;
 *  - IPv4 with options, IPv6 with hop-by-hop, routing, fragment and
 *    destination-options extension headers;
 *  - TCP, UDP, SCTP (ports), ICMP / ICMPv6 (type and code); other IP
 *    protocols give a packet without ports;
 *  - tunnels, when dec_conf.tunnels is set: GRE (IP or Ethernet payload),
 *    IP-in-IP (4in4, 6in4, 4in6, 6in6), GTP-U (UDP 2152), VXLAN (UDP 4789).
 *    The innermost IP packet is the one described; the tunnel id (GRE key,
 *    GTP TEID, VXLAN VNI) is kept. Nesting is followed DEC_MAX_TUNNELS deep.
 *    A tunnel whose payload does not decode (cut, impossible, not IP), and
 *    any tunnel in a fragment, leaves a plain flow of the outer packet.
 *
 * Byte counts follow IPFIX octetDeltaCount: the (inner) IP total length,
 * 40 + payload length for IPv6, whatever the snap length cut.
 *
 * Lengths are never trusted beyond the frame: an IP header whose length
 * (IPv4 total length, IPv6 payload length or jumbo length) claims more
 * bytes than the frame had on the wire (its original length, not the
 * captured one: a snap length legitimately cuts packets) is DEC_MALFORMED,
 * like any impossible header (a 62-byte frame claiming 65,535 bytes is
 * not counted as 65,535). A length of 0 (segmentation offload) is taken
 * from the wire length.
 *
 * Short snap lengths: a flow needs addresses, protocol and ports. A TCP,
 * UDP or SCTP header cut by the capture after its ports (IPv6 TCP over
 * Ethernet needs 74 bytes for the whole TCP header, more than a snap
 * length of 64 keeps) gives DEC_OK with the ports and no TCP flags
 * (tcp_flags 0, l4_cut 1); no tunnel inside it is followed.
 */
#ifndef L7_DECODE_H
#define L7_DECODE_H

#include <stddef.h>
#include <stdint.h>

#define DEC_MAX_TUNNELS	4

/* Result of decoding one frame. Every value but DEC_OK is a reason for
 * ignoring the packet and has a counter (see dec_result_name). */
enum dec_result {
	DEC_OK = 0,
	DEC_NOT_IP,		/* ARP, LLDP, STP, unknown ethertype... */
	DEC_UNSUPPORTED_LINK,	/* link type the decoder does not know */
	DEC_TRUNCATED,		/* a header is cut by the captured length */
	DEC_MALFORMED,		/* a header is impossible (bad version, length) */
	DEC_RESULT_MAX
};

enum dec_frag {
	DEC_FRAG_NONE = 0,	/* not a fragment */
	DEC_FRAG_FIRST,		/* offset 0, more fragments follow: has ports */
	DEC_FRAG_LATER,		/* offset > 0: no L4 header */
};

enum dec_tunnel {
	DEC_TUN_NONE = 0,
	DEC_TUN_GRE,
	DEC_TUN_IPIP,
	DEC_TUN_GTPU,
	DEC_TUN_VXLAN,
};

struct dec_conf {
	int	tunnels;		/* 1 = look inside tunnels (default);
					 * a NULL conf means 1 */
};

/* One decoded packet. Addresses are network order, 4 bytes used for IPv4
 * (the rest zero); everything else is host order. Pointers borrow the
 * frame given to dec_frame(). */
struct dec_pkt {
	uint64_t	ts_us;		/* set by the caller, not the decoder */
	uint32_t	ifindex;	/* set by the caller: ingress interface
					 * (ifIndex), 0 = unknown or merged */
	const uint8_t	*l3;		/* (inner) IP header */
	uint32_t	l3_caplen;	/* bytes of it captured */
	const uint8_t	*l4;		/* L4 header, NULL if absent/later frag */
	uint32_t	l4_caplen;	/* bytes captured from l4 on */
	uint32_t	ip_len;		/* bytes to count: IP total length */
	uint32_t	frag_id;	/* IPv4 id or IPv6 fragment id */
	uint32_t	tunnel_id;	/* GRE key, TEID, VNI; 0 = none */
	uint8_t		src[16];
	uint8_t		dst[16];
	uint16_t	sport;		/* 0 if the protocol has no ports */
	uint16_t	dport;
	uint16_t	vlan_id;	/* outermost VLAN id, 0 = untagged */
	uint8_t		ip_version;	/* 4 or 6 */
	uint8_t		proto;		/* IP protocol of the (inner) packet */
	uint8_t		tcp_flags;	/* FIN=0x01 ... CWR=0x80, TCP only */
	uint8_t		icmp_type;	/* ICMP / ICMPv6 only */
	uint8_t		icmp_code;
	uint8_t		frag;		/* enum dec_frag */
	uint8_t		tunnel;		/* enum dec_tunnel, innermost */
	uint8_t		l4_cut;		/* 1: the L4 header is cut by the
					 * capture after the ports (no TCP
					 * flags) */
	/* set by dec_frame() for the decoder's own checks */
	const uint8_t	*frame;		/* the frame given */
	uint32_t	wirelen;	/* its length on the wire, >= caplen */
};

/*
 * Decodes <caplen> bytes of <frame>, of libpcap link type <linktype>, into
 * <pkt> (all fields but ts_us are written, ifindex with 0: the caller sets
 * it afterwards). <wirelen> is the
 * frame's length on the wire (pcap's "len"); a value below caplen (0, or
 * a broken capture file) is taken as caplen. Returns DEC_OK or the reason
 * the packet cannot make a flow; <pkt> is then unspecified.
 */
enum dec_result dec_frame(const struct dec_conf *conf, int linktype,
	    const uint8_t *frame, size_t caplen, size_t wirelen,
	    struct dec_pkt *pkt);

/* 1 when dec_frame() knows <linktype>, else 0. */
int	dec_linktype_supported(int linktype);

/* Counter name of a result: "not_ip", "truncated"... (static string). */
const char *dec_result_name(enum dec_result r);

#endif
