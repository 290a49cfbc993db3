/*
 * cfile.c - the configuration file (-C FILE).
 *
 * One option a line, keyed by its long name without the dashes:
 *
 *	# comment (a whole line; '#' inside a value is part of it)
 *	interface = eth1
 *	collector = ipfix+tcp://collector.example:4739
 *	filter = not port 22
 *	no-dpi
 *	no-promisc = yes
 *
 * The value is the rest of the line after '=', without the blanks around
 * it; there is no quoting. An option without a value (a flag) is written
 * alone or as "= yes"; "= no" leaves its default. Repeatable options
 * (interface, collector, plugin) repeat their line; any other option
 * given twice is an error. Errors name the file and the line.
 */
#include "conf/conf.h"
#include "conf/conf_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONF_FILE_MAX	(1024 * 1024)	/* a config file larger is a mistake */

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static int
parse_line(struct conf *c, struct conf_state *st, const char *name, int ln,
    char *s, struct perr *err)
{
	const struct conf_opt *o;
	char where[300], *key, *value = NULL, *e;
	size_t klen;

	while (is_blank(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_blank(e[-1]))
		*--e = '\0';
	if (*s == '\0' || *s == '#')
		return 0;
	snprintf(where, sizeof(where), "%s:%d: ", name, ln);
	key = s;
	for (klen = 0; key[klen] != '\0' && key[klen] != '=' &&
	    !is_blank(key[klen]); klen++)
		;
	s = key + klen;
	while (is_blank(*s))
		s++;
	if (klen == 0 || (*s != '=' && *s != '\0'))
		return perr_set(err, -EINVAL, "%sexpected 'name = value' or "
		    "'name', got '%s'", where, key);
	if (*s == '=') {
		value = s + 1;
		while (is_blank(*value))
			value++;
	}
	if (key[0] == '-')
		return perr_set(err, -EINVAL, "%swrite the option without its "
		    "dashes ('%.*s')", where, (int)(klen - strspn(key, "-")),
		    key + strspn(key, "-"));
	if ((o = conf_opt_by_name(key, klen)) == NULL)
		return perr_set(err, -EINVAL, "%sunknown option '%.*s' (see "
		    "--help)", where, (int)klen, key);
	key[klen] = '\0';
	if (o->flags & CONF_F_CLI_ONLY)
		return perr_set(err, -EINVAL, "%s'%s' is for the command line "
		    "only", where, o->name);
	switch (o->kind) {
	case CONF_K_FLAG:
	case CONF_K_COUNT:
		if (value == NULL || strcmp(value, "yes") == 0)
			break;
		if (strcmp(value, "no") == 0)
			return 0;
		return perr_set(err, -EINVAL, "%s%s '%s': takes no value "
		    "(write '%s', '%s = yes' or '%s = no')", where, o->name,
		    value, o->name, o->name, o->name);
	default:
		if (value == NULL)
			return perr_set(err, -EINVAL, "%s'%s' needs a value "
			    "(%s = %s)", where, o->name, o->name,
			    o->metavar != NULL ? o->metavar : "VALUE");
		break;
	}
	return conf_opt_set(c, st, o, value, CONF_SRC_FILE, where, ln, err);
}

int
conf_file_parse(struct conf *c, struct conf_state *st, const char *name,
    char *text, struct perr *err)
{
	char *line = text, *nl;
	int ln, rc;

	for (ln = 1; line != NULL && *line != '\0'; ln++) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if ((rc = parse_line(c, st, name, ln, line, err)) != 0)
			return rc;
		line = nl != NULL ? nl + 1 : NULL;
	}
	return 0;
}

int
conf_file_load(struct conf *c, struct conf_state *st, const char *path,
    struct perr *err)
{
	size_t len = 0;
	ssize_t r;
	char *buf;
	int fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		e = errno;
		return perr_set(err, -e, "config file '%s': %s", path,
		    strerror(e));
	}
	if ((buf = malloc(CONF_FILE_MAX + 1)) == NULL) {
		close(fd);
		return perr_set(err, -ENOMEM, "config file '%s': out of memory",
		    path);
	}
	while (len <= CONF_FILE_MAX &&
	    (r = read(fd, buf + len, CONF_FILE_MAX + 1 - len)) != 0) {
		if (r == -1) {
			e = errno;
			if (e == EINTR)
				continue;
			close(fd);
			free(buf);
			return perr_set(err, -e, "config file '%s': %s", path,
			    strerror(e));
		}
		len += (size_t)r;
	}
	close(fd);
	if (len > CONF_FILE_MAX) {
		free(buf);
		return perr_set(err, -EFBIG, "config file '%s': larger than "
		    "%d bytes", path, CONF_FILE_MAX);
	}
	if (memchr(buf, '\0', len) != NULL) {
		free(buf);
		return perr_set(err, -EINVAL, "config file '%s': not a text "
		    "file (NUL byte)", path);
	}
	buf[len] = '\0';
	free(c->text_);
	c->text_ = buf;
	return conf_file_parse(c, st, path, buf, err);
}
