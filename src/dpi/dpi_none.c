/*
 * dpi_none.c - the dpi module when built without nDPI.
 *
 * Pipeline position: flow table -> [dpi] -> plugins -> export.
 * Same interface as dpi_ndpi.c; nothing is classified: every flow is
 * "Unknown" in category "Unspecified", no flow needs ext bytes, and
 * dpi_packet() does nothing.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dpi/dpi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dpi {
	int	unused;
};

struct dpi *
dpi_new(const struct dpi_conf *conf, struct perr *err)
{
	struct dpi *d;

	(void)conf;
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		perr_set(err, -ENOMEM, "dpi: out of memory");
		return NULL;
	}
	return d;
}

struct dpi *
dpi_new_sharing(const struct dpi *base, struct perr *err)
{
	(void)base;
	return dpi_new(NULL, err);
}

void
dpi_free(struct dpi *d)
{
	free(d);
}

size_t
dpi_ext_size(const struct dpi *d)
{
	(void)d;
	return 0;
}

void
dpi_set_ext_offset(struct dpi *d, size_t off)
{
	(void)d;
	(void)off;
}

void
dpi_packet(struct dpi *d, struct flow *f, enum flow_dir dir,
    const struct dec_pkt *pkt)
{
	(void)d;
	(void)f;
	(void)dir;
	(void)pkt;
}

void
dpi_flow_end(struct dpi *d, struct flow *f)
{
	(void)d;
	(void)f;
}

void
dpi_flow_release(struct dpi *d, struct flow *f)
{
	(void)d;
	(void)f;
}

void
dpi_flow_info(const struct dpi *d, const struct flow *f,
    struct dpi_info *out)
{
	(void)d;
	(void)f;
	memset(out, 0, sizeof(*out));
	snprintf(out->app_name, sizeof(out->app_name), "Unknown");
	snprintf(out->category_name, sizeof(out->category_name),
	    "Unspecified");
	snprintf(out->app_id_str, sizeof(out->app_id_str), "0");
	out->confidence_name = "";
	out->server_name = out->client_fingerprint = "";
	out->server_fingerprint = out->user_agent = "";
}

void
dpi_stats(const struct dpi *d, struct dpi_stats *s)
{
	(void)d;
	memset(s, 0, sizeof(*s));
}

const char *
dpi_backend_version(void)
{
	return "none";
}
