/*
 * record.h - one ended flow record, as every encoder sees it.
 *
 * Pipeline position: flow table, hooks -> [record] -> ie (values) and
 * export (encoders). It lives below both, so the IE registry reads values
 * without knowing exporters, and exporters encode without knowing where
 * values come from.
 *
 * Today a record borrows: the flow (key, counters, and its ext area, where
 * the plugin fields live: see ie_register()), the reason, and the
 * classification, all valid for one exp_write() call on the thread that
 * owns the flow. When flows are handed from worker threads to one export
 * thread, a record will own copies of these instead (the ext area's
 * registered bytes and the classification strings); encoders reach the
 * values only through ie_get_uint()/ie_get_bytes(), so that change stays
 * inside this type and the registry's readers.
 */
#ifndef L7_RECORD_H
#define L7_RECORD_H

#include "dpi/dpi.h"
#include "flow/flow.h"

/* One ended flow record, borrowed for exp_write(). */
struct exp_record {
	const struct flow	*flow;
	enum flow_end_reason	reason;
	const struct dpi_info	*app;		/* never NULL for exporters */
};

#endif
