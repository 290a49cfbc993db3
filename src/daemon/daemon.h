/*
 * daemon.h - running as a service: detaching from the terminal, the pid
 * file, and giving up root.
 *
 * Not part of the data path; main.c calls these in this order:
 *
 *	daemon_detach()		-D: fork; the parent waits for the child
 *	pidfile_open()		--pidfile: lock it, write the pid
 *	priv_lookup()		-u/--group: names to ids, before opening
 *	probe_new()		open captures, collectors, files
 *	priv_drop()		-u/--group/--chroot: for good
 *	daemon_ready()		the parent exits 0; stdio -> /dev/null
 *	probe_run() ...
 *	pidfile_close()
 *
 * Until daemon_ready(), a start-up error is reported with daemon_fail(),
 * which the waiting parent prints on its stderr and exits with, so
 * "l7probe -D" fails like a foreground start would.
 */
#ifndef L7_DAEMON_H
#define L7_DAEMON_H

#include <sys/types.h>

#include "log/log.h"

struct daemon_ctx {
	int	pipe_fd;		/* child: to the waiting parent, or -1 */
	int	detached;		/* 1 in a detached child */
};

/*
 * Forks. In the parent, waits until the child calls daemon_ready() (status
 * 0) or daemon_fail() (its status and message, printed on stderr), or
 * dies (status 2), and returns 1 with <*parent_status> set: the parent
 * then only exits with it. In the child, starts a new session, switches
 * the log to syslog and stderr, and returns 0. A negative errno when the
 * fork cannot be made.
 */
int	daemon_detach(struct daemon_ctx *d, int *parent_status,
	    struct perr *err);

/* Child: start-up is over. Tells the parent, moves to "/", points stdin,
 * stdout and stderr to /dev/null and logs to syslog only. Without -D
 * (d->detached 0) does nothing. */
void	daemon_ready(struct daemon_ctx *d);

/* Reports a start-up failure: to the waiting parent when detached (which
 * exits with <status>), else on stderr. */
void	daemon_fail(struct daemon_ctx *d, int status, const char *msg);

struct pidfile;

/*
 * Creates or opens <path>, takes an fcntl write lock on it and writes the
 * process id. Refuses (-EEXIST, naming the pid) while another process
 * holds the lock; a stale file left by a crash is taken over. Returns
 * owned (pidfile_close) or NULL with <err> filled.
 */
struct pidfile *pidfile_open(const char *path, struct perr *err);

/* Removes the file and releases the lock. When the directory does not let
 * the (unprivileged, or chrooted) process remove it, empties it instead.
 * NULL is fine. */
void	pidfile_close(struct pidfile *pf);

/* Who to become, looked up before anything is opened. */
struct priv_ids {
	const char	*user;		/* borrowed, for messages */
	uid_t		uid;
	gid_t		gid;
	int		noop;		/* 1: already running as them */
};

/*
 * Looks <user> and <group> (NULL = the user's primary group) up, and
 * checks that the process may become them (it is root, or already is
 * them). Call it before opening anything, so that a typo does not leave
 * output files truncated. Returns 0 or a negative errno with <err> filled.
 */
int	priv_lookup(const char *user, const char *group, int chroot,
	    struct priv_ids *ids, struct perr *err);

/*
 * Gives up root for good: chroots to <dir> (NULL = none), sets the group
 * list to the one group, then the group and user ids (real, effective,
 * saved), and checks that root cannot be regained (setuid(0) must fail).
 * Returns 0 or a negative errno with <err> filled; the caller must then
 * exit.
 */
int	priv_drop(const struct priv_ids *ids, const char *dir,
	    struct perr *err);

#endif
