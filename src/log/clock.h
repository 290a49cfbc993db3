/*
 * clock.h - the probe's one time type: uint64_t microseconds since the
 * epoch. A leaf, like log.h: anyone may use it.
 */
#ifndef L7_CLOCK_H
#define L7_CLOCK_H

#include <stdint.h>

/* The wall clock (CLOCK_REALTIME), in the unit packet timestamps use. */
uint64_t clock_wall_us(void);

#endif
