/*
 * dpi_int.h - the dpi module's per-flow word and string arena; shared only
 * with its white-box tests (tests/unit/test_dpi.c). No nDPI types here.
 *
 * A flow's ext area holds one 64-bit word (struct dpi_flow), all zero for
 * a flow not seen yet. Bits 0-1 are the state; the rest depends on it:
 *   DPI_RUNNING  the word less its state bits is a block from malloc: a
 *                DPI_RUN_HDR header (the packets fed so far) and nDPI's
 *                flow state right after it;
 *   DPI_HELD     bits 32-63: the string arena handle of the block of the
 *                TCP headers held (see dpi_ndpi.c, held_add);
 *   DPI_DONE     the result, packed as below, and in bits 32-63 the
 *                handle of the block of the metadata strings (0 = none).
 *
 * DONE bits:  0-1 state, 2-10 master id, 11-19 app id, 20-26 category,
 *             27-29 confidence, 30 guessed, 31 unused, 32-63 handle.
 * dpi_ndpi.c checks against nDPI's headers that its ids, categories and
 * confidence values fit these widths.
 */
#ifndef L7_DPI_INT_H
#define L7_DPI_INT_H

#include <stdint.h>

#include "dpi/dpi.h"

enum dpi_state {
	DPI_IDLE = 0,
	DPI_RUNNING,
	DPI_DONE,
	DPI_HELD,
};

#define DPI_STATE_BITS		2
#define DPI_ID_BITS		9	/* nDPI ids: < NDPI_NUM_BITS (512) */
#define DPI_CAT_BITS		7	/* nDPI categories: < 106 */
#define DPI_CONF_BITS		3	/* ndpi_confidence_t: < 5 */
#define DPI_RUN_HDR		16	/* header before nDPI's flow state */

#define DPI_MASTER_SHIFT	DPI_STATE_BITS
#define DPI_APP_SHIFT		(DPI_MASTER_SHIFT + DPI_ID_BITS)
#define DPI_CAT_SHIFT		(DPI_APP_SHIFT + DPI_ID_BITS)
#define DPI_CONF_SHIFT		(DPI_CAT_SHIFT + DPI_CAT_BITS)
#define DPI_GUESSED_SHIFT	(DPI_CONF_SHIFT + DPI_CONF_BITS)
#define DPI_HANDLE_SHIFT	32

_Static_assert(DPI_GUESSED_SHIFT < DPI_HANDLE_SHIFT,
    "the DONE fields must fit below the handle");

/* The per-flow state in flow->ext: 8 bytes, see above. */
struct dpi_flow {
	uint64_t	w;
};

/* A finished flow's result, unpacked. */
struct dpi_result {
	uint16_t	master_id;	/* < 1 << DPI_ID_BITS */
	uint16_t	app_id;		/* < 1 << DPI_ID_BITS */
	uint16_t	category;	/* < 1 << DPI_CAT_BITS */
	uint8_t		confidence;	/* < 1 << DPI_CONF_BITS */
	uint8_t		guessed;	/* 0 or 1 */
	uint32_t	strs;		/* arena handle, 0 = no strings */
};

static inline enum dpi_state
dpi_flow_state(uint64_t w)
{
	return (enum dpi_state)(w & ((1U << DPI_STATE_BITS) - 1));
}

/* The word of a DONE flow with result <r> (each field within its width). */
static inline uint64_t
dpi_result_pack(const struct dpi_result *r)
{
	return (uint64_t)DPI_DONE |
	    (uint64_t)r->master_id << DPI_MASTER_SHIFT |
	    (uint64_t)r->app_id << DPI_APP_SHIFT |
	    (uint64_t)r->category << DPI_CAT_SHIFT |
	    (uint64_t)r->confidence << DPI_CONF_SHIFT |
	    (uint64_t)(r->guessed != 0) << DPI_GUESSED_SHIFT |
	    (uint64_t)r->strs << DPI_HANDLE_SHIFT;
}

static inline void
dpi_result_unpack(uint64_t w, struct dpi_result *r)
{
	r->master_id = (uint16_t)(w >> DPI_MASTER_SHIFT &
	    ((1U << DPI_ID_BITS) - 1));
	r->app_id = (uint16_t)(w >> DPI_APP_SHIFT & ((1U << DPI_ID_BITS) - 1));
	r->category = (uint16_t)(w >> DPI_CAT_SHIFT &
	    ((1U << DPI_CAT_BITS) - 1));
	r->confidence = (uint8_t)(w >> DPI_CONF_SHIFT &
	    ((1U << DPI_CONF_BITS) - 1));
	r->guessed = (uint8_t)(w >> DPI_GUESSED_SHIFT & 1);
	r->strs = (uint32_t)(w >> DPI_HANDLE_SHIFT);
}

/*
 * The string arena: blocks of whole 4-byte units (1 to DPI_STR_MAX_UNITS)
 * carved from 64 KiB chunks. A block is named by a 32-bit handle, chunk
 * index << 14 | offset in units; 0 is no block. The chunk table is
 * process-wide, so any struct dpi (any thread) resolves any handle; each
 * struct dpi allocates from its own chunks and keeps its own free lists,
 * so only the struct dpi that allocated a block may free it.
 */
#define DPI_STR_UNIT		4
#define DPI_STR_CHUNK		65536
#define DPI_STR_OFF_BITS	14	/* units in a chunk */
#define DPI_STR_MAX_CHUNKS	(1U << (32 - DPI_STR_OFF_BITS))
#define DPI_STR_MAX_UNITS	256	/* 1 KiB: more than the longest
					 * block */
_Static_assert(DPI_STR_CHUNK / DPI_STR_UNIT == 1U << DPI_STR_OFF_BITS,
    "a handle's offset must address every unit of a chunk");

/* A block of <units>: its handle, or 0 when memory (or the table) is
 * short. Owner's thread only. */
uint32_t	dpi_str_alloc(struct dpi *d, uint32_t units);
/* Gives back block <h> of <units>, allocated by <d>. Owner's thread
 * only. */
void		dpi_str_free(struct dpi *d, uint32_t h, uint32_t units);
/* The bytes of block <h> (not 0), allocated by any struct dpi still
 * alive; any thread. */
unsigned char	*dpi_str_block(uint32_t h);

#endif
