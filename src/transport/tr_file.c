/*
 * tr_file.c - export messages into a file (RFC 5655 IPFIX file: the
 * messages back to back) or standard output ("-").
 *
 * Writes through stdio with a large buffer; tr_poll() flushes it, so a
 * reader of a growing file sees whole messages within a second. A write
 * error (disk full, closed pipe) is returned to the exporter: unlike a
 * network collector, a file does not come back.
 */
#include "transport/tr_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FILE_BUF	(1 << 16)

struct file_priv {
	FILE	*fp;
	int	own;			/* fclose at the end */
	char	*iobuf;
};

static int
file_open(struct transport *tr, struct perr *err)
{
	struct file_priv *f = (struct file_priv *)tr->priv;

	if (strcmp(tr->target, "-") == 0) {
		/* Binary on a terminal helps nobody. */
		if (isatty(STDOUT_FILENO))
			return perr_set(err, -EINVAL, "collector '%s': "
			    "standard output is a terminal (redirect it to a "
			    "file or a pipe)", tr->name);
		f->fp = stdout;
		return 0;
	}
	if ((f->fp = fopen(tr->target, "wb")) == NULL) {
		int e = errno;

		return perr_set(err, -e, "collector '%s': cannot create '%s': "
		    "%s", tr->name, tr->target, strerror(e));
	}
	f->own = 1;
	if ((f->iobuf = malloc(FILE_BUF)) != NULL)
		setvbuf(f->fp, f->iobuf, _IOFBF, FILE_BUF);
	return 0;
}

static int
file_send(struct transport *tr, const uint8_t *msg, size_t len,
    uint32_t n_records, int first)
{
	struct file_priv *f = (struct file_priv *)tr->priv;
	int e;

	(void)first;
	errno = 0;
	if (fwrite(msg, 1, len, f->fp) == len) {
		tr->st.msgs_sent++;
		tr->st.bytes_sent += len;
		return 0;
	}
	e = errno != 0 ? errno : EIO;
	tr->st.msgs_dropped++;
	tr->st.records_dropped += n_records;
	return -e;
}

static void
file_poll(struct transport *tr, uint64_t now_us)
{
	struct file_priv *f = (struct file_priv *)tr->priv;

	(void)now_us;
	if (f->fp != NULL)
		fflush(f->fp);
}

static int
file_drain(struct transport *tr, uint32_t timeout_ms)
{
	struct file_priv *f = (struct file_priv *)tr->priv;

	(void)timeout_ms;
	errno = 0;
	if (f->fp != NULL && fflush(f->fp) == EOF)
		return errno != 0 ? -errno : -EIO;
	return 0;
}

static void
file_close(struct transport *tr)
{
	struct file_priv *f = (struct file_priv *)tr->priv;

	if (f->fp != NULL) {
		if (f->own) {
			if (fclose(f->fp) == EOF)
				log_warn_errno(errno, "collector '%s': closing "
				    "'%s'", tr->name, tr->target);
		} else
			fflush(f->fp);
	}
	f->fp = NULL;
	free(f->iobuf);
	f->iobuf = NULL;
}

const struct tr_ops tr_file_ops = {
	.name = "file",
	.priv_size = sizeof(struct file_priv),
	.open = file_open,
	.send = file_send,
	.poll = file_poll,
	.drain = file_drain,
	.close = file_close,
};
