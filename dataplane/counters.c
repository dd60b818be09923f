/* SPDX-License-Identifier: BSD-3-Clause */
/* Names and descriptions of the drop reasons, from the one list in counters.h. */
#include "dataplane/counters.h"

const char *const lb_drop_name[LB_DROP_COUNT] = {
#define LB_X_NAME(name, desc) #name,
	LB_DROP_REASONS(LB_X_NAME)
#undef LB_X_NAME
};

const char *const lb_drop_desc[LB_DROP_COUNT] = {
#define LB_X_DESC(name, desc) desc,
	LB_DROP_REASONS(LB_X_DESC)
#undef LB_X_DESC
};
