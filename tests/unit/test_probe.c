/*
 * test_probe.c - the live clock of the probe (struct live_clock in
 * src/probe/probe_int.h), with the two clocks' readings injected: while
 * the wall clock keeps pace with the monotonic one (drift, slewing) the
 * table time is the wall clock and packet stamps are not shifted; after a
 * step of the wall clock, back or forward, table time goes on at the
 * monotonic pace from where it was (expiry neither stands still nor
 * jumps) and packet stamps are shifted onto that timeline; when the wall
 * clock agrees again, the shift is gone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "probe/probe_int.h"

#define S	1000000ull		/* one second, us */
#define WALL0	(1700000000ull * S)
#define MONO0	(5000ull * S)

/* Slow drift and slewing: the wall clock, no shift. */
static void
test_together(void **state)
{
	struct live_clock c;
	uint64_t i, wall, mono;

	(void)state;
	lc_init(&c, WALL0, MONO0);
	for (i = 1; i <= 100; i++) {
		wall = WALL0 + i * S;
		mono = MONO0 + i * S + i * 50;	/* 50 ppm apart */
		assert_int_equal(lc_now(&c, wall, mono), wall);
		assert_int_equal(c.shift_us, 0);
	}
}

/* A step back of an hour: table time keeps going up a second a second;
 * a packet stamped by the stepped clock lands on the table's timeline. */
static void
test_step_back(void **state)
{
	struct live_clock c;
	uint64_t t, prev, i, stamp;

	(void)state;
	lc_init(&c, WALL0, MONO0);
	prev = lc_now(&c, WALL0 + 10 * S, MONO0 + 10 * S);
	assert_int_equal(prev, WALL0 + 10 * S);
	for (i = 11; i < 200; i++) {
		/* The wall clock went back 3600 s at second 10.5. */
		t = lc_now(&c, WALL0 + i * S - 3600 * S, MONO0 + i * S);
		assert_int_equal(t, WALL0 + i * S);
		assert_true(t > prev);
		assert_int_equal(c.shift_us, (int64_t)(3600 * S));
		prev = t;
	}
	/* A packet the kernel stamped at that moment. */
	stamp = WALL0 + 199 * S - 3600 * S + 1234;
	assert_int_equal(stamp + (uint64_t)c.shift_us, WALL0 + 199 * S + 1234);
}

/* A step forward of a day does not end every flow at once. */
static void
test_step_forward(void **state)
{
	struct live_clock c;
	uint64_t t;

	(void)state;
	lc_init(&c, WALL0, MONO0);
	t = lc_now(&c, WALL0 + 2 * S + 86400 * S, MONO0 + 2 * S);
	assert_int_equal(t, WALL0 + 2 * S);
	assert_int_equal(c.shift_us, -(int64_t)(86400 * S));
	t = lc_now(&c, WALL0 + 3 * S + 86400 * S, MONO0 + 3 * S);
	assert_int_equal(t, WALL0 + 3 * S);
}

/* The wall clock stepped back, then was set right again: no shift, the
 * wall clock again; under a second apart counts as together. */
static void
test_agree_again(void **state)
{
	struct live_clock c;

	(void)state;
	lc_init(&c, WALL0, MONO0);
	(void)lc_now(&c, WALL0 + 5 * S - 60 * S, MONO0 + 5 * S);
	assert_int_equal(c.shift_us, (int64_t)(60 * S));
	assert_int_equal(lc_now(&c, WALL0 + 9 * S + 900000, MONO0 + 9 * S),
	    WALL0 + 9 * S + 900000);
	assert_int_equal(c.shift_us, 0);
	/* 1 s apart is a step. */
	assert_int_equal(lc_now(&c, WALL0 + 11 * S, MONO0 + 12 * S),
	    WALL0 + 12 * S + 900000);
	assert_int_equal(c.shift_us, (int64_t)(S + 900000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_together),
		cmocka_unit_test(test_step_back),
		cmocka_unit_test(test_step_forward),
		cmocka_unit_test(test_agree_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
