/*
 * test_dpi_start.c - the first nDPI modules of a process start one at a
 * time (src/dpi/dpi_ndpi.c, start_module).
 *
 * nDPI's first module in a process initialises libgcrypt, without a lock:
 * two first modules started at once in two threads (two streamers of the
 * library, say) could abort inside libgcrypt, a few times in a hundred.
 * This program stands in for gcry_check_version(), which nDPI calls while
 * it does so, holds every call for 50 ms to make the window wide, and
 * starts four dpi instances at once as its first: the calls must never
 * overlap, and only the first module makes one.
 *
 * A program of its own: the modules must be the first of the process.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define _GNU_SOURCE		/* RTLD_NEXT */
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "dpi/dpi.h"

#define N_THREADS	4

static atomic_int inside, most_inside, calls;
static pthread_barrier_t go;

/* libgcrypt's, interposed: nDPI calls it while it sets libgcrypt up. */
const char *gcry_check_version(const char *req);

const char *
gcry_check_version(const char *req)
{
	const char *(*real)(const char *);
	struct timespec hold = { 0, 50 * 1000 * 1000 };
	const char *r;
	int n, m;

	atomic_fetch_add(&calls, 1);
	n = atomic_fetch_add(&inside, 1) + 1;
	m = atomic_load(&most_inside);
	while (n > m && !atomic_compare_exchange_weak(&most_inside, &m, n))
		;
	nanosleep(&hold, NULL);
	real = (const char *(*)(const char *))dlsym(RTLD_NEXT,
	    "gcry_check_version");
	r = real != NULL ? real(req) : NULL;
	atomic_fetch_sub(&inside, 1);
	return r;
}

static void *
start_one(void *arg)
{
	struct dpi_conf conf;
	struct perr err;
	struct dpi *d;

	(void)arg;
	dpi_conf_defaults(&conf);
	memset(&err, 0, sizeof(err));
	pthread_barrier_wait(&go);
	d = dpi_new(&conf, &err);
	if (d == NULL)
		return (void *)1;
	dpi_free(d);
	return NULL;
}

static void
test_first_modules(void **unused)
{
	pthread_t t[N_THREADS];
	void *rv;
	int i;

	(void)unused;
	assert_int_equal(pthread_barrier_init(&go, NULL, N_THREADS), 0);
	for (i = 0; i < N_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, start_one, NULL),
		    0);
	for (i = 0; i < N_THREADS; i++) {
		assert_int_equal(pthread_join(t[i], &rv), 0);
		assert_null(rv);
	}
	pthread_barrier_destroy(&go);
	/* nDPI as Debian builds it sets up libgcrypt: this program's
	 * stand-in was called, by the first module only. */
	if (dlsym(RTLD_NEXT, "gcry_check_version") != NULL)
		assert_int_equal(atomic_load(&calls), 1);
	assert_true(atomic_load(&most_inside) <= 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_modules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
