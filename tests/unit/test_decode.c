/*
 * test_decode.c - unit tests of the frame decoder (src/decode/decode.h).
 *
 * Table-driven: each case is one frame, its link type, whether tunnels
 * are followed, and the packet it must decode to. Every case is also
 * replayed at each shorter captured length, from a heap buffer of exactly
 * that many bytes, so AddressSanitizer catches any read past caplen; a
 * case with min_len set must then give DEC_TRUNCATED below min_len and
 * its own result from min_len on.
 *
 * Frames are built from the macros below (header fields in network
 * order); each line says what it decodes to.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <pcap/dlt.h>

#include "decode/decode.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2	276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4	228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6	229
#endif
#ifndef DLT_NFLOG
#define DLT_NFLOG	239
#endif

#define B2(v)		(((v) >> 8) & 0xff), ((v) & 0xff)
#define B4(v)		(((v) >> 24) & 0xff), (((v) >> 16) & 0xff), \
			(((v) >> 8) & 0xff), ((v) & 0xff)
/* NFLOG TLV fields are in host order. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define H16(v)		((v) & 0xff), (((v) >> 8) & 0xff)
#else
#define H16(v)		B2(v)
#endif

#define MACS		0x02,0,0,0,0,0x01, 0x02,0,0,0,0,0x02
#define ETH(type)	MACS, B2(type)

/* Addresses: outer 10.0.0.1 > 10.0.0.2, inner 192.168.0.1 > .2; IPv6
 * outer 2001:db8::1 > ::2, inner 2001:db8:1::1 > ::2. */
#define A4S		10,0,0,1
#define A4D		10,0,0,2
#define B4S		192,168,0,1
#define B4D		192,168,0,2
#define LS(k)		10,0,k,1
#define LD(k)		10,0,k,2
#define A6S		0x20,0x01,0x0d,0xb8, 0,0,0,0, 0,0,0,0, 0,0,0,0x01
#define A6D		0x20,0x01,0x0d,0xb8, 0,0,0,0, 0,0,0,0, 0,0,0,0x02
#define B6S		0x20,0x01,0x0d,0xb8, 0,0x01,0,0, 0,0,0,0, 0,0,0,0x01
#define B6D		0x20,0x01,0x0d,0xb8, 0,0x01,0,0, 0,0,0,0, 0,0,0,0x02

/* IPv4 header, ihl 5: total length, id, flags+offset, protocol. */
#define IP4(len, id, off, proto, s, d) \
	0x45,0x00,B2(len), B2(id),B2(off), 0x40,(proto),0x00,0x00, s, d
/* IPv6 header: payload length, next header. */
#define IP6(plen, nxt, s, d) \
	0x60,0x00,0x00,0x00, B2(plen),(nxt),0x40, s, d
/* TCP header, 20 bytes; UDP header, 8 bytes. */
#define TCP(sp, dp, fl) \
	B2(sp),B2(dp), 0,0,0,1, 0,0,0,0, 0x50,(fl),B2(8192), 0,0, 0,0
#define UDP(sp, dp, len)	B2(sp),B2(dp), B2(len), 0,0

/* ---- Ethernet, IPv4 ---- */

static const uint8_t f_eth_ipv4_tcp[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(40, 1, 0, 6, A4S, A4D),		/* len 40 TCP */
	TCP(1234, 80, 0x12),			/* 1234 > 80 SYN+ACK */
};
static const uint8_t f_eth_ipv4_udp[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(32, 2, 0, 17, A4S, A4D),		/* len 32 UDP */
	UDP(5353, 53, 12),			/* 5353 > 53 */
	'a','b','c','d',			/* payload */
};
static const uint8_t f_eth_ipv4_opts[] = {
	ETH(0x0800),				/* eth IPv4 */
	0x46,0x00,B2(44), B2(3),B2(0),		/* ihl 6, len 44 */
	0x40,6,0,0, A4S, A4D,			/* TCP */
	0x01,0x01,0x01,0x00,			/* options: NOP NOP NOP EOL */
	TCP(1234, 443, 0x02),			/* 1234 > 443 SYN */
};
static const uint8_t f_eth_ipv4_sctp[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(32, 4, 0, 132, A4S, A4D),		/* len 32 SCTP */
	B2(5000),B2(5001), 0,0,0,0, 0,0,0,0,	/* 5000 > 5001, vtag, csum */
};
static const uint8_t f_eth_ipv4_icmp[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(28, 5, 0, 1, A4S, A4D),		/* len 28 ICMP */
	8,0, 0,0, 0,1, 0,1,			/* echo request, id 1 seq 1 */
};
static const uint8_t f_eth_ipv4_ospf[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(24, 6, 0, 89, A4S, A4D),		/* len 24 OSPF: no ports */
	0x02,0x01,0x00,0x2c,			/* OSPF header start */
};
static const uint8_t f_eth_ipv4_pad[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(28, 7, 0, 17, A4S, A4D),		/* len 28 UDP */
	UDP(1000, 2000, 8),			/* 1000 > 2000, empty */
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,	/* Ethernet padding */
};
static const uint8_t f_eth_ipv4_tso[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(0, 8, 0x4000, 6, A4S, A4D),		/* len 0 (TSO), DF, TCP */
	TCP(40000, 8080, 0x18),			/* 40000 > 8080 PSH+ACK */
	'x','x','x','x','x','x',		/* payload: ip_len 46 */
};
static const uint8_t f_eth_ipv4_frag1[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(36, 0x1234, 0x2000, 17, A4S, A4D),	/* id 0x1234 MF off 0, UDP */
	UDP(1111, 2222, 24),			/* 1111 > 2222 */
	1,2,3,4,5,6,7,8,			/* first 8 payload bytes */
};
static const uint8_t f_eth_ipv4_frag2[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(28, 0x1234, 0x0002, 17, A4S, A4D),	/* id 0x1234 off 16, UDP */
	9,10,11,12,13,14,15,16,			/* rest of the payload */
};
static const uint8_t f_eth_ipv4_tiny[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(28, 0x99, 0x2000, 6, A4S, A4D),	/* MF off 0, TCP, 8 bytes */
	B2(1234),B2(80), 0,0,0,1,		/* TCP cut before the flags */
};
static const uint8_t f_eth_ipv4_tcp_short[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(28, 0x98, 0, 6, A4S, A4D),		/* not a fragment, 8 of TCP */
	B2(1234),B2(80), 0,0,0,1,		/* TCP shorter than 20: bad */
};
static const uint8_t f_eth_ipv4_tcp_doff2[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(40, 0x97, 0, 6, A4S, A4D),		/* len 40 TCP */
	B2(1234),B2(80), 0,0,0,1, 0,0,0,0,	/* 1234 > 80 */
	0x20,0x02,B2(8192), 0,0, 0,0,		/* data offset 2: bogus */
};
static const uint8_t f_eth_ipv4_tcp_doff_long[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(40, 0x96, 0, 6, A4S, A4D),		/* len 40: 20 bytes of TCP */
	B2(1234),B2(80), 0,0,0,1, 0,0,0,0,	/* 1234 > 80 */
	0xf0,0x02,B2(8192), 0,0, 0,0,		/* data offset 15: odd, kept */
};
static const uint8_t f_eth_ipv4_ihl4[] = {
	ETH(0x0800),				/* eth IPv4 */
	0x44,0x00,B2(40), 0,0,0,0,		/* ihl 4: impossible */
	0x40,6,0,0, A4S, A4D,
};
static const uint8_t f_eth_ipv4_shortlen[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(10, 1, 0, 6, A4S, A4D),		/* len 10 < header */
};
static const uint8_t f_eth_badver[] = {
	ETH(0x0800),				/* eth says IPv4 */
	IP6(8, 17, A6S, A6D),			/* but IPv6 follows */
	UDP(1, 2, 8),
};

/* ---- Ethernet, IPv6 ---- */

static const uint8_t f_eth_ipv6_tcp[] = {
	ETH(0x86dd),				/* eth IPv6 */
	IP6(20, 6, A6S, A6D),			/* plen 20 TCP */
	TCP(1234, 443, 0x02),			/* 1234 > 443 SYN */
};
static const uint8_t f_eth_ipv6_hbh[] = {
	ETH(0x86dd),				/* eth IPv6 */
	IP6(16, 0, A6S, A6D),			/* plen 16, hop-by-hop */
	17,0, 0x01,0x04,0,0,0,0,		/* HBH: UDP next, PadN 4 */
	UDP(546, 547, 8),			/* 546 > 547 */
};
static const uint8_t f_eth_ipv6_rt[] = {
	ETH(0x86dd),				/* eth IPv6 */
	IP6(28, 43, A6S, A6D),			/* plen 28, routing */
	6,0,0,0, 0,0,0,0,			/* RH: TCP next, len 0 */
	TCP(1, 2, 0x10),			/* 1 > 2 ACK */
};
static const uint8_t f_eth_ipv6_dst[] = {
	ETH(0x86dd),				/* eth IPv6 */
	IP6(16, 60, A6S, A6D),			/* plen 16, dest options */
	17,0, 0x01,0x04,0,0,0,0,		/* DO: UDP next, PadN 4 */
	UDP(53, 53, 8),				/* 53 > 53 */
};
static const uint8_t f_eth_ipv6_ah[] = {
	ETH(0x86dd),				/* eth IPv6 */
	IP6(44, 51, A6S, A6D),			/* plen 44, AH */
	6,4,0,0, 0,0,0,1, 0,0,0,1,		/* AH: TCP next, (4+2)*4=24 */
	0,0,0,0, 0,0,0,0, 0,0,0,0,		/* ICV */
	TCP(22, 50000, 0x18),			/* 22 > 50000 PSH+ACK */
};
static const uint8_t f_eth_ipv6_chain[] = {
	ETH(0x86dd),				/* eth IPv6 */
	IP6(40, 0, A6S, A6D),			/* plen 40, hop-by-hop */
	60,0, 0x01,0x04,0,0,0,0,		/* HBH: next dest options */
	43,0, 0x01,0x04,0,0,0,0,		/* DO: next routing */
	44,0,0,0, 0,0,0,0,			/* RH: next fragment */
	17,0, 0x00,0x00, B4(0x01020304),	/* FH: atomic, id, UDP */
	UDP(7, 7, 8),				/* 7 > 7 */
};
static const uint8_t f_eth_ipv6_frag1[] = {
	ETH(0x86dd),				/* eth IPv6 */
	IP6(24, 44, A6S, A6D),			/* plen 24, fragment */
	17,0, 0x00,0x01, B4(0xdeadbeef),	/* FH: off 0 M=1, UDP */
	UDP(5000, 6000, 100),			/* 5000 > 6000 */
	1,2,3,4,5,6,7,8,			/* first payload bytes */
};
static const uint8_t f_eth_ipv6_frag2[] = {
	ETH(0x86dd),				/* eth IPv6 */
	IP6(16, 44, A6S, A6D),			/* plen 16, fragment */
	17,0, 0x00,0xb8, B4(0xdeadbeef),	/* FH: off 184 M=0, UDP */
	1,2,3,4,5,6,7,8,			/* payload, no UDP header */
};
static const uint8_t f_eth_ipv6_icmp6[] = {
	ETH(0x86dd),				/* eth IPv6 */
	IP6(8, 58, A6S, A6D),			/* plen 8 ICMPv6 */
	128,0,0,0, 0,1,0,1,			/* echo request */
};
static const uint8_t f_eth_ipv6_jumbo[] = {
	ETH(0x86dd),				/* eth IPv6 */
	IP6(0, 0, A6S, A6D),			/* plen 0: jumbogram, HBH */
	17,0, 0xc2,4, B4(70000),		/* HBH: jumbo 70000, UDP */
	UDP(9, 9, 0),				/* 9 > 9, len 0 (jumbo) */
	1,2,3,4,5,6,7,8,			/* snap length cut here */
};
static const uint8_t f_eth_ipv6_plen0[] = {
	ETH(0x86dd),				/* eth IPv6 */
	IP6(0, 17, A6S, A6D),			/* plen 0, no jumbo option */
	UDP(9, 10, 0),				/* 9 > 10 */
	1,2,3,4,				/* ip_len = captured 52 */
};
static const uint8_t f_eth_ipv6_esp[] = {
	ETH(0x86dd),				/* eth IPv6 */
	IP6(16, 50, A6S, A6D),			/* plen 16 ESP: no ports */
	0,0,1,0, 0,0,0,1, 1,2,3,4,5,6,7,8,	/* SPI, seq, data */
};

/* ---- Ethernet: tags, MPLS, PPPoE, not IP ---- */

static const uint8_t f_vlan[] = {
	ETH(0x8100),				/* eth 802.1Q */
	B2(0x2064), B2(0x0800),			/* PCP 1 VID 100, IPv4 */
	IP4(28, 1, 0, 17, A4S, A4D),		/* len 28 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_qinq[] = {
	ETH(0x88a8),				/* eth 802.1ad */
	B2(200), B2(0x8100),			/* S-VID 200, 802.1Q */
	B2(300), B2(0x0800),			/* C-VID 300, IPv4 */
	IP4(28, 1, 0, 17, A4S, A4D),		/* len 28 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_qinq9100[] = {
	ETH(0x9100),				/* eth old QinQ */
	B2(10), B2(0x8100),			/* VID 10, 802.1Q */
	B2(20), B2(0x86dd),			/* VID 20, IPv6 */
	IP6(8, 17, A6S, A6D),			/* plen 8 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_mpls4[] = {
	ETH(0x8847),				/* eth MPLS */
	0x00,0x06,0x40,0x40,			/* label 100 */
	0x00,0x0c,0x81,0x40,			/* label 200, bottom */
	IP4(28, 1, 0, 17, A4S, A4D),		/* len 28 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_mpls6[] = {
	ETH(0x8848),				/* eth MPLS multicast */
	0x00,0x06,0x41,0x40,			/* label 100, bottom */
	IP6(20, 6, A6S, A6D),			/* plen 20 TCP */
	TCP(1, 2, 0x02),			/* 1 > 2 SYN */
};
static const uint8_t f_mpls_pw[] = {
	ETH(0x8847),				/* eth MPLS */
	0x00,0x06,0x41,0x40,			/* label 100, bottom */
	0x00,0x00,0x00,0x00,			/* PW control word: not IP */
	MACS,
};
static const uint8_t f_pppoe4[] = {
	ETH(0x8864),				/* eth PPPoE session */
	0x11,0x00, B2(0x1234), B2(42),		/* v1 t1, session, len 42 */
	B2(0x0021),				/* PPP IPv4 */
	IP4(40, 1, 0, 6, A4S, A4D),		/* len 40 TCP */
	TCP(1234, 80, 0x02),			/* 1234 > 80 SYN */
};
static const uint8_t f_pppoe6[] = {
	ETH(0x8864),				/* eth PPPoE session */
	0x11,0x00, B2(1), B2(50),		/* session 1, len 50 */
	B2(0x0057),				/* PPP IPv6 */
	IP6(8, 17, A6S, A6D),			/* plen 8 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_pppoe_lcp[] = {
	ETH(0x8864),				/* eth PPPoE session */
	0x11,0x00, B2(1), B2(6),		/* session 1, len 6 */
	B2(0xc021),				/* PPP LCP: not IP */
	0x09,0x01,0x00,0x04,			/* echo request */
};
static const uint8_t f_pppoed[] = {
	ETH(0x8863),				/* eth PPPoE discovery */
	0x11,0x09,0x00,0x00, B2(0),		/* PADI */
};
static const uint8_t f_arp[] = {
	ETH(0x0806),				/* eth ARP */
	0,1, 8,0, 6,4, 0,1,			/* request */
};
static const uint8_t f_llc[] = {
	MACS, B2(0x0026),			/* 802.3 length 38 */
	0x42,0x42,0x03,				/* LLC: STP */
};

/* ---- other link types ---- */

static const uint8_t f_sll[] = {
	B2(0), B2(1), B2(6),			/* to us, ARPHRD_ETHER, 6 */
	0x02,0,0,0,0,0x01,0,0,			/* address */
	B2(0x0800),				/* IPv4 */
	IP4(28, 1, 0, 17, A4S, A4D),		/* len 28 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_sll2[] = {
	B2(0x86dd), B2(0), B4(2),		/* IPv6, reserved, ifindex */
	B2(1), 0, 6,				/* ARPHRD_ETHER, host, 6 */
	0x02,0,0,0,0,0x01,0,0,			/* address */
	IP6(20, 6, A6S, A6D),			/* plen 20 TCP */
	TCP(1, 2, 0x02),			/* 1 > 2 SYN */
};
static const uint8_t f_raw4[] = {
	IP4(40, 1, 0, 6, A4S, A4D),		/* len 40 TCP */
	TCP(1234, 80, 0x12),			/* 1234 > 80 SYN+ACK */
};
static const uint8_t f_raw6[] = {
	IP6(8, 17, A6S, A6D),			/* plen 8 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_raw_icmp[] = {
	IP4(28, 5, 0, 1, A4S, A4D),		/* len 28 ICMP */
	3,1, 0,0, 0,0,0,0,			/* host unreachable */
};
static const uint8_t f_raw_v5[] = {
	0x50,0,0,20, 0,0,0,0,			/* version 5: no such IP */
};
static const uint8_t f_null_le[] = {
	0x02,0x00,0x00,0x00,			/* AF_INET, little endian */
	IP4(28, 1, 0, 17, A4S, A4D),		/* len 28 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_null_be[] = {
	0x00,0x00,0x00,0x02,			/* AF_INET, big endian */
	IP4(28, 1, 0, 17, A4S, A4D),		/* len 28 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_null_v6_24[] = {
	24,0,0,0,				/* AF_INET6 (Net/OpenBSD) */
	IP6(8, 17, A6S, A6D),			/* plen 8 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_null_v6_28[] = {
	0,0,0,28,				/* AF_INET6 (FreeBSD), BE */
	IP6(8, 17, A6S, A6D),			/* plen 8 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_null_v6_30[] = {
	30,0,0,0,				/* AF_INET6 (macOS) */
	IP6(8, 17, A6S, A6D),			/* plen 8 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_null_other[] = {
	7,0,0,0,				/* AF_7: not IP */
	1,2,3,4,
};
static const uint8_t f_ppp_full[] = {
	0xff,0x03, B2(0x0021),			/* address, control, IPv4 */
	IP4(28, 1, 0, 17, A4S, A4D),		/* len 28 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_ppp_pfc[] = {
	0x21,					/* compressed proto IPv4 */
	IP4(28, 1, 0, 17, A4S, A4D),		/* len 28 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_ppp_v6[] = {
	B2(0x0057),				/* no address, IPv6 */
	IP6(8, 17, A6S, A6D),			/* plen 8 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_ppp_mpls[] = {
	0xff,0x03, B2(0x0281),			/* PPP MPLS unicast */
	0x00,0x06,0x41,0x01,			/* label 100, bottom, TTL 1 */
	IP4(28, 1, 0, 17, A4S, A4D),		/* len 28 UDP */
	UDP(40000, 33434, 8),			/* traceroute probe */
};
static const uint8_t f_ppp_lcp[] = {
	0xff,0x03, B2(0xc021),			/* LCP: not IP */
	0x09,0x01,0x00,0x04,
};
static const uint8_t f_ppp_cisco[] = {
	0x0f,0x00, B2(0x0800),			/* Cisco HDLC in PPP, IPv4 */
	IP4(28, 1, 0, 17, A4S, A4D),		/* len 28 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_chdlc4[] = {
	0x0f,0x00, B2(0x0800),			/* unicast, IPv4 */
	IP4(40, 1, 0, 6, A4S, A4D),		/* len 40 TCP */
	TCP(179, 40000, 0x18),			/* BGP 179 > 40000 */
};
static const uint8_t f_chdlc6[] = {
	0x8f,0x00, B2(0x86dd),			/* broadcast, IPv6 */
	IP6(8, 17, A6S, A6D),			/* plen 8 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_chdlc_slarp[] = {
	0x8f,0x00, B2(0x8035),			/* SLARP: not IP */
	0,0,0,2,
};
static const uint8_t f_nflog4[] = {
	2, 0, B2(0),				/* AF_INET, v0, res id 0 */
	H16(8), H16(1), B2(0x0800), 0,0,	/* TLV 1 packet header */
	H16(32), H16(9),			/* TLV 9 payload, 28 bytes */
	IP4(28, 1, 0, 17, A4S, A4D),		/* len 28 UDP */
	UDP(53, 1000, 8),			/* 53 > 1000 */
};
static const uint8_t f_nflog6[] = {
	10, 0, B2(0),				/* AF_INET6 */
	H16(5), H16(10), 'a', 0,0,0,		/* TLV 10 prefix, padded */
	H16(52), H16(9),			/* TLV 9 payload, 48 bytes */
	IP6(8, 17, A6S, A6D),			/* plen 8 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_nflog_nopayload[] = {
	2, 0, B2(0),				/* AF_INET */
	H16(8), H16(1), B2(0x0800), 0,0,	/* TLV 1 only: cut */
};
static const uint8_t f_ppi[] = {
	0, 0, 8, 0, 1, 0, 0, 0,			/* PPI v0, len 8, DLT 1 */
	ETH(0x0800),				/* eth IPv4 */
	IP4(40, 1, 0, 6, A4S, A4D),		/* len 40 TCP */
	TCP(1234, 80, 0x12),			/* 1234 > 80 SYN+ACK */
};
static const uint8_t f_ppi_ppi[] = {
	0, 0, 8, 0, 192, 0, 0, 0,		/* PPI in PPI: refused */
	0, 0, 8, 0, 1, 0, 0, 0,
};

/* ---- tunnels ---- */

static const uint8_t f_gre4[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(52, 10, 0, 47, A4S, A4D),		/* len 52 GRE */
	0x00,0x00, B2(0x0800),			/* GRE v0, IPv4 */
	IP4(28, 11, 0, 17, B4S, B4D),		/* inner len 28 UDP */
	UDP(1000, 53, 8),			/* 1000 > 53 */
};
static const uint8_t f_gre_cks[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(96, 10, 0, 47, A4S, A4D),		/* len 96 GRE */
	0xb0,0x00, B2(0x86dd),			/* GRE C K S, IPv6 */
	0,0,0,0,				/* checksum, reserved */
	B4(1111),				/* key 1111 */
	B4(1),					/* sequence 1 */
	IP6(20, 6, B6S, B6D),			/* inner plen 20 TCP */
	TCP(3333, 80, 0x02),			/* 3333 > 80 SYN */
};
static const uint8_t f_gre_teb[] = {
	ETH(0x8100), B2(5), B2(0x0800),		/* eth VID 5, IPv4 */
	IP4(74, 10, 0, 47, A4S, A4D),		/* len 74 GRE */
	0x20,0x00, B2(0x6558), B4(7),		/* GRE K, Ethernet, key 7 */
	ETH(0x8100), B2(999), B2(0x0800),	/* inner eth VID 999, IPv4 */
	IP4(28, 11, 0, 1, B4S, B4D),		/* inner len 28 ICMP */
	8,0,0,0, 0,1,0,1,			/* echo request */
};
static const uint8_t f_gre_teb_untagged[] = {
	ETH(0x0800),				/* eth untagged IPv4 */
	IP4(74, 10, 0, 47, A4S, A4D),		/* len 74 GRE */
	0x00,0x00, B2(0x6558),			/* GRE, Ethernet, no key */
	ETH(0x8100), B2(999), B2(0x0800),	/* inner eth VID 999, IPv4 */
	IP4(28, 11, 0, 1, B4S, B4D),		/* inner len 28 ICMP */
	0,0,0,0, 0,1,0,1,			/* echo reply */
	0,0,0,0,				/* (GRE had no key) */
};
static const uint8_t f_gre_mpls[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(68, 10, 0, 47, A4S, A4D),		/* len 68 GRE */
	0x00,0x00, B2(0x8847),			/* GRE, MPLS */
	0x00,0x06,0x41,0x40,			/* label 100, bottom */
	IP4(40, 11, 0, 6, B4S, B4D),		/* inner len 40 TCP */
	TCP(5555, 443, 0x10),			/* 5555 > 443 ACK */
};
static const uint8_t f_gre_pptp[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(36, 10, 0, 47, A4S, A4D),		/* len 36 GRE */
	0x30,0x81, B2(0x880b),			/* GRE K S version 1, PPP */
	B2(4), B2(0x1234), B4(1),		/* payload len, call, seq */
	0xff,0x03,0x00,0x21,			/* PPP IPv4 (not followed) */
};
static const uint8_t f_gre_other[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(32, 10, 0, 47, A4S, A4D),		/* len 32 GRE */
	0x00,0x00, B2(0x8909),			/* GRE, Cisco metadata */
	1,2,3,4,5,6,7,8,
};
static const uint8_t f_gre_badinner[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(44, 10, 0, 47, A4S, A4D),		/* len 44 GRE */
	0x00,0x00, B2(0x0800),			/* GRE, IPv4 */
	0x43,0,0,20, 0,0,0,0, 0x40,17,0,0,	/* inner ihl 3: impossible */
	B4S, B4D,
};
static const uint8_t f_gre_frag[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(52, 0x55, 0x2000, 47, A4S, A4D),	/* MF off 0, GRE */
	0x00,0x00, B2(0x0800),			/* GRE, IPv4 (not followed) */
	IP4(28, 11, 0, 17, B4S, B4D),
	UDP(1000, 53, 8),
};
static const uint8_t f_ipip44[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(48, 10, 0, 4, A4S, A4D),		/* len 48 IPIP */
	IP4(28, 11, 0, 17, B4S, B4D),		/* inner len 28 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_ipip64[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(68, 10, 0, 41, A4S, A4D),		/* len 68, IPv6 inside */
	IP6(8, 17, B6S, B6D),			/* inner plen 8 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_ipip46[] = {
	ETH(0x86dd),				/* eth IPv6 */
	IP6(28, 4, A6S, A6D),			/* plen 28, IPv4 inside */
	IP4(28, 11, 0, 17, B4S, B4D),		/* inner len 28 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_ipip66[] = {
	ETH(0x86dd),				/* eth IPv6 */
	IP6(48, 41, A6S, A6D),			/* plen 48, IPv6 inside */
	IP6(8, 17, B6S, B6D),			/* inner plen 8 UDP */
	UDP(1, 2, 8),				/* 1 > 2 */
};
static const uint8_t f_gtpu4[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(64, 10, 0, 17, A4S, A4D),		/* len 64 UDP */
	UDP(50000, 2152, 44),			/* 50000 > 2152 GTP-U */
	0x30,0xff, B2(28), B4(0x01020304),	/* v1 PT, G-PDU, TEID */
	IP4(28, 11, 0, 17, B4S, B4D),		/* inner len 28 UDP */
	UDP(1234, 5678, 8),			/* 1234 > 5678 */
};
static const uint8_t f_gtpu_ext[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(104, 10, 0, 17, A4S, A4D),		/* len 104 UDP */
	UDP(2152, 40000, 84),			/* 2152 > 40000 GTP-U */
	0x34,0xff, B2(68), B4(0xabcdef01),	/* v1 PT E, G-PDU, TEID */
	B2(0), 0x00, 0x85,			/* seq, N-PDU, next: PDU ses */
	0x01, 0x00,0x01, 0x00,			/* ext len 1 (4 B), last */
	IP6(20, 6, B6S, B6D),			/* inner plen 20 TCP */
	TCP(1, 2, 0x02),			/* 1 > 2 SYN */
};
static const uint8_t f_gtpu_echo[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(40, 10, 0, 17, A4S, A4D),		/* len 40 UDP */
	UDP(2152, 2152, 20),			/* GTP-U port */
	0x32,0x01, B2(4), B4(0),		/* v1 PT S, echo request */
	B2(1), 0, 0,				/* seq 1 */
};
static const uint8_t f_gtpu_notip[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(40, 10, 0, 17, A4S, A4D),		/* len 40 UDP */
	UDP(2152, 2152, 20),			/* GTP-U port */
	0x30,0xff, B2(4), B4(9),		/* G-PDU, TEID 9 */
	0x00,0x01,0x02,0x03,			/* payload not IP */
};
static const uint8_t f_vxlan[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(90, 10, 0, 17, A4S, A4D),		/* len 90 UDP */
	UDP(50000, 4789, 70),			/* 50000 > 4789 VXLAN */
	0x08,0,0,0, 0x00,0x00,0x64,0x00,	/* I, VNI 100 */
	ETH(0x0800),				/* inner eth IPv4 */
	IP4(40, 11, 0, 6, B4S, B4D),		/* inner len 40 TCP */
	TCP(80, 60000, 0x11),			/* 80 > 60000 FIN+ACK */
};
static const uint8_t f_vxlan_noi[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(50, 10, 0, 17, A4S, A4D),		/* len 50 UDP */
	UDP(50000, 4789, 30),			/* 50000 > 4789 */
	0x00,0,0,0, 0x00,0x00,0x64,0x00,	/* no I flag: not followed */
	ETH(0x0800),
};
static const uint8_t f_vxlan_arp[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(58, 10, 0, 17, A4S, A4D),		/* len 58 UDP */
	UDP(50000, 4789, 38),			/* 50000 > 4789 VXLAN */
	0x08,0,0,0, 0x00,0x00,0x64,0x00,	/* I, VNI 100 */
	ETH(0x0806),				/* inner ARP: outer kept */
	0,1, 8,0, 6,4, 0,1,
};
static const uint8_t f_nested[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(102, 10, 0, 17, A4S, A4D),		/* len 102 UDP */
	UDP(50000, 4789, 82),			/* VXLAN */
	0x08,0,0,0, 0x00,0x00,0x64,0x00,	/* I, VNI 100 */
	ETH(0x0800),				/* inner eth IPv4 */
	IP4(52, 11, 0, 47, LS(9), LD(9)),	/* len 52 GRE */
	0x00,0x00, B2(0x0800),			/* GRE no key, IPv4 */
	IP4(28, 12, 0, 17, B4S, B4D),		/* innermost len 28 UDP */
	UDP(7, 9, 8),				/* 7 > 9 */
};
static const uint8_t f_nested_ids[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(104, 10, 0, 17, A4S, A4D),		/* len 104 UDP */
	UDP(2152, 2152, 84),			/* GTP-U */
	0x30,0xff, B2(68), B4(0x01020304),	/* G-PDU, TEID 0x01020304 */
	IP4(68, 11, 0, 47, LS(9), LD(9)),	/* len 68 GRE */
	0x20,0x00, B2(0x86dd), B4(7),		/* GRE K, IPv6, key 7 */
	IP6(0, 59, B6S, B6D),			/* plen 0, no next header:
						 * ip_len from what is there */
};
static const uint8_t f_deep[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(128, 1, 0, 4, LS(0), LD(0)),	/* IPIP */
	IP4(108, 1, 0, 4, LS(1), LD(1)),	/* tunnel 1: IPIP */
	IP4(88, 1, 0, 4, LS(2), LD(2)),		/* tunnel 2: IPIP */
	IP4(68, 1, 0, 4, LS(3), LD(3)),		/* tunnel 3: IPIP */
	IP4(48, 1, 0, 4, LS(4), LD(4)),		/* tunnel 4: the last one */
	IP4(28, 1, 0, 17, LS(5), LD(5)),	/* beyond DEC_MAX_TUNNELS */
	UDP(1, 2, 8),
};

struct want {
	enum dec_result	res;
	uint8_t		ipv;
	const char	*src;
	const char	*dst;
	uint16_t	sport;
	uint16_t	dport;
	uint8_t		proto;
	uint32_t	ip_len;
	uint8_t		frag;
	uint32_t	frag_id;	/* checked when frag_id_set */
	int		frag_id_set;
	uint8_t		tunnel;
	uint32_t	tunnel_id;
	uint16_t	vlan;
	uint8_t		tcp_flags;
	uint8_t		icmp_type;
	uint8_t		icmp_code;
	int		no_l4;		/* l4 must be NULL */
};

struct tcase {
	const char	*name;
	int		linktype;
	int		no_tunnels;	/* conf.tunnels = 0 */
	const uint8_t	*frame;
	size_t		len;
	size_t		min_len;	/* < min_len: TRUNCATED; 0: no check */
	struct want	w;
	size_t		wire;		/* length on the wire; 0: len */
};

#define F(f)	.frame = (f), .len = sizeof(f)
/* <ad> is one of the address pairs below */
#define OK4(ad, sp, dp, pr, il) \
	.res = DEC_OK, .ipv = 4, ad, .sport = (sp), \
	.dport = (dp), .proto = (pr), .ip_len = (il)
#define OK6(ad, sp, dp, pr, il) \
	.res = DEC_OK, .ipv = 6, ad, .sport = (sp), \
	.dport = (dp), .proto = (pr), .ip_len = (il)
#define O4	.src = "10.0.0.1", .dst = "10.0.0.2"
#define I4	.src = "192.168.0.1", .dst = "192.168.0.2"
#define O6	.src = "2001:db8::1", .dst = "2001:db8::2"
#define I6	.src = "2001:db8:1::1", .dst = "2001:db8:1::2"
#define L4_4	.src = "10.0.4.1", .dst = "10.0.4.2"	/* f_deep, 4 tunnels in */

static const struct tcase cases[] = {
	/* Ethernet, IPv4 */
	{ "eth_ipv4_tcp", DLT_EN10MB, 0, F(f_eth_ipv4_tcp), 54,
	    { OK4(O4, 1234, 80, 6, 40), .tcp_flags = 0x12 } },
	{ "eth_ipv4_udp", DLT_EN10MB, 0, F(f_eth_ipv4_udp), 42,
	    { OK4(O4, 5353, 53, 17, 32) } },
	{ "eth_ipv4_options", DLT_EN10MB, 0, F(f_eth_ipv4_opts), 58,
	    { OK4(O4, 1234, 443, 6, 44), .tcp_flags = 0x02 } },
	{ "eth_ipv4_sctp", DLT_EN10MB, 0, F(f_eth_ipv4_sctp), 38,
	    { OK4(O4, 5000, 5001, 132, 32) } },
	{ "eth_ipv4_icmp", DLT_EN10MB, 0, F(f_eth_ipv4_icmp), 36,
	    { OK4(O4, 0, 0, 1, 28), .icmp_type = 8 } },
	{ "eth_ipv4_other_proto", DLT_EN10MB, 0, F(f_eth_ipv4_ospf), 34,
	    { OK4(O4, 0, 0, 89, 24) } },
	{ "eth_ipv4_padding", DLT_EN10MB, 0, F(f_eth_ipv4_pad), 42,
	    { OK4(O4, 1000, 2000, 17, 28) } },
	{ "eth_ipv4_tso_len0", DLT_EN10MB, 0, F(f_eth_ipv4_tso), 54,
	    { OK4(O4, 40000, 8080, 6, 46), .tcp_flags = 0x18 } },
	{ "eth_ipv4_frag_first", DLT_EN10MB, 0, F(f_eth_ipv4_frag1), 42,
	    { OK4(O4, 1111, 2222, 17, 36), .frag = DEC_FRAG_FIRST,
	    .frag_id = 0x1234, .frag_id_set = 1 } },
	{ "eth_ipv4_frag_later", DLT_EN10MB, 0, F(f_eth_ipv4_frag2), 34,
	    { OK4(O4, 0, 0, 17, 28), .frag = DEC_FRAG_LATER,
	    .frag_id = 0x1234, .frag_id_set = 1, .no_l4 = 1 } },
	{ "eth_ipv4_tiny_first_frag", DLT_EN10MB, 0, F(f_eth_ipv4_tiny), 34,
	    { OK4(O4, 0, 0, 6, 28), .frag = DEC_FRAG_FIRST } },
	{ "eth_ipv4_tcp_too_short", DLT_EN10MB, 0, F(f_eth_ipv4_tcp_short),
	    34, { .res = DEC_MALFORMED } },
	{ "eth_ipv4_tcp_doff2", DLT_EN10MB, 0, F(f_eth_ipv4_tcp_doff2),
	    54, { .res = DEC_MALFORMED } },
	{ "eth_ipv4_tcp_doff_past_len", DLT_EN10MB, 0,
	    F(f_eth_ipv4_tcp_doff_long), 54,
	    { OK4(O4, 1234, 80, 6, 40), .tcp_flags = 0x02 } },
	{ "eth_ipv4_ihl4", DLT_EN10MB, 0, F(f_eth_ipv4_ihl4), 34,
	    { .res = DEC_MALFORMED } },
	{ "eth_ipv4_len_lt_hdr", DLT_EN10MB, 0, F(f_eth_ipv4_shortlen), 34,
	    { .res = DEC_MALFORMED } },
	{ "eth_ipv4_is_v6", DLT_EN10MB, 0, F(f_eth_badver), 15,
	    { .res = DEC_MALFORMED } },

	/* Ethernet, IPv6 */
	{ "eth_ipv6_tcp", DLT_EN10MB, 0, F(f_eth_ipv6_tcp), 74,
	    { OK6(O6, 1234, 443, 6, 60), .tcp_flags = 0x02 } },
	{ "eth_ipv6_hopopts", DLT_EN10MB, 0, F(f_eth_ipv6_hbh), 70,
	    { OK6(O6, 546, 547, 17, 56) } },
	{ "eth_ipv6_routing", DLT_EN10MB, 0, F(f_eth_ipv6_rt), 82,
	    { OK6(O6, 1, 2, 6, 68), .tcp_flags = 0x10 } },
	{ "eth_ipv6_dstopts", DLT_EN10MB, 0, F(f_eth_ipv6_dst), 70,
	    { OK6(O6, 53, 53, 17, 56) } },
	{ "eth_ipv6_ah", DLT_EN10MB, 0, F(f_eth_ipv6_ah), 98,
	    { OK6(O6, 22, 50000, 6, 84), .tcp_flags = 0x18 } },
	{ "eth_ipv6_ext_chain_atomic_frag", DLT_EN10MB, 0,
	    F(f_eth_ipv6_chain), 94,
	    { OK6(O6, 7, 7, 17, 80), .frag = DEC_FRAG_NONE,
	    .frag_id = 0x01020304, .frag_id_set = 1 } },
	{ "eth_ipv6_frag_first", DLT_EN10MB, 0, F(f_eth_ipv6_frag1), 70,
	    { OK6(O6, 5000, 6000, 17, 64), .frag = DEC_FRAG_FIRST,
	    .frag_id = 0xdeadbeef, .frag_id_set = 1 } },
	{ "eth_ipv6_frag_later", DLT_EN10MB, 0, F(f_eth_ipv6_frag2), 62,
	    { OK6(O6, 0, 0, 17, 56), .frag = DEC_FRAG_LATER,
	    .frag_id = 0xdeadbeef, .frag_id_set = 1, .no_l4 = 1 } },
	{ "eth_ipv6_icmpv6", DLT_EN10MB, 0, F(f_eth_ipv6_icmp6), 56,
	    { OK6(O6, 0, 0, 58, 48), .icmp_type = 128 } },
	{ "eth_ipv6_jumbogram", DLT_EN10MB, 0, F(f_eth_ipv6_jumbo), 70,
	    { OK6(O6, 9, 9, 17, 70040) }, .wire = 14 + 70040 },
	{ "eth_ipv6_plen0_no_jumbo", DLT_EN10MB, 0, F(f_eth_ipv6_plen0), 62,
	    { OK6(O6, 9, 10, 17, 52) } },
	{ "eth_ipv6_esp", DLT_EN10MB, 0, F(f_eth_ipv6_esp), 54,
	    { OK6(O6, 0, 0, 50, 56) } },

	/* tags, MPLS, PPPoE, not IP */
	{ "vlan", DLT_EN10MB, 0, F(f_vlan), 46,
	    { OK4(O4, 1, 2, 17, 28), .vlan = 100 } },
	{ "qinq_88a8", DLT_EN10MB, 0, F(f_qinq), 50,
	    { OK4(O4, 1, 2, 17, 28), .vlan = 200 } },
	{ "qinq_9100", DLT_EN10MB, 0, F(f_qinq9100), 70,
	    { OK6(O6, 1, 2, 17, 48), .vlan = 10 } },
	{ "mpls_ipv4", DLT_EN10MB, 0, F(f_mpls4), 50,
	    { OK4(O4, 1, 2, 17, 28) } },
	{ "mpls_ipv6", DLT_EN10MB, 0, F(f_mpls6), 78,
	    { OK6(O6, 1, 2, 6, 60), .tcp_flags = 0x02 } },
	{ "mpls_pseudowire", DLT_EN10MB, 0, F(f_mpls_pw), 19,
	    { .res = DEC_NOT_IP } },
	{ "pppoe_ipv4", DLT_EN10MB, 0, F(f_pppoe4), 62,
	    { OK4(O4, 1234, 80, 6, 40), .tcp_flags = 0x02 } },
	{ "pppoe_ipv6", DLT_EN10MB, 0, F(f_pppoe6), 70,
	    { OK6(O6, 1, 2, 17, 48) } },
	{ "pppoe_lcp", DLT_EN10MB, 0, F(f_pppoe_lcp), 22,
	    { .res = DEC_NOT_IP } },
	{ "pppoe_discovery", DLT_EN10MB, 0, F(f_pppoed), 14,
	    { .res = DEC_NOT_IP } },
	{ "arp", DLT_EN10MB, 0, F(f_arp), 14, { .res = DEC_NOT_IP } },
	{ "llc", DLT_EN10MB, 0, F(f_llc), 14, { .res = DEC_NOT_IP } },

	/* other link types */
	{ "linux_sll", DLT_LINUX_SLL, 0, F(f_sll), 44,
	    { OK4(O4, 1, 2, 17, 28) } },
	{ "linux_sll2", DLT_LINUX_SLL2, 0, F(f_sll2), 80,
	    { OK6(O6, 1, 2, 6, 60), .tcp_flags = 0x02 } },
	{ "raw_dlt", DLT_RAW, 0, F(f_raw4), 40,
	    { OK4(O4, 1234, 80, 6, 40), .tcp_flags = 0x12 } },
	{ "raw_12", 12, 0, F(f_raw6), 48, { OK6(O6, 1, 2, 17, 48) } },
	{ "raw_14", 14, 0, F(f_raw_icmp), 22,
	    { OK4(O4, 0, 0, 1, 28), .icmp_type = 3, .icmp_code = 1 } },
	{ "raw_101", 101, 0, F(f_raw6), 48, { OK6(O6, 1, 2, 17, 48) } },
	{ "raw_version5", DLT_RAW, 0, F(f_raw_v5), 1,
	    { .res = DEC_MALFORMED } },
	{ "ipv4", DLT_IPV4, 0, F(f_raw4), 40,
	    { OK4(O4, 1234, 80, 6, 40), .tcp_flags = 0x12 } },
	{ "ipv6", DLT_IPV6, 0, F(f_raw6), 48, { OK6(O6, 1, 2, 17, 48) } },
	{ "ipv4_given_v6", DLT_IPV4, 0, F(f_raw6), 1,
	    { .res = DEC_MALFORMED } },
	{ "null_le", DLT_NULL, 0, F(f_null_le), 32, { OK4(O4, 1, 2, 17, 28) } },
	{ "null_be", DLT_NULL, 0, F(f_null_be), 32, { OK4(O4, 1, 2, 17, 28) } },
	{ "null_inet6_24", DLT_NULL, 0, F(f_null_v6_24), 52,
	    { OK6(O6, 1, 2, 17, 48) } },
	{ "null_inet6_28", DLT_NULL, 0, F(f_null_v6_28), 52,
	    { OK6(O6, 1, 2, 17, 48) } },
	{ "null_inet6_30", DLT_NULL, 0, F(f_null_v6_30), 52,
	    { OK6(O6, 1, 2, 17, 48) } },
	{ "null_other_family", DLT_NULL, 0, F(f_null_other), 4,
	    { .res = DEC_NOT_IP } },
	{ "loop", 108, 0, F(f_null_be), 32, { OK4(O4, 1, 2, 17, 28) } },
	{ "ppp_addr_ctrl", DLT_PPP, 0, F(f_ppp_full), 32,
	    { OK4(O4, 1, 2, 17, 28) } },
	{ "ppp_compressed_proto", DLT_PPP, 0, F(f_ppp_pfc), 29,
	    { OK4(O4, 1, 2, 17, 28) } },
	{ "ppp_ipv6", DLT_PPP, 0, F(f_ppp_v6), 50, { OK6(O6, 1, 2, 17, 48) } },
	{ "ppp_mpls", DLT_PPP, 0, F(f_ppp_mpls), 36,
	    { OK4(O4, 40000, 33434, 17, 28) } },
	{ "ppp_lcp", DLT_PPP, 0, F(f_ppp_lcp), 4, { .res = DEC_NOT_IP } },
	{ "ppp_serial", DLT_PPP_SERIAL, 0, F(f_ppp_full), 32,
	    { OK4(O4, 1, 2, 17, 28) } },
	{ "ppp_serial_cisco", DLT_PPP_SERIAL, 0, F(f_ppp_cisco), 32,
	    { OK4(O4, 1, 2, 17, 28) } },
	{ "c_hdlc_ipv4", DLT_C_HDLC, 0, F(f_chdlc4), 44,
	    { OK4(O4, 179, 40000, 6, 40), .tcp_flags = 0x18 } },
	{ "c_hdlc_ipv6", DLT_C_HDLC, 0, F(f_chdlc6), 52,
	    { OK6(O6, 1, 2, 17, 48) } },
	{ "c_hdlc_slarp", DLT_C_HDLC, 0, F(f_chdlc_slarp), 4,
	    { .res = DEC_NOT_IP } },
	{ "nflog_ipv4", DLT_NFLOG, 0, F(f_nflog4), 44,
	    { OK4(O4, 53, 1000, 17, 28) } },
	{ "nflog_ipv6", DLT_NFLOG, 0, F(f_nflog6), 64,
	    { OK6(O6, 1, 2, 17, 48) } },
	{ "nflog_no_payload", DLT_NFLOG, 0, F(f_nflog_nopayload), 0,
	    { .res = DEC_TRUNCATED } },
	{ "ppi_ethernet", DLT_PPI, 0, F(f_ppi), 62,
	    { OK4(O4, 1234, 80, 6, 40), .tcp_flags = 0x12 } },
	{ "ppi_in_ppi", DLT_PPI, 0, F(f_ppi_ppi), 8,
	    { .res = DEC_UNSUPPORTED_LINK } },
	{ "unsupported_link", 147, 0, F(f_raw4), 0,
	    { .res = DEC_UNSUPPORTED_LINK } },

	/* tunnels */
	{ "gre_ipv4", DLT_EN10MB, 0, F(f_gre4), 34,
	    { OK4(I4, 1000, 53, 17, 28), .tunnel = DEC_TUN_GRE } },
	{ "gre_csum_key_seq_ipv6", DLT_EN10MB, 0, F(f_gre_cks), 34,
	    { OK6(I6, 3333, 80, 6, 60), .tcp_flags = 0x02,
	    .tunnel = DEC_TUN_GRE, .tunnel_id = 1111 } },
	{ "gre_ethernet_keeps_outer_vlan", DLT_EN10MB, 0, F(f_gre_teb), 38,
	    { OK4(I4, 0, 0, 1, 28), .icmp_type = 8, .vlan = 5,
	    .tunnel = DEC_TUN_GRE, .tunnel_id = 7 } },
	{ "gre_ethernet_inner_vlan_ignored", DLT_EN10MB, 0,
	    F(f_gre_teb_untagged), 34,
	    { OK4(I4, 0, 0, 1, 28), .vlan = 0, .tunnel = DEC_TUN_GRE } },
	{ "gre_mpls", DLT_EN10MB, 0, F(f_gre_mpls), 34,
	    { OK4(I4, 5555, 443, 6, 40), .tcp_flags = 0x10,
	    .tunnel = DEC_TUN_GRE } },
	{ "gre_v1_pptp_plain", DLT_EN10MB, 0, F(f_gre_pptp), 34,
	    { OK4(O4, 0, 0, 47, 36) } },
	{ "gre_other_proto_plain", DLT_EN10MB, 0, F(f_gre_other), 34,
	    { OK4(O4, 0, 0, 47, 32) } },
	{ "gre_bad_inner_keeps_outer", DLT_EN10MB, 0, F(f_gre_badinner), 34,
	    { OK4(O4, 0, 0, 47, 44) } },
	{ "gre_in_first_fragment_plain", DLT_EN10MB, 0, F(f_gre_frag), 34,
	    { OK4(O4, 0, 0, 47, 52), .frag = DEC_FRAG_FIRST,
	    .frag_id = 0x55, .frag_id_set = 1 } },
	{ "gre_no_tunnels", DLT_EN10MB, 1, F(f_gre4), 34,
	    { OK4(O4, 0, 0, 47, 52) } },
	{ "ipip_4in4", DLT_EN10MB, 0, F(f_ipip44), 34,
	    { OK4(I4, 1, 2, 17, 28), .tunnel = DEC_TUN_IPIP } },
	{ "ipip_6in4", DLT_EN10MB, 0, F(f_ipip64), 34,
	    { OK6(I6, 1, 2, 17, 48), .tunnel = DEC_TUN_IPIP } },
	{ "ipip_4in6", DLT_EN10MB, 0, F(f_ipip46), 54,
	    { OK4(I4, 1, 2, 17, 28), .tunnel = DEC_TUN_IPIP } },
	{ "ipip_6in6", DLT_EN10MB, 0, F(f_ipip66), 54,
	    { OK6(I6, 1, 2, 17, 48), .tunnel = DEC_TUN_IPIP } },
	{ "ipip_no_tunnels", DLT_EN10MB, 1, F(f_ipip44), 34,
	    { OK4(O4, 0, 0, 4, 48) } },
	{ "gtpu_ipv4", DLT_EN10MB, 0, F(f_gtpu4), 42,
	    { OK4(I4, 1234, 5678, 17, 28), .tunnel = DEC_TUN_GTPU,
	    .tunnel_id = 0x01020304 } },
	{ "gtpu_ext_ipv6_sport", DLT_EN10MB, 0, F(f_gtpu_ext), 42,
	    { OK6(I6, 1, 2, 6, 60), .tcp_flags = 0x02,
	    .tunnel = DEC_TUN_GTPU, .tunnel_id = 0xabcdef01 } },
	{ "gtpu_echo_plain", DLT_EN10MB, 0, F(f_gtpu_echo), 42,
	    { OK4(O4, 2152, 2152, 17, 40) } },
	{ "gtpu_not_ip_plain", DLT_EN10MB, 0, F(f_gtpu_notip), 42,
	    { OK4(O4, 2152, 2152, 17, 40) } },
	{ "gtpu_no_tunnels", DLT_EN10MB, 1, F(f_gtpu4), 42,
	    { OK4(O4, 50000, 2152, 17, 64) } },
	{ "vxlan", DLT_EN10MB, 0, F(f_vxlan), 42,
	    { OK4(I4, 80, 60000, 6, 40), .tcp_flags = 0x11,
	    .tunnel = DEC_TUN_VXLAN, .tunnel_id = 100 } },
	{ "vxlan_no_i_flag_plain", DLT_EN10MB, 0, F(f_vxlan_noi), 42,
	    { OK4(O4, 50000, 4789, 17, 50) } },
	{ "vxlan_inner_arp_keeps_outer", DLT_EN10MB, 0, F(f_vxlan_arp), 42,
	    { OK4(O4, 50000, 4789, 17, 58) } },
	{ "vxlan_no_tunnels", DLT_EN10MB, 1, F(f_vxlan), 42,
	    { OK4(O4, 50000, 4789, 17, 90) } },
	{ "vxlan_gre_nested", DLT_EN10MB, 0, F(f_nested), 42,
	    { OK4(I4, 7, 9, 17, 28), .tunnel = DEC_TUN_GRE,
	    .tunnel_id = 100 } },
	{ "gtpu_gre_nested_inner_id_wins", DLT_EN10MB, 0, F(f_nested_ids), 42,
	    { OK6(I6, 0, 0, 59, 40), .tunnel = DEC_TUN_GRE,
	    .tunnel_id = 7 } },
	{ "ipip_depth_limit", DLT_EN10MB, 0, F(f_deep), 34,
	    { OK4(L4_4, 0, 0, 4, 48),
	    .tunnel = DEC_TUN_IPIP } },
	{ "ipip_depth_no_tunnels", DLT_EN10MB, 1, F(f_deep), 34,
	    { OK4(O4, 0, 0, 4, 128) } },
};

static struct dec_conf conf_on = { .tunnels = 1 };
static struct dec_conf conf_off = { .tunnels = 0 };

#define CHECK(tc, what, got, want) do {					\
	if ((unsigned long)(got) != (unsigned long)(want))		\
		fail_msg("%s: %s is %lu (0x%lx), want %lu (0x%lx)",	\
		    (tc)->name, (what), (unsigned long)(got),		\
		    (unsigned long)(got), (unsigned long)(want),	\
		    (unsigned long)(want));				\
} while (0)

/* What must hold for any DEC_OK packet of a <caplen>-byte frame. */
static void
check_invariants(const struct tcase *tc, const uint8_t *frame, size_t caplen,
    const struct dec_pkt *pkt)
{
	if (pkt->ip_version != 4 && pkt->ip_version != 6)
		fail_msg("%s/%zu: ip_version %u", tc->name, caplen,
		    pkt->ip_version);
	if (pkt->l3 < frame || pkt->l3 + pkt->l3_caplen > frame + caplen)
		fail_msg("%s/%zu: l3 outside the frame", tc->name, caplen);
	if (pkt->l3_caplen > pkt->ip_len)
		fail_msg("%s/%zu: l3_caplen > ip_len", tc->name, caplen);
	if (pkt->l4 != NULL && (pkt->l4 < pkt->l3 ||
	    pkt->l4 + pkt->l4_caplen > pkt->l3 + pkt->l3_caplen))
		fail_msg("%s/%zu: l4 outside l3", tc->name, caplen);
	if (pkt->frag == DEC_FRAG_LATER && (pkt->l4 != NULL ||
	    pkt->sport != 0 || pkt->dport != 0 || pkt->tcp_flags != 0))
		fail_msg("%s/%zu: later fragment with L4", tc->name, caplen);
}

static void
check_case(const struct tcase *tc, const uint8_t *frame, size_t caplen,
    enum dec_result r, const struct dec_pkt *pkt)
{
	const struct want *w = &tc->w;
	uint8_t src[16] = { 0 }, dst[16] = { 0 };
	int af;

	if (r != w->res)
		fail_msg("%s: result %s, want %s", tc->name,
		    dec_result_name(r), dec_result_name(w->res));
	if (r != DEC_OK)
		return;
	check_invariants(tc, frame, caplen, pkt);
	af = w->ipv == 4 ? AF_INET : AF_INET6;
	assert_int_equal(inet_pton(af, w->src, src), 1);
	assert_int_equal(inet_pton(af, w->dst, dst), 1);
	CHECK(tc, "ip_version", pkt->ip_version, w->ipv);
	if (memcmp(pkt->src, src, 16) != 0 || memcmp(pkt->dst, dst, 16) != 0)
		fail_msg("%s: addresses differ from %s > %s", tc->name,
		    w->src, w->dst);
	CHECK(tc, "sport", pkt->sport, w->sport);
	CHECK(tc, "dport", pkt->dport, w->dport);
	CHECK(tc, "proto", pkt->proto, w->proto);
	CHECK(tc, "ip_len", pkt->ip_len, w->ip_len);
	CHECK(tc, "frag", pkt->frag, w->frag);
	if (w->frag_id_set)
		CHECK(tc, "frag_id", pkt->frag_id, w->frag_id);
	CHECK(tc, "tunnel", pkt->tunnel, w->tunnel);
	CHECK(tc, "tunnel_id", pkt->tunnel_id, w->tunnel_id);
	CHECK(tc, "vlan_id", pkt->vlan_id, w->vlan);
	CHECK(tc, "tcp_flags", pkt->tcp_flags, w->tcp_flags);
	CHECK(tc, "icmp_type", pkt->icmp_type, w->icmp_type);
	CHECK(tc, "icmp_code", pkt->icmp_code, w->icmp_code);
	if (w->no_l4 && pkt->l4 != NULL)
		fail_msg("%s: l4 set", tc->name);
	if (!w->no_l4 && pkt->l4 == NULL)
		fail_msg("%s: l4 missing", tc->name);
}

/* A packet whose L4 header the capture cut after the ports (tc cut at
 * <caplen>): ports and length of the whole case, no flags; inside a
 * tunnel, the ports may be the outer ones; a case that is malformed may be
 * so in the bytes that were cut. */
static void
check_l4_cut(const struct tcase *tc, size_t caplen, const struct dec_pkt *pkt)
{
	if (pkt->proto != 6 && pkt->proto != 17)
		fail_msg("%s/%zu: l4_cut with protocol %u", tc->name, caplen,
		    pkt->proto);
	if (pkt->tcp_flags != 0)
		fail_msg("%s/%zu: l4_cut with TCP flags", tc->name, caplen);
	if (pkt->l4 == NULL || pkt->l4_caplen < 4 ||
	    pkt->l4_caplen >= (pkt->proto == 6 ? 20U : 8U))
		fail_msg("%s/%zu: l4_cut with %u L4 bytes", tc->name, caplen,
		    pkt->l4_caplen);
	/* A fault of the whole packet may lie in the part cut off. */
	if (tc->w.res == DEC_OK && tc->w.tunnel == 0 &&
	    (pkt->sport != tc->w.sport ||
	    pkt->dport != tc->w.dport || pkt->ip_len != tc->w.ip_len))
		fail_msg("%s/%zu: l4_cut ports %u > %u, length %u", tc->name,
		    caplen, pkt->sport, pkt->dport, pkt->ip_len);
}

static void
test_cases(void **unused)
{
	struct dec_pkt pkt;
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *tc = &cases[i];
		enum dec_result r;

		memset(&pkt, 0xa5, sizeof(pkt));
		r = dec_frame(tc->no_tunnels ? &conf_off : &conf_on,
		    tc->linktype, tc->frame, tc->len,
		    tc->wire ? tc->wire : tc->len, &pkt);
		check_case(tc, tc->frame, tc->len, r, &pkt);
	}
}

/*
 * Every case at every shorter length, from a heap copy of exactly that
 * length (ASan reports any read past it), as a snap length cuts it: the
 * wire length stays the frame's. Below min_len a TCP or UDP header cut
 * after its ports may still decode (l4_cut): the case's ports, no flags.
 */
static void
test_truncation(void **unused)
{
	struct dec_pkt pkt;
	size_t i, len;

	(void)unused;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *tc = &cases[i];

		for (len = 0; len <= tc->len; len++) {
			uint8_t *buf = malloc(len > 0 ? len : 1);
			enum dec_result r;

			assert_non_null(buf);
			memcpy(buf, tc->frame, len);
			r = dec_frame(tc->no_tunnels ? &conf_off : &conf_on,
			    tc->linktype, len > 0 ? buf : NULL, len,
			    tc->wire ? tc->wire : tc->len, &pkt);
			if (r == DEC_OK)
				check_invariants(tc, buf, len, &pkt);
			if (tc->min_len != 0 && len < tc->min_len &&
			    r == DEC_OK && pkt.l4_cut)
				check_l4_cut(tc, len, &pkt);
			else if (tc->min_len != 0 && len < tc->min_len &&
			    r != DEC_TRUNCATED)
				fail_msg("%s cut at %zu: %s, want truncated",
				    tc->name, len, dec_result_name(r));
			if (tc->min_len != 0 && len >= tc->min_len &&
			    r != tc->w.res)
				fail_msg("%s cut at %zu: %s, want %s",
				    tc->name, len, dec_result_name(r),
				    dec_result_name(tc->w.res));
			free(buf);
		}
	}
}

/* A tunnel whose inner packet is cut stays the outer packet. */
static void
test_cut_inner_keeps_outer(void **unused)
{
	static const struct tcase outer_gtp = {
		"gtpu_cut_inner", DLT_EN10MB, 0, F(f_gtpu4), 0,
		{ OK4(O4, 50000, 2152, 17, 64) },
	};
	static const struct tcase outer_vxlan = {
		"vxlan_cut_inner", DLT_EN10MB, 0, F(f_vxlan), 0,
		{ OK4(O4, 50000, 4789, 17, 90) },
	};
	struct dec_pkt pkt;
	enum dec_result r;
	/* inner UDP header cut inside its ports */
	size_t gtp_cut = 14 + 20 + 8 + 8 + 20 + 3;
	/* inner TCP cut before its ports */
	size_t vx_cut = 14 + 20 + 8 + 8 + 14 + 20 + 2;

	(void)unused;
	/* As a snap length cuts: the wire length is the whole frame's. */
	r = dec_frame(&conf_on, DLT_EN10MB, f_gtpu4, gtp_cut,
	    sizeof(f_gtpu4), &pkt);
	check_case(&outer_gtp, f_gtpu4, gtp_cut, r, &pkt);
	r = dec_frame(&conf_on, DLT_EN10MB, f_vxlan, vx_cut, sizeof(f_vxlan),
	    &pkt);
	check_case(&outer_vxlan, f_vxlan, vx_cut, r, &pkt);
	/* Cut after the inner ports: the inner flow, without flags. */
	r = dec_frame(&conf_on, DLT_EN10MB, f_vxlan, vx_cut + 8,
	    sizeof(f_vxlan), &pkt);
	assert_int_equal(r, DEC_OK);
	assert_int_equal(pkt.tunnel, DEC_TUN_VXLAN);
	assert_int_equal(pkt.proto, 6);
	assert_int_equal(pkt.l4_cut, 1);
	assert_int_equal(pkt.tcp_flags, 0);
}

/* A NULL conf follows tunnels; ts_us is the caller's, ifindex is 0. */
static void
test_defaults(void **unused)
{
	struct dec_pkt pkt;

	(void)unused;
	memset(&pkt, 0xa5, sizeof(pkt));
	pkt.ts_us = 1234567;
	assert_int_equal(dec_frame(NULL, DLT_EN10MB, f_gre4, sizeof(f_gre4),
	    0, &pkt), DEC_OK);
	assert_int_equal(pkt.tunnel, DEC_TUN_GRE);
	assert_int_equal(pkt.ts_us, 1234567);
	/* The caller's, set after: never what was in its memory before. */
	assert_int_equal(pkt.ifindex, 0);
	assert_int_equal(dec_frame(NULL, DLT_EN10MB, NULL, 0, 0, &pkt),
	    DEC_TRUNCATED);
}

/* ---- lengths against the wire, snap lengths ---- */

static const uint8_t f_len_lie4[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(65535, 9, 0, 17, A4S, A4D),		/* len 65535 (a lie) UDP */
	UDP(1000, 2000, 65515),			/* 1000 > 2000 */
	1,2,3,4,5,6,7,8,9,10,			/* 62 bytes in all */
	11,12,13,14,15,16,17,18,19,20,
};
static const uint8_t f_len_lie6[] = {
	ETH(0x86dd),				/* eth IPv6 */
	IP6(65535, 17, A6S, A6D),		/* plen 65535 (a lie) UDP */
	UDP(1000, 2000, 65535),			/* 1000 > 2000 */
	1,2,3,4,5,6,7,8,			/* 70 bytes in all */
};
static const uint8_t f_tso4[] = {
	ETH(0x0800),				/* eth IPv4 */
	IP4(0, 9, 0, 6, A4S, A4D),		/* len 0: offload, TCP */
	TCP(1234, 80, 0x10),			/* 1234 > 80 ACK */
};

/*
 * An IP length beyond the frame's wire length is malformed: a 62-byte
 * frame claiming 65,535 bytes is not counted as 65,535. The same header
 * is fine when the frame was that long on the wire and a snap length cut
 * it; a wire length below caplen (0: unknown) counts as caplen. An offload
 * length (0) is the wire length.
 */
static void
test_len_beyond_wire(void **unused)
{
	struct dec_pkt pkt;

	(void)unused;
	assert_int_equal(sizeof(f_len_lie4), 62);
	assert_int_equal(dec_frame(NULL, DLT_EN10MB, f_len_lie4,
	    sizeof(f_len_lie4), sizeof(f_len_lie4), &pkt), DEC_MALFORMED);
	assert_int_equal(dec_frame(NULL, DLT_EN10MB, f_len_lie4,
	    sizeof(f_len_lie4), 0, &pkt), DEC_MALFORMED);
	/* 14 + 65534 on the wire: still one byte short */
	assert_int_equal(dec_frame(NULL, DLT_EN10MB, f_len_lie4,
	    sizeof(f_len_lie4), 14 + 65534, &pkt), DEC_MALFORMED);
	assert_int_equal(dec_frame(NULL, DLT_EN10MB, f_len_lie4,
	    sizeof(f_len_lie4), 14 + 65535, &pkt), DEC_OK);
	assert_int_equal(pkt.ip_len, 65535);
	assert_int_equal(pkt.l3_caplen, 62 - 14);
	assert_int_equal(pkt.sport, 1000);

	assert_int_equal(dec_frame(NULL, DLT_EN10MB, f_len_lie6,
	    sizeof(f_len_lie6), sizeof(f_len_lie6), &pkt), DEC_MALFORMED);
	assert_int_equal(dec_frame(NULL, DLT_EN10MB, f_len_lie6,
	    sizeof(f_len_lie6), 14 + 40 + 65535, &pkt), DEC_OK);
	assert_int_equal(pkt.ip_len, 40 + 65535);

	assert_int_equal(dec_frame(NULL, DLT_EN10MB, f_tso4, sizeof(f_tso4),
	    14 + 9000, &pkt), DEC_OK);
	assert_int_equal(pkt.ip_len, 9000);
	assert_int_equal(pkt.l3_caplen, 40);
	assert_int_equal(pkt.tcp_flags, 0x10);
}

/*
 * Snap length 64: an IPv6 TCP segment over Ethernet needs 74 bytes for
 * its whole header. Cut at 64 it still makes a flow: addresses, ports,
 * the IP length, no flags. Cut inside the ports it is truncated.
 */
static void
test_snaplen_64(void **unused)
{
	uint8_t frame[sizeof(f_eth_ipv6_tcp) + 100];
	struct dec_pkt pkt;
	uint8_t *cut;

	(void)unused;
	/* the SYN with 100 bytes of payload (plen 120), as on the wire */
	memset(frame, 0xee, sizeof(frame));
	memcpy(frame, f_eth_ipv6_tcp, sizeof(f_eth_ipv6_tcp));
	frame[14 + 4] = 0;
	frame[14 + 5] = 120;
	cut = malloc(64);
	assert_non_null(cut);
	memcpy(cut, frame, 64);
	assert_int_equal(dec_frame(NULL, DLT_EN10MB, cut, 64, sizeof(frame),
	    &pkt), DEC_OK);
	assert_int_equal(pkt.ip_version, 6);
	assert_int_equal(pkt.proto, 6);
	assert_int_equal(pkt.sport, 1234);
	assert_int_equal(pkt.dport, 443);
	assert_int_equal(pkt.ip_len, 160);
	assert_int_equal(pkt.tcp_flags, 0);
	assert_int_equal(pkt.l4_cut, 1);
	assert_int_equal(pkt.l4_caplen, 10);
	/* the whole header: flags, not cut */
	assert_int_equal(dec_frame(NULL, DLT_EN10MB, frame, sizeof(frame),
	    sizeof(frame), &pkt), DEC_OK);
	assert_int_equal(pkt.tcp_flags, 0x02);
	assert_int_equal(pkt.l4_cut, 0);
	/* cut inside the ports */
	assert_int_equal(dec_frame(NULL, DLT_EN10MB, cut, 14 + 40 + 3,
	    sizeof(frame), &pkt), DEC_TRUNCATED);
	free(cut);
}

static void
test_names(void **unused)
{
	(void)unused;
	assert_string_equal(dec_result_name(DEC_OK), "ok");
	assert_string_equal(dec_result_name(DEC_NOT_IP), "not_ip");
	assert_string_equal(dec_result_name(DEC_UNSUPPORTED_LINK),
	    "unsupported_link");
	assert_string_equal(dec_result_name(DEC_TRUNCATED), "truncated");
	assert_string_equal(dec_result_name(DEC_MALFORMED), "malformed");
	assert_non_null(dec_result_name(DEC_RESULT_MAX));
}

static void
test_linktypes(void **unused)
{
	static const int yes[] = {
		DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, 12, 14,
		101, DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP, 108, DLT_PPP,
		DLT_PPP_SERIAL, DLT_C_HDLC, DLT_NFLOG, DLT_PPI,
	};
	static const int no[] = { 105, 127, 147, -1, 100000 };
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!dec_linktype_supported(yes[i]))
			fail_msg("link type %d not supported", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (dec_linktype_supported(no[i]))
			fail_msg("link type %d supported", no[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_cut_inner_keeps_outer),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_len_beyond_wire),
		cmocka_unit_test(test_snaplen_64),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_linktypes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
