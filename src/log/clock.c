/*
 * clock.c - the wall clock in microseconds since the epoch.
 */
#include "log/clock.h"

#include <time.h>

uint64_t
clock_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
