/*
 * plugin.h - per-flow hooks: the built-in classifier (nDPI) and plugins
 * (include/l7probe/plugin.h), with their slots in the flow's ext area and
 * their fields in the IE registry.
 *
 * Pipeline position: flow table -> [hooks: dpi, plugins] -> export.
 * The flow table calls one packet callback and one end callback; the
 * probe hands both to a struct plug_set, which calls every hook in order:
 * the core's own hooks first (nDPI), then each plugin. Each hook gets a
 * slot of the ext area, 8-aligned, handed out here; offset 0 holds the
 * set's own per-flow header, so no client relies on being first.
 *
 * Plugins are the bundled ones (src/plugin/plugins/, by name) or shared
 * objects (dlopen). Loading checks everything (API version, descriptor,
 * fields, init()) and registers the fields (ie_register) in the set's own
 * registry instance (plug_set_reg), which the probe hands to its
 * exporters; on any error nothing stays loaded. Sets are independent:
 * several, with different plugins, live in one process.
 *
 * Threading: one set per thread owning flows (the plugin contexts are
 * shared: see the rules in l7probe/plugin.h); setup and free on the main
 * thread. The per-packet path does not allocate.
 */
#ifndef L7_PLUGIN_H
#define L7_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"
#include "flow/flow.h"
#include "log/log.h"
#include "l7probe/plugin.h"

/* A core hook (nDPI). Every function may be NULL; <slot> is the hook's
 * ext bytes in <f>. */
struct plug_hook {
	const char	*name;
	size_t		ext_size;	/* bytes per flow, 0 = none */
	void		*arg;
	/* Every counted packet. Returns FLOW_PKT_CONTINUE/FLOW_PKT_EXPORT. */
	int		(*on_packet)(void *arg, struct flow *f, void *slot,
			    enum flow_dir dir, const struct dec_pkt *pkt);
	/* A record ends (any reason, active timeout too), before export. */
	void		(*on_end)(void *arg, struct flow *f, void *slot,
			    enum flow_end_reason reason);
	/* The flow is freed (not for FLOW_END_ACTIVE), after its export. */
	void		(*on_release)(void *arg, struct flow *f, void *slot);
	/* Set by plug_set_new(): the slot's offset in flow->ext. */
	size_t		off;
};

/* Application names for the flow view; fills <name>, <cat>. */
typedef void (*plug_app_cb)(const struct flow *f, void *arg, char *name,
	    size_t name_size, char *cat, size_t cat_size);

/* A plugin given by its descriptor (a program's own callbacks: the
 * library), with the context its hooks get. init(), if any, is called
 * with "" and may replace ctx. */
struct plug_user {
	const struct l7_plugin	*d;	/* borrowed for the set's life */
	void			*ctx;
};

struct plug_set_conf {
	const char	*const *specs;	/* "NAME[:ARGS]" bundled, or
					 * "PATH.so[:ARGS]"; borrowed */
	int		n_specs;
	const struct plug_user *user;	/* after the specs; borrowed */
	int		n_user;
	struct plug_hook *hooks;	/* core hooks, first; their off is
					 * set; borrowed for the set's life */
	int		n_hooks;
	plug_app_cb	app;		/* NULL: names are "Unknown" */
	void		*app_arg;
};

struct plug_set;

/*
 * Loads every plugin, lays out the ext area, registers the plugin fields
 * in the set's IE registry instance. Returns owned (plug_set_free), or
 * NULL with <err> naming the plugin: -ENOENT unknown bundled name or no
 * such file, -EINVAL bad descriptor, API version, field or clash, init()
 * failure. Then nothing is left loaded nor registered.
 */
struct plug_set *plug_set_new(const struct plug_set_conf *conf,
	    struct perr *err);
/* Calls each plugin's on_exit once, unloads, unregisters the fields.
 * NULL is fine. */
void	plug_set_free(struct plug_set *ps);

/* Bytes of flow->ext every flow needs (flow_table_conf.ext_size). */
size_t	plug_set_ext_size(const struct plug_set *ps);
/* Number of plugins loaded. */
int	plug_set_count(const struct plug_set *ps);
/* Offset in flow->ext of plugin <i>'s slot (specs first, then user
 * descriptors, in order): a metric's value or a classifier's state. */
size_t	plug_set_slot(const struct plug_set *ps, int i);
/* The set's IE registry: the built-in rows and the plugin fields; owned
 * by the set, read-only once plug_set_new() returned (exp_conf.reg). */
struct ie_reg;
const struct ie_reg *plug_set_reg(const struct plug_set *ps);
/* Number of registry rows the set added (plugin fields). */
int	plug_set_n_fields(const struct plug_set *ps);

/* flow_pkt_cb work: every hook, in order. FLOW_PKT_EXPORT when any asked
 * (the others still see the packet). */
int	plug_packet(struct plug_set *ps, struct flow *f, enum flow_dir dir,
	    const struct dec_pkt *pkt);
/* A record of <f> ends, before it is exported: hooks' on_end; for a final
 * end (not FLOW_END_ACTIVE) the plugins' on_flow_terminate. */
void	plug_flow_end(struct plug_set *ps, struct flow *f,
	    enum flow_end_reason reason);
/* <f> is about to be freed (after its last export). */
void	plug_flow_release(struct plug_set *ps, struct flow *f);

/* Names of the bundled plugins, NULL-terminated; static. */
const char *const *plug_bundled_names(void);

#endif
