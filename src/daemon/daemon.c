/*
 * daemon.c - detaching, the pid file, giving up root.
 *
 * The start-up pipe: the detached child writes one message, a status
 * digit and a sentence ("0" when running), and closes its end; the parent
 * reads until end of file. A child that dies first closes the pipe with
 * nothing written, which the parent reports as a failed start.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* pipe2, setresuid, close_range */
#endif
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Closes every descriptor from <lo> up, but <keep>. */
static void
close_from(int lo, int keep)
{
	if (keep > lo)
		close_range((unsigned)lo, (unsigned)keep - 1, 0);
	close_range((unsigned)keep + 1, ~0u, 0);
}

int
daemon_detach(struct daemon_ctx *d, int *parent_status, struct perr *err)
{
	char buf[sizeof(err->msg) + 8];
	size_t len = 0;
	ssize_t r;
	int fds[2], e, ws;
	pid_t pid;

	d->pipe_fd = -1;
	d->detached = 0;
	if (pipe2(fds, O_CLOEXEC) == -1) {
		e = errno;
		return perr_set(err, -e, "--daemon: pipe: %s", strerror(e));
	}
	fflush(NULL);
	if ((pid = fork()) == -1) {
		e = errno;
		close(fds[0]);
		close(fds[1]);
		return perr_set(err, -e, "--daemon: fork: %s", strerror(e));
	}
	if (pid == 0) {
		close(fds[0]);
		/* Descriptors inherited from the starting process (a shell's
		 * pipes, a test harness's files) would be held for months. */
		close_from(STDERR_FILENO + 1, fds[1]);
		d->pipe_fd = fds[1];
		d->detached = 1;
		/* A new session: no controlling terminal, no SIGHUP when
		 * the starting shell goes. */
		setsid();
		log_open_syslog();
		return 0;
	}
	close(fds[1]);
	while (len < sizeof(buf) - 1 &&
	    (r = read(fds[0], buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)r;
	}
	close(fds[0]);
	buf[len] = '\0';
	if (len > 0 && buf[0] >= '0' && buf[0] <= '9') {
		*parent_status = buf[0] - '0';
		if (*parent_status != 0)
			fprintf(stderr, "l7probe: %s\n", buf + 1);
		return 1;
	}
	*parent_status = 2;
	if (waitpid(pid, &ws, 0) == pid && WIFSIGNALED(ws))
		fprintf(stderr, "l7probe: the daemon died during start-up "
		    "(signal %d)\n", WTERMSIG(ws));
	else
		fprintf(stderr, "l7probe: the daemon ended during start-up "
		    "(see syslog)\n");
	return 1;
}

static void
pipe_write(struct daemon_ctx *d, int status, const char *msg)
{
	char buf[600];
	size_t len, off = 0;
	ssize_t w;
	int n;

	n = snprintf(buf, sizeof(buf), "%d%s", status > 9 ? 9 : status, msg);
	len = n < 0 ? 0 : (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
	while (off < len) {
		w = write(d->pipe_fd, buf + off, len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			break;	/* the parent is gone: nobody to tell */
		off += (size_t)w;
	}
	close(d->pipe_fd);
	d->pipe_fd = -1;
}

void
daemon_ready(struct daemon_ctx *d)
{
	int fd;

	if (!d->detached)
		return;
	if (chdir("/") == -1)
		log_warn_errno(errno, "chdir /");
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	log_close_stderr();
	if (d->pipe_fd != -1)
		pipe_write(d, 0, "");
}

void
daemon_fail(struct daemon_ctx *d, int status, const char *msg)
{
	if (d->detached) {
		/* The parent prints it on the terminal; syslog keeps it. */
		log_close_stderr();
		log_err("%s", msg);
		if (d->pipe_fd != -1)
			pipe_write(d, status, msg);
		return;
	}
	fprintf(stderr, "l7probe: %s\n", msg);
}

/* --- pid file ----------------------------------------------------------- */

struct pidfile {
	int	fd;
	pid_t	pid;			/* the owner; a forked child is not */
	char	path[];
};

struct pidfile *
pidfile_open(const char *path, struct perr *err)
{
	struct pidfile *pf;
	struct flock fl;
	char buf[32];
	ssize_t r;
	int e, n;

	if ((pf = calloc(1, sizeof(*pf) + strlen(path) + 1)) == NULL) {
		perr_set(err, -ENOMEM, "pid file '%s': out of memory", path);
		return NULL;
	}
	memcpy(pf->path, path, strlen(path) + 1);
	pf->pid = getpid();
	if ((pf->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0644)) == -1) {
		e = errno;
		perr_set(err, -e, "pid file '%s': %s", path, strerror(e));
		free(pf);
		return NULL;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(pf->fd, F_SETLK, &fl) == -1) {
		e = errno;
		if (e == EAGAIN || e == EACCES) {
			r = pread(pf->fd, buf, sizeof(buf) - 1, 0);
			buf[r > 0 ? r : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			perr_set(err, -EEXIST, "pid file '%s': held by a running "
			    "l7probe (pid %s); stop it or use another pid file",
			    path, buf[0] != '\0' ? buf : "unknown");
		} else
			perr_set(err, -e, "pid file '%s': lock: %s", path,
			    strerror(e));
		close(pf->fd);
		free(pf);
		return NULL;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)pf->pid);
	if (ftruncate(pf->fd, 0) == -1 ||
	    pwrite(pf->fd, buf, (size_t)n, 0) != n) {
		e = errno;
		perr_set(err, -e, "pid file '%s': write: %s", path,
		    strerror(e));
		close(pf->fd);
		free(pf);
		return NULL;
	}
	return pf;
}

void
pidfile_close(struct pidfile *pf)
{
	if (pf == NULL)
		return;
	if (pf->pid == getpid() && unlink(pf->path) == -1 &&
	    ftruncate(pf->fd, 0) == -1)
		log_warn_errno(errno, "pid file '%s': cannot remove or empty "
		    "it", pf->path);
	close(pf->fd);
	free(pf);
}

/* --- privileges --------------------------------------------------------- */

int
priv_lookup(const char *user, const char *group, int chroot,
    struct priv_ids *ids, struct perr *err)
{
	struct passwd *pw;
	struct group *gr;

	memset(ids, 0, sizeof(*ids));
	ids->user = user;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL)
		return perr_set(err, errno != 0 ? -errno : -ENOENT,
		    "--user '%s': %s", user, errno != 0 ? strerror(errno) :
		    "no such user");
	ids->uid = pw->pw_uid;
	ids->gid = pw->pw_gid;
	if (group != NULL) {
		errno = 0;
		if ((gr = getgrnam(group)) == NULL)
			return perr_set(err, errno != 0 ? -errno : -ENOENT,
			    "--group '%s': %s", group, errno != 0 ?
			    strerror(errno) : "no such group");
		ids->gid = gr->gr_gid;
	}
	if (!chroot && getuid() == ids->uid && geteuid() == ids->uid &&
	    getgid() == ids->gid && getegid() == ids->gid) {
		ids->noop = 1;		/* already them, e.g. under systemd */
		return 0;
	}
	if (geteuid() != 0)
		return perr_set(err, -EPERM, "--user '%s': only root can "
		    "change its user (running as uid %ld)", user,
		    (long)geteuid());
	return 0;
}

int
priv_drop(const struct priv_ids *ids, const char *dir, struct perr *err)
{
	uid_t uid = ids->uid;
	gid_t gid = ids->gid;
	int e;

	if (ids->noop)
		return 0;
	if (dir != NULL) {
		if (chroot(dir) == -1 || chdir("/") == -1) {
			e = errno;
			return perr_set(err, -e, "--chroot '%s': %s", dir,
			    strerror(e));
		}
	}
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1) {
		e = errno;
		return perr_set(err, -e, "--group %ld: %s", (long)gid,
		    strerror(e));
	}
	if (setresuid(uid, uid, uid) == -1) {
		e = errno;
		return perr_set(err, -e, "--user '%s': %s", ids->user,
		    strerror(e));
	}
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid)
		return perr_set(err, -EPERM, "--user '%s': the ids did not "
		    "change", ids->user);
	/* For good: neither the real nor a saved id may lead back. */
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
		return perr_set(err, -EPERM, "--user '%s': root could be "
		    "regained after dropping it; refusing to run", ids->user);
	if (gid != 0 && uid != 0 && (setgid(0) != -1 || setegid(0) != -1))
		return perr_set(err, -EPERM, "--user '%s': group root could "
		    "be regained after dropping it; refusing to run",
		    ids->user);
	return 0;
}
