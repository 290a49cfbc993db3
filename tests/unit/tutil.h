/*
 * tutil.h - setup shared by the unit tests: a scratch file, reading a
 * file back whole, a socket on loopback, a plugin-style IE row. Each
 * helper asserts its own setup step (cmocka), so a test that uses one
 * still fails at the step that went wrong; none of them checks what a
 * test is about.
 *
 * Include after <cmocka.h> (and the stdarg/stddef/setjmp it needs).
 */
#ifndef TESTS_UNIT_TUTIL_H
#define TESTS_UNIT_TUTIL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ie/ie.h"

/* Creates an empty file from the mkstemp pattern <path> (its XXXXXX are
 * replaced); the caller unlinks it. */
static inline void
tu_temp_file(char *path)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
}

/* Reads <path> into <buf> (at most <size> - 1 bytes), NUL-terminated;
 * returns how many bytes were read. */
static inline size_t
tu_read_file(const char *path, char *buf, size_t size)
{
	FILE *fp = fopen(path, "rb");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, size - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return n;
}

/* Binds <fd> to 127.0.0.1 on <*port> (0: a kernel-chosen port, written
 * back to <*port>). */
static inline void
tu_bind_local(int fd, uint16_t *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(*port);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
}

/* A socket of <type> bound to 127.0.0.1 on <*port> (as tu_bind_local);
 * SOCK_STREAM ones listen. */
static inline int
tu_local_socket(int type, uint16_t *port)
{
	int fd, one = 1;

	fd = socket(AF_INET, type, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	tu_bind_local(fd, port);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 4), 0);
	return fd;
}

/* A field as a plugin declares it: kept in flow->ext at <off>. */
struct tu_row {
	const char	*name;
	enum ie_type	type;
	size_t		off;
	uint16_t	max_len;	/* strings, octet arrays */
};

/* Fills <d> as plugin 't' registers <row>: element <id> under the local
 * PEN, value in the flow's ext area. */
static inline void
tu_row_def(struct ie_def *d, const struct tu_row *row, uint16_t id)
{
	memset(d, 0, sizeof(*d));
	d->name = row->name;
	d->id = id;
	d->type = row->type;
	d->flags = IE_F_LOCAL_PEN;
	d->ext_off = row->off;
	d->max_len = row->max_len;
	d->owner = "plugin 't'";
}

#endif
