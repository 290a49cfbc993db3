/*
 * first_pkts.c - bundled classifier: sizes and directions of the first N
 * packets of a flow (default 3, at most 10), and a label from a small rule
 * file; once the N packets are seen it labels the flow and forces its
 * export (JSON export_reason 3).
 *
 *	--plugin 'first_pkts:n=3,rules=/etc/l7probe/first.rules'
 *
 * Rule file: one rule per line, "LABEL SPEC...", '#' comments. The Nth
 * SPEC describes the Nth packet: a size (IP total length) "N", a range
 * "LO-HI" (either side may be empty), or "*"; prefixed with '>' the packet
 * must go from source to destination, with '<' back. A rule matches when
 * every SPEC matches the packet at its place; the first matching rule
 * gives the label, else "unknown". A flow that ends with fewer packets is
 * labelled at its end with what it has (a rule with more SPECs than
 * packets seen does not match).
 *
 * Fields (strings): first_pkts_sizes "74,74,66" (id 110),
 * first_pkts_dirs "0,1,0" (0 source to destination, 1 back; id 111),
 * first_pkts_label (id 112).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l7probe/plugin.h"

#define N_MAX		10
#define LABEL_MAX	31
#define RULES_MAX	256

struct spec {
	int		dir;		/* -1 any, 0 or 1 */
	uint32_t	lo, hi;
};

struct rule {
	char		label[LABEL_MAX + 1];
	struct spec	s[N_MAX];
	int		n;
};

struct ctx {
	int		n;
	struct rule	*rules;
	int		n_rules;
};

struct state {
	uint16_t	size[N_MAX];
	uint8_t		dir[N_MAX];
	uint8_t		seen;
	uint8_t		decided;
	char		sizes[64 + 1];		/* field first_pkts_sizes */
	char		dirs[32 + 1];		/* field first_pkts_dirs */
	char		label[LABEL_MAX + 1];	/* field first_pkts_label */
};

static int
parse_spec(const char *w, struct spec *s)
{
	char *end;
	const char *dash;

	s->dir = -1;
	s->lo = 0;
	s->hi = UINT32_MAX;
	if (*w == '>' || *w == '<') {
		s->dir = *w == '>' ? 0 : 1;
		w++;
	}
	if (strcmp(w, "*") == 0)
		return 0;
	if ((dash = strchr(w, '-')) == NULL) {
		errno = 0;
		s->lo = s->hi = (uint32_t)strtoul(w, &end, 10);
		return *end != '\0' || end == w || errno != 0 ? -1 : 0;
	}
	if (dash != w) {
		s->lo = (uint32_t)strtoul(w, &end, 10);
		if (end != dash)
			return -1;
	}
	if (dash[1] != '\0') {
		s->hi = (uint32_t)strtoul(dash + 1, &end, 10);
		if (*end != '\0')
			return -1;
	}
	return s->lo <= s->hi ? 0 : -1;
}

static int
load_rules(struct ctx *c, const char *path, char *err, size_t err_size)
{
	char line[512], *w, *save;
	unsigned lineno = 0;
	struct rule *r;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, err_size, "rules '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	if ((c->rules = calloc(RULES_MAX, sizeof(*c->rules))) == NULL) {
		fclose(fp);
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if ((w = strchr(line, '#')) != NULL)
			*w = '\0';
		if ((w = strtok_r(line, " \t\r\n", &save)) == NULL)
			continue;
		if (c->n_rules == RULES_MAX || strlen(w) > LABEL_MAX) {
			snprintf(err, err_size, "rules '%s' line %u: %s", path,
			    lineno, c->n_rules == RULES_MAX ? "too many rules" :
			    "label longer than 31");
			goto fail;
		}
		r = &c->rules[c->n_rules];
		snprintf(r->label, sizeof(r->label), "%s", w);
		while ((w = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			if (r->n == c->n || parse_spec(w, &r->s[r->n]) != 0) {
				snprintf(err, err_size, "rules '%s' line %u: "
				    "%s '%s'", path, lineno, r->n == c->n ?
				    "more sizes than packets (n) at" :
				    "bad size", w);
				goto fail;
			}
			r->n++;
		}
		c->n_rules++;
	}
	fclose(fp);
	return 0;
fail:
	fclose(fp);
	return -1;
}

static void
on_exit_(void *ctx)
{
	struct ctx *c = ctx;

	if (c != NULL)
		free(c->rules);
	free(c);
}

static int
init(const char *args, void **ctx, char *err, size_t err_size)
{
	char buf[1024], *kv, *save, *end;
	const char *rules = NULL;
	unsigned long n;
	struct ctx *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	c->n = 3;
	snprintf(buf, sizeof(buf), "%s", args);
	for (kv = strtok_r(buf, ",", &save); kv != NULL;
	    kv = strtok_r(NULL, ",", &save)) {
		if (strncmp(kv, "n=", 2) == 0) {
			errno = 0;
			n = strtoul(kv + 2, &end, 10);
			if (*end != '\0' || end == kv + 2 || n < 1 ||
			    n > N_MAX) {
				snprintf(err, err_size, "'%s': n is 1 to %d",
				    kv, N_MAX);
				goto fail;
			}
			c->n = (int)n;
		} else if (strncmp(kv, "rules=", 6) == 0)
			rules = kv + 6;
		else {
			snprintf(err, err_size, "unknown argument '%s' (n=N, "
			    "rules=FILE)", kv);
			goto fail;
		}
	}
	if (rules != NULL && load_rules(c, rules, err, err_size) != 0)
		goto fail;
	*ctx = c;
	return 0;
fail:
	on_exit_(c);
	return -1;
}

static int
matches(const struct rule *r, const struct state *s)
{
	int i;

	if (r->n > s->seen)
		return 0;
	for (i = 0; i < r->n; i++)
		if ((r->s[i].dir >= 0 && r->s[i].dir != s->dir[i]) ||
		    s->size[i] < r->s[i].lo || s->size[i] > r->s[i].hi)
			return 0;
	return 1;
}

static void
decide(const struct ctx *c, struct state *s)
{
	int i;

	snprintf(s->label, sizeof(s->label), "unknown");
	for (i = 0; i < c->n_rules; i++)
		if (matches(&c->rules[i], s)) {
			snprintf(s->label, sizeof(s->label), "%s",
			    c->rules[i].label);
			break;
		}
	s->decided = 1;
}

static int
update(void *ctx, void *state, const struct l7_pkt *pkt,
    const struct l7_flow *flow)
{
	const struct ctx *c = ctx;
	struct state *s = state;
	size_t len;

	(void)flow;
	if (s->decided || s->seen >= c->n)
		return L7_CONTINUE;
	s->size[s->seen] = pkt->ip_len > 65535 ? 65535 : (uint16_t)pkt->ip_len;
	s->dir[s->seen] = pkt->dir == L7_SRC_TO_DST ? 0 : 1;
	len = strlen(s->sizes);
	snprintf(s->sizes + len, sizeof(s->sizes) - len, "%s%u",
	    s->seen ? "," : "", s->size[s->seen]);
	len = strlen(s->dirs);
	snprintf(s->dirs + len, sizeof(s->dirs) - len, "%s%u",
	    s->seen ? "," : "", s->dir[s->seen]);
	if (++s->seen < c->n)
		return L7_CONTINUE;
	decide(c, s);
	return L7_EXPORT_NOW;
}

static void
terminate(void *ctx, void *state, const struct l7_flow *flow)
{
	struct state *s = state;

	(void)flow;
	if (!s->decided)
		decide(ctx, s);
}

static const struct l7_field fields[] = {
	{ "first_pkts_sizes", L7_STRING, 110, 64,
	  offsetof(struct state, sizes),
	  "IP total lengths of the first packets, comma-separated" },
	{ "first_pkts_dirs", L7_STRING, 111, 32,
	  offsetof(struct state, dirs),
	  "directions of the first packets (0 source to destination, 1 "
	  "back), comma-separated" },
	{ "first_pkts_label", L7_STRING, 112, LABEL_MAX,
	  offsetof(struct state, label),
	  "label of the first rule matching the first packets, unknown if "
	  "none" },
};

const struct l7_plugin plug_first_pkts = {
	.api_version = L7_PLUGIN_API_VERSION,
	.name = "first_pkts",
	.fields = fields,
	.n_fields = 3,
	.state_size = sizeof(struct state),
	.init = init,
	.on_exit = on_exit_,
	.on_flow_update = update,
	.on_flow_terminate = terminate,
};
