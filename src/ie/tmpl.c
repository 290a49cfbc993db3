/*
 * tmpl.c - export templates: parsing template text, deriving the concrete
 * template of one kind of record (IP family, uniflow/biflow, IPFIX/v9).
 *
 * Template text format (see ie.h): one registry element per line, an
 * optional length, '#' comments, blank lines. Parsing never allocates and
 * refuses anything doubtful with the file name and line, since a template
 * is user input (and a fuzz target: tmpl_parse takes text, not a file).
 */
#include "ie/ie.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TMPL_FILE_MAX	(64 * 1024)

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Copies the token at <p> (up to whitespace, '#' or end of line) into
 * <buf> (cut to fit) and returns the end of the token. */
static const char *
token(const char *p, char *buf, size_t size)
{
	size_t n = 0;

	while (*p != '\0' && *p != '\n' && *p != '#' && !is_space(*p)) {
		if (n + 1 < size)
			buf[n++] = *p;
		p++;
	}
	buf[n] = '\0';
	return p;
}

static const char *
skip_space(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

/* Lengths a template may give <def>: 1..natural for integers (RFC 7011
 * reduced-size encoding), 1..65534 for strings and octet arrays (a v9
 * fixed length), none other than the natural one for addresses and
 * times. */
static int
length_ok(const struct ie_def *def, unsigned long len)
{
	switch (def->type) {
	case IE_T_UNSIGNED8:
	case IE_T_UNSIGNED16:
	case IE_T_UNSIGNED32:
	case IE_T_UNSIGNED64:
		return len >= 1 && len <= def->len;
	case IE_T_STRING:
	case IE_T_OCTET_ARRAY:
		return len >= 1 && len < IE_VARLEN;
	default:
		return len == def->len;
	}
}

static int
bad_length(struct perr *err, const char *name, unsigned line,
    const char *lenw, const struct ie_def *def)
{
	char why[48];

	if (def->type == IE_T_STRING || def->type == IE_T_OCTET_ARRAY)
		snprintf(why, sizeof(why), "1 to %u", IE_VARLEN - 1);
	else if (def->type == IE_T_IPV4_ADDRESS ||
	    def->type == IE_T_IPV6_ADDRESS || def->type == IE_T_DATETIME_MS)
		snprintf(why, sizeof(why), "fixed at %u", def->len);
	else
		snprintf(why, sizeof(why), "1 to %u", def->len);
	return perr_set(err, -EINVAL,
	    "template '%s' line %u: bad length '%s' for '%s' (%s)",
	    name, line, lenw, def->name, why);
}

int
tmpl_parse(const struct ie_reg *reg, const char *name, const char *text,
    struct tmpl *out, struct perr *err)
{
	char word[128], lenw[32], rest[32];
	unsigned lines[IE_TMPL_MAX];
	const struct ie_def *def;
	const char *p = text;
	unsigned line = 0;
	unsigned long len;
	char *end;
	size_t i;
	int rev;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	while (*p != '\0') {
		line++;
		p = skip_space(p);
		if (*p == '\n' || *p == '#' || *p == '\0')
			goto next;
		p = token(p, word, sizeof(word));
		p = skip_space(p);
		p = token(p, lenw, sizeof(lenw));
		p = skip_space(p);
		p = token(p, rest, sizeof(rest));
		if ((def = ie_find_any(reg, word, &rev)) == NULL)
			return perr_set(err, -EINVAL,
			    "template '%s' line %u: unknown element '%s'",
			    name, line, word);
		if (rev)
			return perr_set(err, -EINVAL,
			    "template '%s' line %u: '%s' is a reverse element: "
			    "list '%s', biflow export adds its reverse",
			    name, line, word, def->name);
		for (i = 0; i < out->n; i++)
			if (out->f[i].ie == def)
				return perr_set(err, -EINVAL,
				    "template '%s' line %u: element '%s' "
				    "already listed on line %u",
				    name, line, word, lines[i]);
		len = 0;
		if (lenw[0] != '\0') {
			errno = 0;
			len = strtoul(lenw, &end, 10);
			if (*end != '\0' || errno != 0 || lenw[0] == '-' ||
			    lenw[0] == '+' || !length_ok(def, len))
				return bad_length(err, name, line, lenw, def);
		}
		if (rest[0] != '\0')
			return perr_set(err, -EINVAL,
			    "template '%s' line %u: unexpected '%s' after "
			    "'%s' (one element per line)",
			    name, line, rest, word);
		if (out->n == IE_TMPL_MAX)
			return perr_set(err, -EINVAL,
			    "template '%s' line %u: more than %d elements",
			    name, line, IE_TMPL_MAX);
		lines[out->n] = line;
		out->f[out->n].ie = def;
		out->f[out->n].len = (uint16_t)len;
		out->f[out->n].reverse = 0;
		out->n++;
next:
		/* The rest of the line is a comment or blank. */
		while (*p != '\0' && *p != '\n')
			p++;
		if (*p == '\n')
			p++;
	}
	if (out->n == 0)
		return perr_set(err, -EINVAL, "template '%s': no element",
		    name);
	return 0;
}

/* The default template carries every registered row (plugin fields). */
static int
add_registered(const struct ie_reg *reg, struct tmpl *out, struct perr *err)
{
	const struct ie_def *def;
	size_t i;

	for (i = 0; i < ie_count(reg); i++) {
		def = ie_at(reg, i);
		if (!(def->flags & IE_F_EXT))
			continue;
		if (out->n == IE_TMPL_MAX)
			return perr_set(err, -E2BIG, "template 'default': more "
			    "than %d elements with the plugin fields (list "
			    "fewer in a -T file)", IE_TMPL_MAX);
		out->f[out->n].ie = def;
		out->f[out->n].len = 0;
		out->f[out->n].reverse = 0;
		out->n++;
	}
	return 0;
}

int
tmpl_load(const struct ie_reg *reg, const char *name_or_path,
    struct tmpl *out, struct perr *err)
{
	char fname[80], *buf;
	const char *text;
	size_t n, nlen = strlen(name_or_path);
	FILE *fp;
	int rc, saved;

	if (strchr(name_or_path, '/') == NULL &&
	    (nlen < 5 || strcmp(name_or_path + nlen - 5, ".tmpl") != 0)) {
		snprintf(fname, sizeof(fname), "%s.tmpl", name_or_path);
		if ((text = ie_builtin(fname)) == NULL)
			return perr_set(err, -ENOENT,
			    "template '%s': no such built-in template "
			    "(built in: default, minimal; a file name has a "
			    "'/' or ends in .tmpl)", name_or_path);
		if ((rc = tmpl_parse(reg, fname, text, out, err)) != 0 ||
		    strcmp(name_or_path, "default") != 0)
			return rc;
		return add_registered(reg, out, err);
	}
	if ((fp = fopen(name_or_path, "r")) == NULL) {
		saved = errno;
		return perr_set(err, -saved, "template '%s': cannot open: %s",
		    name_or_path, strerror(saved));
	}
	if ((buf = malloc(TMPL_FILE_MAX + 1)) == NULL) {
		fclose(fp);
		return perr_set(err, -ENOMEM, "template '%s': out of memory",
		    name_or_path);
	}
	n = fread(buf, 1, TMPL_FILE_MAX + 1, fp);
	if (ferror(fp)) {
		saved = errno;
		rc = perr_set(err, saved != 0 ? -saved : -EIO,
		    "template '%s': read failed: %s", name_or_path,
		    strerror(saved != 0 ? saved : EIO));
	} else if (n > TMPL_FILE_MAX) {
		rc = perr_set(err, -EFBIG,
		    "template '%s': larger than %d KiB", name_or_path,
		    TMPL_FILE_MAX / 1024);
	} else if (memchr(buf, '\0', n) != NULL) {
		rc = perr_set(err, -EINVAL,
		    "template '%s': contains a NUL byte (not a text file?)",
		    name_or_path);
	} else {
		buf[n] = '\0';
		rc = tmpl_parse(reg, name_or_path, buf, out, err);
	}
	free(buf);
	fclose(fp);
	return rc;
}

/* Wire length of one field of a derived template. */
static uint16_t
field_len(const struct tmpl_field *tf, int v9)
{
	const struct ie_def *def = tf->ie;
	int var = def->type == IE_T_STRING || def->type == IE_T_OCTET_ARRAY;

	if (v9) {
		if (tf->len != 0)
			return tf->len;
		return def->v9_len != 0 ? def->v9_len : def->len;
	}
	/* IPFIX: strings stay variable; a template length on an integer is
	 * reduced-size encoding, valid in both protocols. */
	if (var)
		return def->len;
	return tf->len != 0 ? tf->len : def->len;
}

/* Whether <def> lists an address element of <ip_version>. */
static int
has_addr(const struct tmpl *def, int ip_version)
{
	enum ie_type t = ip_version == 4 ? IE_T_IPV4_ADDRESS :
	    IE_T_IPV6_ADDRESS;
	size_t i;

	for (i = 0; i < def->n; i++)
		if (def->f[i].ie->type == t && def->f[i].ie->val != IE_V_EXT)
			return 1;
	return 0;
}

int
tmpl_derive(const struct tmpl *def, int ip_version, int biflow, int v9,
    struct tmpl *out, struct perr *err)
{
	const struct tmpl_field *tf;
	struct tmpl_field *of;
	size_t i;

	if (ip_version != 4 && ip_version != 6)
		return perr_set(err, -EINVAL,
		    "template '%s': bad IP version %d (4 or 6)",
		    def->name, ip_version);
	if (v9 && biflow)
		return perr_set(err, -ENOTSUP,
		    "template '%s': netflow v9 cannot carry biflow records "
		    "(RFC 5103 reverse elements need IPFIX): export uniflow",
		    def->name);
	/* A template that lists addresses of the other family only cannot
	 * say who talked: no record of this family (rather than records
	 * whose addresses a collector shows as 0.0.0.0 or ::). */
	if (!has_addr(def, ip_version) && has_addr(def, ip_version == 4 ? 6 :
	    4))
		return perr_set(err, -ENODATA,
		    "template '%s': no IPv%d address element: IPv%d records "
		    "are not exported with it", def->name, ip_version,
		    ip_version);
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%.40s ipv%d %s %s",
	    def->name, ip_version, biflow ? "biflow" : "uniflow",
	    v9 ? "v9" : "ipfix");
	for (i = 0; i < def->n; i++) {
		tf = &def->f[i];
		if ((ip_version == 4 && (tf->ie->flags & IE_F_V6)) ||
		    (ip_version == 6 && (tf->ie->flags & IE_F_V4)))
			continue;
		if (v9 && tf->ie->v9_id == 0)
			continue;
		if (out->n + 1 + (biflow &&
		    (tf->ie->flags & IE_F_DIRECTIONAL)) > IE_TMPL_MAX)
			return perr_set(err, -E2BIG,
			    "template '%s': more than %d fields with the "
			    "reverse elements of biflow export",
			    def->name, IE_TMPL_MAX);
		of = &out->f[out->n++];
		of->ie = tf->ie;
		of->len = field_len(tf, v9);
		of->reverse = 0;
		if (biflow && (tf->ie->flags & IE_F_DIRECTIONAL)) {
			out->f[out->n] = *of;
			out->f[out->n].reverse = 1;
			out->n++;
		}
	}
	if (out->n == 0)
		return perr_set(err, -ENODATA,
		    "template '%s': no element left for IPv%d %s",
		    def->name, ip_version, v9 ? "netflow v9" : "IPFIX");
	return 0;
}
