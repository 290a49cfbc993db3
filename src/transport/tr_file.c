/*
 * tr_file.c - export messages into a file or standard output ("-"): JSON
 * lines, an RFC 5655 IPFIX file (messages back to back), any exporter's
 * messages.
 *
 * Whole messages collect in a buffer (64 KiB) that goes out with write(2)
 * when full, on tr_poll (so a reader of a growing file sees whole messages
 * within a second), tr_drain and tr_reopen. Accounting follows the bytes
 * that reached the file: a message is sent once write(2) took all of it.
 * When a write fails (disk full, quota, I/O error, a closed pipe) the
 * messages of the buffer that did not go whole are dropped and counted,
 * and a message cut in the middle is taken back out of a regular file
 * with ftruncate(2), so the file always ends with a whole record; a pipe
 * or device cannot be cut back: the warning says so.
 *
 * Errors: a closed pipe (EPIPE) and a descriptor that cannot be written
 * at all (EBADF, EINVAL) are fatal: nothing more is written, tr_fatal()
 * says why. Everything else (ENOSPC, EDQUOT, EFBIG, EIO, ...) is
 * transient: the messages of that write are lost and counted, the next
 * ones are tried again.
 *
 * tr_reopen: writes the buffer out, closes, opens the path again without
 * truncating it (a file moved away by logrotate is created anew; a file
 * still there is continued, so a SIGHUP without rotation loses nothing),
 * and calls on_connect so an IPFIX file starts with its templates.
 */
#include "transport/tr_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_BUF	(1 << 16)

struct file_end {
	size_t		end;		/* offset in buf after the message */
	uint32_t	n_records;
};

struct file_priv {
	int		fd;
	int		own;		/* close at the end (not stdout) */
	int		regular;	/* a regular file: can be cut back */
	off_t		pos;		/* offset after the last whole message */
	uint8_t		*buf;
	size_t		len;
	struct file_end	*ends;		/* one per message in buf */
	size_t		n_ends, cap_ends;
	int		last_err;	/* warned about */
};

static struct file_priv *
priv(struct transport *tr)
{
	return (struct file_priv *)tr->priv;
}

static int
open_path(struct transport *tr, int trunc, struct perr *err)
{
	struct file_priv *f = priv(tr);
	struct stat sb;
	int e, fd;

	if (strcmp(tr->target, "-") == 0) {
		/* Binary on a terminal helps nobody; JSON does not mind. */
		fd = STDOUT_FILENO;
	} else {
		fd = open(tr->target, O_WRONLY | O_CREAT | O_CLOEXEC |
		    (trunc ? O_TRUNC : 0), 0644);
		if (fd == -1) {
			e = errno;
			return perr_set(err, -e, "collector '%s': cannot "
			    "create '%s': %s", tr->name, tr->target,
			    strerror(e));
		}
	}
	f->fd = fd;
	f->own = fd != STDOUT_FILENO;
	f->regular = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
	/* Continued, or stdout redirected with >>: after what is there. */
	if (f->regular)
		f->pos = lseek(fd, 0, trunc ? SEEK_CUR : SEEK_END);
	if (f->pos == (off_t)-1)
		f->pos = 0;
	return 0;
}

static int
file_open(struct transport *tr, struct perr *err)
{
	struct file_priv *f = priv(tr);
	int rc;

	f->fd = -1;
	if ((f->buf = malloc(FILE_BUF)) == NULL)
		return perr_set(err, -ENOMEM, "collector '%s': out of memory",
		    tr->name);
	if ((rc = open_path(tr, 1, err)) != 0)
		return rc;
	tr_connected_cb(tr);
	return 0;
}

static int
is_fatal(int e)
{
	return e == EPIPE || e == EBADF || e == EINVAL;
}

/* write(2) all of <buf>; returns the bytes written and *<e> = 0, or
 * fewer and the errno that stopped it. A non-blocking standard output
 * (set by someone else) is waited for, at most a second a write. */
static size_t
write_all(int fd, const uint8_t *buf, size_t len, int *e)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	size_t done = 0;
	ssize_t n;

	*e = 0;
	while (done < len) {
		n = write(fd, buf + done, len - done);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
			    poll(&pfd, 1, 1000) == 1)
				continue;
			*e = errno;
			break;
		}
		if (n == 0) {
			*e = EIO;
			break;
		}
		done += (size_t)n;
	}
	return done;
}

/* Writes the buffer out and accounts for every message in it. Returns 0,
 * or the negative errno of a failed write. */
static int
write_out(struct transport *tr)
{
	struct file_priv *f = priv(tr);
	size_t done, whole = 0, i;
	int e, cut = 0;

	if (f->len == 0)
		return 0;
	done = write_all(f->fd, f->buf, f->len, &e);
	for (i = 0; i < f->n_ends; i++) {
		size_t start = i > 0 ? f->ends[i - 1].end : 0;

		if (f->ends[i].end <= done) {
			whole = f->ends[i].end;
			tr->st.msgs_sent++;
			tr->st.bytes_sent += f->ends[i].end - start;
			tr->st.records_sent += f->ends[i].n_records;
		} else {
			tr->st.msgs_dropped++;
			tr->st.records_dropped += f->ends[i].n_records;
		}
	}
	f->pos += (off_t)whole;
	if (done > whole) {
		/* Part of a message reached the file: take it back. */
		if (f->regular && ftruncate(f->fd, f->pos) == 0 &&
		    lseek(f->fd, f->pos, SEEK_SET) == f->pos)
			cut = 0;
		else
			cut = 1;
	}
	f->len = 0;
	f->n_ends = 0;
	if (e == 0)
		return 0;
	if (is_fatal(e))
		tr->fatal = -e;
	/* A closed pipe is the reader's choice (as for "| head"): quiet. */
	if (e != f->last_err && e != EPIPE)
		log_warn("collector '%s': cannot write '%s': %s; the records "
		    "of that write are dropped (counted)%s", tr->name,
		    tr->target, strerror(e), cut ? ", and the output ends in "
		    "a cut record (not a regular file: cannot cut it back)" :
		    "");
	f->last_err = e;
	return -e;
}

static int
file_send(struct transport *tr, const struct tr_msg *msg)
{
	struct file_priv *f = priv(tr);
	struct file_end *ends;

	if (f->len + msg->len > FILE_BUF || f->n_ends == f->cap_ends) {
		if (f->n_ends == f->cap_ends) {
			size_t cap = f->cap_ends ? f->cap_ends * 2 : 64;

			if ((ends = realloc(f->ends, cap * sizeof(*ends))) !=
			    NULL) {
				f->ends = ends;
				f->cap_ends = cap;
			}
		}
		if (f->len + msg->len > FILE_BUF || f->n_ends == f->cap_ends)
			(void)write_out(tr);
		if (tr->fatal != 0 || f->n_ends == f->cap_ends) {
			tr->st.msgs_dropped++;
			tr->st.records_dropped += msg->n_records;
			return tr->fatal != 0 ? tr->fatal : -ENOMEM;
		}
	}
	if (msg->len > FILE_BUF) {
		/* Larger than the buffer: through it, alone. */
		int e;
		size_t done;

		tr_stamp(tr, msg->data, msg->len, msg->n_seq);
		done = write_all(f->fd, msg->data, msg->len, &e);
		if (e == 0) {
			f->pos += (off_t)msg->len;
			tr->st.msgs_sent++;
			tr->st.bytes_sent += msg->len;
			tr->st.records_sent += msg->n_records;
			return 0;
		}
		if (done > 0 && f->regular && ftruncate(f->fd, f->pos) == 0)
			(void)lseek(f->fd, f->pos, SEEK_SET);
		tr->st.msgs_dropped++;
		tr->st.records_dropped += msg->n_records;
		if (is_fatal(e))
			tr->fatal = -e;
		return -e;
	}
	memcpy(f->buf + f->len, msg->data, msg->len);
	tr_stamp(tr, f->buf + f->len, msg->len, msg->n_seq);
	f->len += msg->len;
	f->ends[f->n_ends].end = f->len;
	f->ends[f->n_ends].n_records = msg->n_records;
	f->n_ends++;
	return 0;
}

static void
file_poll(struct transport *tr, uint64_t now_us)
{
	(void)now_us;
	(void)write_out(tr);
}

static int
file_drain(struct transport *tr, uint32_t timeout_ms)
{
	(void)timeout_ms;
	return write_out(tr) == 0 ? 0 : -ETIMEDOUT;
}

static int
file_reopen(struct transport *tr, struct perr *err)
{
	struct file_priv *f = priv(tr);
	int old = f->fd, old_own = f->own, old_reg = f->regular, rc;
	off_t old_pos = f->pos;

	if (!f->own || tr->fatal != 0)
		return 0;		/* standard output stays */
	(void)write_out(tr);
	f->pos = 0;
	if ((rc = open_path(tr, 0, err)) != 0) {
		f->fd = old;
		f->own = old_own;
		f->regular = old_reg;
		f->pos = old_pos;
		return rc;
	}
	if (close(old) == -1)
		log_warn_errno(errno, "collector '%s': closing the old '%s'",
		    tr->name, tr->target);
	tr_connected_cb(tr);
	return 0;
}

static void
file_stats(const struct transport *tr, struct tr_stats *s)
{
	const struct file_priv *f = (const struct file_priv *)tr->priv;
	size_t i;

	s->queued_bytes = f->len;
	s->queued_records = 0;
	for (i = 0; i < f->n_ends; i++)
		s->queued_records += f->ends[i].n_records;
}

static void
file_close(struct transport *tr)
{
	struct file_priv *f = priv(tr);

	if (f->fd >= 0 && tr->fatal == 0)
		(void)write_out(tr);
	if (f->fd >= 0 && f->own && close(f->fd) == -1)
		log_warn_errno(errno, "collector '%s': closing '%s'",
		    tr->name, tr->target);
	f->fd = -1;
	free(f->buf);
	free(f->ends);
	f->buf = NULL;
	f->ends = NULL;
}

const struct tr_ops tr_file_ops = {
	.name = "file",
	.priv_size = sizeof(struct file_priv),
	.open = file_open,
	.send = file_send,
	.poll = file_poll,
	.drain = file_drain,
	.close = file_close,
	.reopen = file_reopen,
	.stats = file_stats,
};
