/*
 * exp_int.h - the exporters known to export.c. Inside src/export/ only.
 */
#ifndef L7_EXP_INT_H
#define L7_EXP_INT_H

#include "export/export.h"
#include "transport/transport.h"

/* The time of <conf>: its now() (the probe's), else the wall clock; us
 * since the epoch. Exporters read no clock of their own. */
uint64_t exp_now_us(const struct exp_conf *conf);

/* The largest message an exporter sends over UDP transport <tr>: --mtu
 * when given (conf->mtu), else EXP_MTU_LOCAL to a collector on this host
 * (tr_local_max(), when its path takes that much), else
 * EXP_MTU_DEFAULT. */
size_t	exp_udp_msg_size(const struct exp_conf *conf,
	    const struct transport *tr);

/* An exporter's delivery op from its transport's counters. */
void	exp_delivery_of(const struct transport *tr, struct exp_delivery *d);
/* After tr_drain(): what an exporter's finish op returns from its
 * transport's counters. -ENOBUFS when records were dropped (queue full,
 * gone at exit, UDP datagrams the kernel did not send), -ECONNREFUSED
 * when the collector's host refused some (ICMP port unreachable),
 * -ETIMEDOUT when some were not acknowledged before exit (the collector
 * may still get them), else 0. What UDP loses on the way is not known. */
int	exp_lost_of(const struct transport *tr);

extern const struct exp_ops exp_json_ops;
extern const struct exp_ops exp_json_tcp_ops;	/* "json+tcp" */
/* IPFIX (exp_ipfix.c; exp_ipfix_none.c without libfixbuf): "ipfix" and
 * "ipfix+udp" over UDP, "ipfix+tcp", "ipfix-file". */
extern const struct exp_ops exp_ipfix_ops;
extern const struct exp_ops exp_ipfix_udp_ops;
extern const struct exp_ops exp_ipfix_tcp_ops;
extern const struct exp_ops exp_ipfix_file_ops;
extern const struct exp_ops exp_nfv9_ops;
/* Kafka ("kafka://", by its format= setting): JSON records and IPFIX
 * messages, one per Kafka message, keyed by the flow. */
extern const struct exp_ops exp_json_kafka_ops;
extern const struct exp_ops exp_ipfix_kafka_ops;

#endif
