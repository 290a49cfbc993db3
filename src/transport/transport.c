/*
 * transport.c - the transport table, target parsing and the calls every
 * transport shares (see transport.h).
 *
 * Pipeline position: export -> [transport]. One transport per collector;
 * the exporter that opened it is its only user, on the capture thread.
 */
#include "transport/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "transport/tr_int.h"

/* The transports of this build, selected by name. */
static const struct tr_ops *const transports[] = {
	&tr_udp_ops,
	&tr_tcp_ops,
	&tr_file_ops,
	&tr_kafka_ops,
};

static const struct tr_ops *
ops_of(const char *kind)
{
	size_t i;

	for (i = 0; kind != NULL && i < sizeof(transports) /
	    sizeof(transports[0]); i++)
		if (strcmp(transports[i]->name, kind) == 0)
			return transports[i];
	return NULL;
}

int
tr_known(const char *kind)
{
	return ops_of(kind) != NULL;
}

uint64_t
tr_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * Splits <target> into host and port: "host", "host:port", "[v6]",
 * "[v6]:port", or a bare IPv6 address (two colons or more: no port).
 * The port is decimal, 1..65535. Returns 0 or -EINVAL with <err> set.
 */
int
tr_parse_target(const char *name, const char *target, uint16_t default_port,
    char *host, size_t host_size, uint16_t *port, struct perr *err)
{
	const char *h = target, *p = NULL, *colon;
	size_t hlen;
	unsigned long v;
	char *end;

	if (*target == '[') {
		const char *close = strchr(target, ']');

		if (close == NULL)
			return perr_set(err, -EINVAL, "collector '%s': missing "
			    "']' after IPv6 address '%s'", name, target);
		h = target + 1;
		hlen = (size_t)(close - h);
		if (close[1] == ':')
			p = close + 2;
		else if (close[1] != '\0')
			return perr_set(err, -EINVAL, "collector '%s': junk "
			    "after ']' in '%s' (use [ADDRESS]:PORT)", name,
			    target);
	} else if ((colon = strchr(target, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		hlen = (size_t)(colon - target);
		p = colon + 1;
	} else
		hlen = strlen(target);	/* no port, or a bare IPv6 address */
	if (hlen == 0)
		return perr_set(err, -EINVAL, "collector '%s': no host in '%s'",
		    name, target);
	if (hlen >= host_size)
		return perr_set(err, -EINVAL, "collector '%s': host name too "
		    "long", name);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = default_port;
	if (p != NULL) {
		errno = 0;
		v = strtoul(p, &end, 10);
		if (*p < '0' || *p > '9' || *end != '\0' || errno != 0 ||
		    v == 0 || v > 65535)
			return perr_set(err, -EINVAL, "collector '%s': bad "
			    "port '%s' (a number, 1 to 65535)", name, p);
		*port = (uint16_t)v;
	}
	if (*port == 0)
		return perr_set(err, -EINVAL, "collector '%s': no port in '%s'",
		    name, target);
	return 0;
}

int
tr_resolve(struct transport *tr, int socktype, struct addrinfo **res,
    struct perr *err)
{
	struct addrinfo hints;
	char host[TR_NAME_MAX], port_s[8];
	uint16_t port;
	int rc;

	if ((rc = tr_parse_target(tr->name, tr->target, tr->default_port,
	    host, sizeof(host), &port, err)) != 0)
		return rc;
	snprintf(port_s, sizeof(port_s), "%u", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = socktype;
	/* No AI_ADDRCONFIG: it hides ::1 on a host with only loopback. */
	hints.ai_flags = AI_NUMERICSERV;
	rc = tr->resolve(host, port_s, &hints, res);
	if (rc != 0)
		return perr_set(err, rc == EAI_MEMORY ? -ENOMEM : -EHOSTUNREACH,
		    "collector '%s': cannot resolve '%s': %s", tr->name, host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	return 0;
}

int
tr_target_numeric(const struct transport *tr)
{
	struct in6_addr a6;
	struct in_addr a4;
	char host[TR_NAME_MAX];
	uint16_t port;

	if (tr_parse_target(tr->name, tr->target, tr->default_port, host,
	    sizeof(host), &port, NULL) != 0)
		return 0;
	return inet_pton(AF_INET, host, &a4) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1;
}

void
tr_addr_str(const struct sockaddr *sa, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, size, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, size, "%s:%u", a, ntohs(s4->sin_port));
	} else
		snprintf(buf, size, "?");
}

int
tr_addr_local(const struct sockaddr *self, const struct sockaddr *peer)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	if (self->sa_family != peer->sa_family)
		return 0;
	if (peer->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)self;
		const struct sockaddr_in *d = (const void *)peer;
		const uint8_t *a = (const uint8_t *)&d->sin_addr;

		return a[0] == 127 ||
		    s->sin_addr.s_addr == d->sin_addr.s_addr;
	}
	if (peer->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)self;
		const struct sockaddr_in6 *d = (const void *)peer;
		const uint8_t *a = d->sin6_addr.s6_addr;

		return IN6_IS_ADDR_LOOPBACK(&d->sin6_addr) ||
		    (memcmp(a, mapped, 12) == 0 && a[12] == 127) ||
		    memcmp(&s->sin6_addr, &d->sin6_addr, 16) == 0;
	}
	return 0;
}

struct transport *
tr_open(const struct transport_conf *conf, const struct tr_hooks *hooks,
    struct perr *err)
{
	const struct tr_ops *ops = ops_of(conf->kind);
	const char *name = conf->name != NULL ? conf->name : conf->target;
	int is_file = conf->kind != NULL && strcmp(conf->kind, "file") == 0;
	struct transport *tr;

	if (name == NULL)
		name = "?";
	if (ops == NULL) {
		perr_set(err, -EINVAL, "collector '%s': unknown transport '%s'",
		    name, conf->kind != NULL ? conf->kind : "");
		return NULL;
	}
	if (conf->target == NULL || conf->target[0] == '\0') {
		perr_set(err, -EINVAL, "collector '%s': no %s", name,
		    is_file ? "path" : "host");
		return NULL;
	}
	if ((tr = calloc(1, sizeof(*tr) + ops->priv_size)) == NULL) {
		perr_set(err, -ENOMEM, "collector '%s': out of memory", name);
		return NULL;
	}
	tr->ops = ops;
	snprintf(tr->name, sizeof(tr->name), "%s", name);
	if ((size_t)snprintf(tr->target, sizeof(tr->target), "%s",
	    conf->target) >= sizeof(tr->target)) {
		perr_set(err, -ENAMETOOLONG, "collector '%s': target too long",
		    name);
		free(tr);
		return NULL;
	}
	tr->default_port = conf->default_port;
	tr->queue_records = conf->queue_records > 0 ? conf->queue_records : 1;
	if (hooks != NULL)
		tr->hooks = *hooks;
	tr->resolve = conf->resolve != NULL ? conf->resolve : getaddrinfo;
	if (ops->open(tr, err) != 0) {
		tr->drained = 1;	/* nothing to push out */
		tr_close(tr);
		return NULL;
	}
	return tr;
}

void
tr_close(struct transport *tr)
{
	if (tr == NULL)
		return;
	if (!tr->drained)
		tr_drain(tr, 2000);
	tr->ops->close(tr);
	free(tr);
}

int
tr_send(struct transport *tr, const struct tr_msg *msg)
{
	if (tr->fatal != 0) {
		tr->st.msgs_dropped++;
		tr->st.records_dropped += msg->n_records;
		return tr->fatal;
	}
	return tr->ops->send(tr, msg);
}

void
tr_poll(struct transport *tr, uint64_t now_us)
{
	if (tr->ops->poll != NULL)
		tr->ops->poll(tr, now_us);
}

int
tr_status(const struct transport *tr, struct perr *why)
{
	return tr->ops->status != NULL ? tr->ops->status(tr, why) : 0;
}

size_t
tr_local_max(const struct transport *tr)
{
	return tr->ops->local_max != NULL ? tr->ops->local_max(tr) : 0;
}

int
tr_connected(const struct transport *tr)
{
	return tr_status(tr, NULL) == 0;
}

int
tr_fatal(const struct transport *tr)
{
	return tr->fatal;
}

int
tr_drain(struct transport *tr, uint32_t timeout_ms)
{
	tr->drained = 1;
	return tr->ops->drain != NULL ? tr->ops->drain(tr, timeout_ms) : 0;
}

int
tr_reopen(struct transport *tr, struct perr *err)
{
	int rc;

	if (tr->ops->reopen == NULL)
		return 0;
	if ((rc = tr->ops->reopen(tr, err)) == 0)
		tr->st.reopens++;
	return rc;
}

void
tr_get_stats(const struct transport *tr, struct tr_stats *s)
{
	*s = tr->st;
	if (tr->ops->stats != NULL)
		tr->ops->stats(tr, s);
}
