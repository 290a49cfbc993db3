/*
 * cset.c - options one at a time, by their long names, for programs that
 * embed the probe (the library: l7_streamer_conf_set()), and the copies
 * such a program needs: an option's value as text, one option from one
 * configuration into another, every string owned.
 *
 * The option table of opts.c is the one definition: what the command
 * line and the configuration file accept, conf_set() accepts, with the
 * same checks and messages.
 */
#include "conf/conf.h"
#include "conf/conf_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
conf_set(struct conf *c, const char *name, const char *value,
    struct perr *err)
{
	const struct conf_opt *o;
	struct conf_state st;
	int rc;

	if (name == NULL ||
	    (o = conf_opt_by_name(name, strlen(name))) == NULL)
		return perr_set(err, -EINVAL, "unknown option '%s'",
		    name != NULL ? name : "(null)");
	if (o->kind == CONF_K_ACTION || o->kind == CONF_K_CONFIG)
		return perr_set(err, -EINVAL, "option '%s' is not a setting",
		    o->name);
	if (o->kind == CONF_K_FLAG || o->kind == CONF_K_COUNT) {
		if (value != NULL)
			return perr_set(err, -EINVAL, "option '--%s' takes no "
			    "value (given '%s')", o->name, value);
	} else if (value == NULL) {
		return perr_set(err, -EINVAL, "option '--%s' needs a value",
		    o->name);
	}
	/* A fresh state: a single value replaces the one before, a
	 * repeatable option adds one. */
	memset(&st, 0, sizeof(st));
	if ((rc = conf_opt_set(c, &st, o, value, CONF_SRC_CLI, "", 0,
	    err)) != 0)
		return rc;
	return (int)(o - conf_opts);
}

int
conf_opt_index(const char *name)
{
	const struct conf_opt *o;

	if (name == NULL ||
	    (o = conf_opt_by_name(name, strlen(name))) == NULL)
		return -1;
	return (int)(o - conf_opts);
}

void
conf_copy_opt(struct conf *dst, const struct conf *src, int idx)
{
	const struct conf_opt *o;
	const char *s = (const char *)src;
	char *d = (char *)dst;

	if (idx < 0 || (size_t)idx >= conf_n_opts)
		return;
	o = &conf_opts[idx];
	switch (o->kind) {
	case CONF_K_FLAG:
	case CONF_K_COUNT:
	case CONF_K_LEVEL:
		memcpy(d + o->off, s + o->off, sizeof(int));
		break;
	case CONF_K_U32:
		memcpy(d + o->off, s + o->off, sizeof(uint32_t));
		break;
	case CONF_K_STR:
	case CONF_K_CONFIG:
		*(const char **)(void *)(d + o->off) =
		    *(const char *const *)(const void *)(s + o->off);
		break;
	case CONF_K_LIST:
		memcpy(d + o->off, s + o->off,
		    (size_t)o->max_n * sizeof(const char *));
		memcpy(d + o->off_n, s + o->off_n, sizeof(int));
		break;
	case CONF_K_ACTION:
		break;
	}
}

int
conf_get(const struct conf *c, const char *name, char *buf, size_t size)
{
	const struct conf_opt *o;
	const char *base = (const char *)c;
	const char *const *list;
	const char *s;
	size_t len = 0;
	int i, n;

	if (size == 0)
		return -EINVAL;
	buf[0] = '\0';
	if (name == NULL ||
	    (o = conf_opt_by_name(name, strlen(name))) == NULL)
		return -ENOENT;
	switch (o->kind) {
	case CONF_K_FLAG:
	case CONF_K_COUNT:
		snprintf(buf, size, "%d", *(const int *)(base + o->off));
		break;
	case CONF_K_LEVEL:
		snprintf(buf, size, "%s",
		    conf_log_level_name(*(const int *)(base + o->off)));
		break;
	case CONF_K_U32:
		snprintf(buf, size, "%lu",
		    (unsigned long)*(const uint32_t *)(base + o->off));
		break;
	case CONF_K_STR:
	case CONF_K_CONFIG:
		s = *(const char *const *)(base + o->off);
		snprintf(buf, size, "%s", s != NULL ? s : "");
		break;
	case CONF_K_LIST:
		list = (const char *const *)(const void *)(base + o->off);
		n = *(const int *)(base + o->off_n);
		for (i = 0; i < n && len < size; i++)
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
			    i > 0 ? "\n" : "", list[i]);
		break;
	case CONF_K_ACTION:
		break;
	}
	return 0;
}

/* Each string field of <c>: <fn>(&pointer, arg). */
static void
each_string(struct conf *c, void (*fn)(const char **, void *), void *arg)
{
	const struct conf_opt *o;
	char *base = (char *)c;
	const char **list;
	size_t i;
	int k, n;

	for (i = 0; i < conf_n_opts; i++) {
		o = &conf_opts[i];
		if (o->kind == CONF_K_STR || o->kind == CONF_K_CONFIG) {
			fn((const char **)(void *)(base + o->off), arg);
		} else if (o->kind == CONF_K_LIST) {
			list = (const char **)(void *)(base + o->off);
			n = *(int *)(base + o->off_n);
			for (k = 0; k < n; k++)
				fn(&list[k], arg);
		}
	}
}

static void
add_len(const char **s, void *arg)
{
	if (*s != NULL)
		*(size_t *)arg += strlen(*s) + 1;
}

struct copier {
	char	*at;
};

static void
copy_one(const char **s, void *arg)
{
	struct copier *cp = arg;
	size_t n;

	if (*s == NULL)
		return;
	n = strlen(*s) + 1;
	memcpy(cp->at, *s, n);
	*s = cp->at;
	cp->at += n;
}

int
conf_own_strings(struct conf *c, struct perr *err)
{
	struct copier cp;
	size_t total = 1;
	char *block;

	each_string(c, add_len, &total);
	if ((block = malloc(total)) == NULL)
		return perr_set(err, -ENOMEM, "out of memory");
	cp.at = block;
	each_string(c, copy_one, &cp);
	/* The old block may have held some of them: freed only now. */
	free(c->text_);
	c->text_ = block;
	return 0;
}

const char *
conf_get_str(const struct conf *c, const char *name)
{
	const struct conf_opt *o;

	if (name == NULL ||
	    (o = conf_opt_by_name(name, strlen(name))) == NULL ||
	    (o->kind != CONF_K_STR && o->kind != CONF_K_CONFIG))
		return NULL;
	return *(const char *const *)(const void *)((const char *)c + o->off);
}
