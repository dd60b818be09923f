/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbd --from-keepalived: write the LVS part of a keepalived.conf (its
 * virtual_server blocks, their real servers and health checkers) as an lbd
 * configuration file.
 *
 * The conversion resolves keepalived's defaults and precedence itself and
 * writes explicit values, so that the result means what the keepalived.conf
 * meant whatever lbd's own defaults are. What it cannot convert is reported,
 * never dropped in silence. It touches no DPDK and needs no root, like
 * lbd --check. Control thread only.
 */
#ifndef LB_KEEPALIVED_H
#define LB_KEEPALIVED_H

#include <stdio.h>

/*
 * Convert the keepalived.conf at path (and the files it includes). The lbd
 * configuration goes to out; every problem and note goes to errs as
 * "FILE:LINE: message" (notes as "FILE:LINE: note: message"), in the order
 * of the input.
 *
 * Returns the number of problems, 0 when everything was converted (notes do
 * not count). Else a negative errno, with nothing written to out: -errno
 * when path cannot be read, -ENODATA when no virtual_server could be
 * converted, -ENOMEM; or -EIO when writing to out failed.
 */
int lb_keepalived_convert(const char *path, FILE *out, FILE *errs);

#endif
