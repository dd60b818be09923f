/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration loader's inside, shared by its files:
 *   config.c          the two passes, the schema, the common readers, ports,
 *                     and the file's top-level groups;
 *   config_check.c    health-check groups (control/check.h);
 *   config_service.c  services and their real servers.
 * Nothing outside control/config*.c includes this: control/config.h is the
 * module's contract.
 */
#ifndef LB_CONFIG_INT_H
#define LB_CONFIG_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <libconfig.h>

#include "control/config.h"
#include "control/limits.h"

/* K_SECS: seconds, an integer or a fraction (min, max in milliseconds);
 * K_CODES: HTTP statuses, [ 200, 204 ] or [ "200-299", "301" ] */
enum kind { K_INT, K_STR, K_BOOL, K_STRS, K_LIST, K_GROUP, K_SECS, K_CODES };

struct key {
	const char *name;
	enum kind kind;
	bool required;
	long long min, max;		/* K_INT */
	const struct key *sub;		/* K_LIST (of groups), K_GROUP */
};

/* Problems are kept and printed in line order once the whole file is read. */
struct problem {
	int line;
	int seq;
	char *text;
};

struct loader {
	const char *path;
	FILE *errs;
	int n_errs;
	uint64_t n_dests;	/* real servers over all services so far */
	struct problem *problems;
	int n_kept;
	int cap;
};

/* The schema's tables other files read (config.c) */
extern const struct key conf_check_keys[];
extern const struct key conf_dest_keys[];
extern const struct key conf_service_keys[];

/* config.c */
bool conf_get_bool(const config_setting_t *g, const struct key *keys, const char *name,
		bool def);
bool conf_get_ip(struct loader *ld, const config_setting_t *s, const char *str,
		uint8_t want, uint8_t *af, union lb_ip *a);
void conf_get_mac(struct loader *ld, const config_setting_t *g, const struct key *keys,
		bool *has, uint8_t mac[6]);
const char *conf_get_str(const config_setting_t *g, const struct key *keys, const char *name);
bool conf_get_u32(const config_setting_t *g, const struct key *keys, const char *name,
		uint32_t *v);
bool conf_in_subnet(uint32_t addr, const struct lb_conf_port *p);
bool conf_over_limit(struct loader *ld, const config_setting_t *s, enum lb_limit l, uint64_t n);
void __attribute__((format(printf, 3, 4))) conf_report(struct loader *ld,
		const config_setting_t *s, const char *fmt, ...);
long long conf_secs_ms(const config_setting_t *s);
const config_setting_t *conf_valid(const config_setting_t *g, const struct key *keys,
		const char *name);

/* config_check.c */
struct lb_check_conf *conf_load_check(struct loader *ld, const config_setting_t *svc_g,
		const config_setting_t *dest_g, const config_setting_t *server, bool svc_quiet);

/* config_service.c */
void conf_free_service(struct lb_conf_service *svc);
void conf_load_services(struct loader *ld, struct lb_conf *conf, const config_setting_t *list);

#endif /* LB_CONFIG_INT_H */
