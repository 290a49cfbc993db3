/*
 * exp_ipfix_none.c - the IPFIX collector kinds in a build without
 * libfixbuf: each refuses to open with a sentence saying so, instead of
 * "unknown kind". See exp_ipfix.c for the real exporter.
 */
#include "export/exp_int.h"

#include <errno.h>

static int
none_open(struct exporter *ex, const char *where, const struct exp_conf *conf,
    struct perr *err)
{
	(void)where;
	(void)conf;
	return perr_set(err, -ENOTSUP, "collector '%s': IPFIX export is not "
	    "available: l7probe was built without libfixbuf (install "
	    "libfixbuf-dev and run configure again)", exp_uri(ex));
}

static int
none_write(struct exporter *ex, const struct exp_record *rec)
{
	(void)ex;
	(void)rec;
	return -ENOTSUP;
}

static int
none_flush(struct exporter *ex)
{
	(void)ex;
	return 0;
}

static void
none_close(struct exporter *ex)
{
	(void)ex;
}

#define NONE_OPS(sym, scheme_)				\
const struct exp_ops sym = {					\
	.scheme = scheme_,					\
	.priv_size = 0,						\
	.open = none_open,					\
	.write = none_write,					\
	.flush = none_flush,					\
	.close = none_close,					\
}

NONE_OPS(exp_ipfix_ops, "ipfix");
NONE_OPS(exp_ipfix_udp_ops, "ipfix+udp");
NONE_OPS(exp_ipfix_tcp_ops, "ipfix+tcp");
NONE_OPS(exp_ipfix_file_ops, "ipfix-file");
NONE_OPS(exp_ipfix_kafka_ops, "ipfix+kafka");

const char *
exp_ipfix_backend(void)
{
	return NULL;
}
