/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbd --from-keepalived: the messages of every stage, and allocation that
 * notes running out of memory (c->oom) for the caller to stop on.
 *
 * Every message is kept with its position in the input (includes spliced
 * in) and printed once the whole input is read, sorted by it, so problems
 * come out in the order of the file whichever stage found them. They are
 * bounded: KA_MAX_KEPT kept, KA_MAX_SHOWN printed, and a count of the rest.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/keepalived/ka.h"

#define KA_MAX_SHOWN		100		/* messages printed */
#define KA_MAX_KEPT		10000		/* messages sorted */

struct msg {
	uint64_t seq;
	size_t n;
	char *text;
};

/* Messages */

/* s as it may appear in a message: printable ASCII, at most 64 characters. */
const char *
ka_q(struct conv *c, const char *s)
{
	char *b = c->ring[c->ring_i++ % KA_DIM(c->ring)];
	size_t i = 0;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (i >= 64) {
			memcpy(b + i, "...", 4);
			return b;
		}
		if (ch >= 0x20 && ch < 0x7f)
			b[i++] = (char)ch;
		else
			i += (size_t)snprintf(b + i, 5, "\\x%02x", ch);
	}
	b[i] = '\0';
	return b;
}

static void
vsay(struct conv *c, const struct where *w, bool is_note, const char *fmt, va_list ap)
{
	char text[640];
	struct msg *m;
	int n;

	if (!is_note)
		c->n_problems++;
	n = snprintf(text, sizeof(text), "%s:%d: %s", w->file, w->line,
			is_note ? "note: " : "");
	if (n >= 0 && (size_t)n < sizeof(text))
		vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
	if (c->n_msgs == c->cap_msgs) {
		size_t cap = c->cap_msgs ? c->cap_msgs * 2 : 64;

		if (cap > KA_MAX_KEPT)
			cap = KA_MAX_KEPT;
		m = cap > c->cap_msgs ? realloc(c->msgs, cap * sizeof(*m)) : NULL;
		if (m == NULL) {
			c->n_dropped++;
			return;
		}
		c->msgs = m;
		c->cap_msgs = cap;
	}
	m = &c->msgs[c->n_msgs];
	m->text = strdup(text);
	if (m->text == NULL) {
		c->n_dropped++;
		return;
	}
	m->seq = w->seq;
	m->n = c->n_msgs++;
}

void
ka_problem(struct conv *c, const struct where *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(c, w, false, fmt, ap);
	va_end(ap);
}

void
ka_note(struct conv *c, const struct where *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(c, w, true, fmt, ap);
	va_end(ap);
}

static int
msg_cmp(const void *a, const void *b)
{
	const struct msg *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->n < y->n ? -1 : x->n > y->n;
}

void
ka_print_msgs(struct conv *c)
{
	size_t i, more = c->n_dropped;

	if (c->n_msgs > 0)
		qsort(c->msgs, c->n_msgs, sizeof(*c->msgs), msg_cmp);
	for (i = 0; i < c->n_msgs; i++) {
		if (i < KA_MAX_SHOWN)
			fprintf(c->errs, "%s\n", c->msgs[i].text);
		else
			more++;
		free(c->msgs[i].text);
	}
	if (more > 0)
		fprintf(c->errs, "%s:0: %zu more message%s not shown\n", c->path, more,
				more == 1 ? "" : "s");
	free(c->msgs);
	c->msgs = NULL;
}

/* Memory */

void *
ka_xcalloc(struct conv *c, size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL)
		c->oom = true;
	return p;
}

char *
ka_xstrdup(struct conv *c, const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		c->oom = true;
	return p;
}

char *
ka_xasprintf(struct conv *c, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0) {
		c->oom = true;
		return NULL;
	}
	return p;
}
