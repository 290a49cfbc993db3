/*
 * exp_int.h - the exporters known to export.c. Inside src/export/ only.
 */
#ifndef L7_EXP_INT_H
#define L7_EXP_INT_H

#include "export/export.h"

extern const struct exp_ops exp_json_ops;

#endif
