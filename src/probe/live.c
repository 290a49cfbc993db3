/*
 * live.c - the live loop: waits on every capture at once with ppoll,
 * whose timeout is the next clock tick (a quiet link, or a filter that
 * matches nothing, never holds the tick back), reads what each holds,
 * expires flows by the clock, and on a stop drains what the kernel
 * already captured.
 *
 * Signals stay blocked but while the loop waits in ppoll: a stop that
 * comes while packets are processed wakes the next wait at once.
 */
#define _GNU_SOURCE	/* ppoll */
#include "probe/probe_int.h"
#include "log/clock.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>

void
lc_init(struct live_clock *c, uint64_t wall, uint64_t mono)
{
	c->wall0 = wall;
	c->mono0 = mono;
	c->shift_us = 0;
}

uint64_t
lc_now(struct live_clock *c, uint64_t wall, uint64_t mono)
{
	uint64_t carried = c->wall0 + (mono - c->mono0);
	int64_t step = (int64_t)(carried - wall);

	if (step > -(int64_t)LC_STEP_US && step < (int64_t)LC_STEP_US) {
		/* Together (small drift, NTP slewing): the wall clock. */
		lc_init(c, wall, mono);
		return wall;
	}
	c->shift_us = step;
	return carried;
}

uint64_t
pb_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
pb_live_now(struct probe *p)
{
	uint64_t wall = clock_wall_us();

	return lc_now(&p->lc, wall, pb_mono_us());
}

/* Kernel and interface drops, per interface: a warning when they grew,
 * at most once a minute. */
void
pb_check_drops(struct probe *p, uint64_t now)
{
	struct cap_stats cs;
	uint64_t drops;
	int i;

	if (p->last_drop_log_us != 0 && now - p->last_drop_log_us <
	    DROP_LOG_US)
		return;
	for (i = 0; i < p->n_caps; i++) {
		cap_stats(p->caps[i].cap, &cs);
		drops = cs.kernel_drops + cs.if_drops;
		if (drops <= p->caps[i].drops_logged)
			continue;
		log_warn("interface '%s': %" PRIu64 " packets dropped since "
		    "the last report (kernel %" PRIu64 ", interface %" PRIu64
		    " in all; a larger --buffer-size may help)",
		    cap_name(p->caps[i].cap), drops - p->caps[i].drops_logged,
		    cs.kernel_drops, cs.if_drops);
		p->caps[i].drops_logged = drops;
		p->last_drop_log_us = now;
	}
}

/* Capture <i> failed with <r> (<err> says why): the others go on, and
 * <r> is returned only when none is left (the run ends), else 0. */
static int
cap_failed(struct probe *p, int i, int r, struct perr *err)
{
	p->caps[i].failed = 1;
	if (++p->n_caps_failed == p->n_caps)
		return r;
	log_err("%s (the other interfaces go on)", err->msg);
	return 0;
}

/*
 * Live: waits on every capture (at most until <deadline_us>), then reads
 * what each holds without blocking. Returns frames read, or a negative
 * errno with <err> filled.
 */
long
pb_live_read(struct probe *p, uint64_t deadline_us, const sigset_t *unblocked,
    struct perr *err)
{
	struct pollfd pfd[CONF_MAX_IFACES];
	struct timespec ts;
	uint64_t now = pb_mono_us(), wait_us;
	size_t n, total = 0;
	int i, r;

	wait_us = deadline_us > now ? deadline_us - now : 0;
	ts.tv_sec = (time_t)(wait_us / 1000000u);
	ts.tv_nsec = (long)(wait_us % 1000000u) * 1000;
	for (i = 0; i < p->n_caps; i++) {
		/* poll skips a negative descriptor. */
		pfd[i].fd = p->caps[i].failed ? -1 : cap_fd(p->caps[i].cap);
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	/* Signals are delivered only inside ppoll: a stop that comes while
	 * packets are processed wakes the next wait at once. */
	if (ppoll(pfd, (nfds_t)p->n_caps, &ts, unblocked) == -1) {
		int e = errno;

		if (e == EINTR)
			return 0;
		return perr_set(err, -e, "poll: %s", strerror(e));
	}
	/* The stamps of what is read now get the shift of now. */
	(void)pb_live_now(p);
	if ((now = pb_mono_us()) >= p->next_present_us) {
		p->next_present_us = now + PRESENT_US;
		for (i = 0; i < p->n_caps; i++)
			if (!p->caps[i].failed &&
			    (r = cap_check_present(p->caps[i].cap, err)) < 0 &&
			    (r = cap_failed(p, i, r, err)) < 0)
				return r;
	}
	for (i = 0; i < p->n_caps; i++) {
		if (pfd[i].revents == 0 || p->caps[i].failed)
			continue;
		/* A full ring may hold many batches: read them all, but
		 * give the other interfaces their turn. */
		p->cur_cap = i;
		do {
			r = cap_dispatch(p->caps[i].cap, DISPATCH_MAX,
			    pb_on_frame, p, &n, err);
			if (r < 0) {
				if ((r = cap_failed(p, i, r, err)) < 0)
					return r;
				break;
			}
			total += n;
			if (n > 0)
				p->caps[i].last_read_us = pb_mono_us();
		} while (n == DISPATCH_MAX && total < 64 * DISPATCH_MAX);
	}
	return (long)total;
}

/*
 * Stop: what the kernel captured before the stop is still in the rings,
 * some of it in blocks not yet handed over (they are after at most
 * RING_TIMEOUT_MS). A ring is drained once it gave a packet stamped after
 * the stop (it is read in order, so everything before came too) or stayed
 * empty that long; DRAIN_MAX_US at most.
 */
int
pb_drain(struct probe *p, const sigset_t *unblocked, struct perr *err)
{
	/* Stamps are compared with the wall clock at the stop, durations
	 * measured on the monotonic one. */
	uint64_t stop_wall = clock_wall_us(), start = pb_mono_us(), now, since;
	long n;
	int i;

	for (;;) {
		now = pb_mono_us();
		for (i = 0; i < p->n_caps; i++) {
			struct probe_cap *pc = &p->caps[i];

			since = pc->last_read_us > start ? pc->last_read_us :
			    start;
			if (!pc->failed && pc->last_ts_us < stop_wall &&
			    now - since < DRAIN_QUIET_US)
				break;		/* may hold more */
		}
		if (i == p->n_caps || now - start >= DRAIN_MAX_US)
			return 0;
		if ((n = pb_live_read(p, now + 50000, unblocked, err)) < 0)
			return (int)n;
	}
}

int
pb_run_live(struct probe *p, struct probe_signals *sig, struct perr *err)
{
	sigset_t saved, unblocked;
	uint64_t now, next_tick = 0, next_expire = 0;
	long n;
	int rc = 0;

	/* The signals stay blocked but while the loop waits in ppoll. */
	sigprocmask(SIG_BLOCK, &sig->mask, &saved);
	unblocked = saved;
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&sig->mask, s))
			sigdelset(&unblocked, s);
	while (!sig->stop && p->n_dead < p->n_ex) {
		/* Expiry runs more often than the tick: the table ends an
		 * idle flow within a second of its deadline, and a record
		 * must not wait for a whole tick more to leave. */
		if ((now = pb_mono_us()) >= next_expire) {
			if (pb_expire(p, pb_live_now(p)) > 0)
				pb_flush(p);
			next_expire = now + EXPIRE_US;
		}
		if (now >= next_tick) {
			pb_tick(p, now);
			next_tick = now + TICK_US;
		}
		pb_on_signals(p, sig);
		if (sig->stop)
			break;
		if ((n = pb_live_read(p, next_expire < next_tick ? next_expire :
		    next_tick, &unblocked, err)) < 0) {
			rc = (int)n;
			break;
		}
		/* Live packets do not wait for a full batch. */
		if (p->wk != NULL && n > 0) {
			wk_push(p->wk, 0);
			(void)wk_drain(p->wk);
		}
	}
	if (rc == 0 && p->n_dead < p->n_ex)
		rc = pb_drain(p, &unblocked, err);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	if (rc == 0 && p->n_caps_failed > 0) {
		perr_set(err, -EIO, "%d of %d interfaces stopped capturing "
		    "during the run (see above)", p->n_caps_failed, p->n_caps);
		rc = 1;
	}
	return rc;
}
