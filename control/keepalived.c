/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbd --from-keepalived (see keepalived.h).
 *
 * Two stages. The reader turns the file and its includes into a tree of
 * statements (a keyword, its words, maybe a { } block) the way keepalived's
 * parser reads it: blank-separated words, "..." and '...' strings, braces as
 * words of their own, # and ! comments, one statement per line, included
 * files spliced in where the include stands. The converter then walks the
 * tree into services and real servers, resolving keepalived's precedence (a
 * checker's option over its real server's over its virtual server's over
 * keepalived's default) into explicit values.
 *
 * Every message is kept with its position in the input (includes spliced
 * in) and printed once the whole input is read, sorted by it, so problems
 * come out in the order of the file whichever stage found them. Any input is
 * safe: files, words, nesting, includes and messages are all bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/config.h"
#include "control/keepalived.h"
#include "control/limits.h"
#include "dataplane/sched.h"

#define KA_MAX_INCLUDE_DEPTH	8
#define KA_MAX_NESTING		32		/* blocks within blocks */
#define KA_MAX_FILE		(16u << 20)	/* bytes, one file */
#define KA_MAX_INPUT		(64u << 20)	/* bytes, all files */
#define KA_MAX_WORDS		(1u << 20)
#define KA_MAX_SHOWN		100		/* messages printed */
#define KA_MAX_KEPT		10000		/* messages sorted */
#define KA_MAX_CODES		32		/* status_code ranges of a url */
#define KA_MAX_FLAGS		8		/* scheduler flag keywords kept */
#define KA_USEC			1000000ll
#define KA_UNSET		(-1)
#define KA_DIM(a)		(sizeof(a) / sizeof((a)[0]))

/* A position in the input: seq orders positions across included files. */
struct where {
	const char *file;
	int line;
	uint64_t seq;
};

/* One statement: "kw argv... [{ children }]". */
struct node {
	char *kw;		/* NULL: a block with no keyword (reported) */
	char **argv;
	int argc;
	int cap;
	struct where w;
	bool block;
	bool include;		/* an include, done by the reader */
	struct node *child;
	struct node *last;
	struct node *next;
};

/* A file being read. The stack holds it, then what is read after it. */
struct src {
	struct src *below;
	const struct src *parent;	/* the file whose include read it */
	const char *path;
	dev_t dev;
	ino_t ino;
	char *buf;
	size_t len;
	size_t pos;
	int line;
	int depth;
	bool ended;		/* its last end of line was returned */
};

struct name {
	struct name *next;
	char s[];
};

enum tok { T_EOF, T_EOL, T_WORD, T_OPEN, T_CLOSE };

struct msg {
	uint64_t seq;
	size_t n;
	char *text;
};

/* A check group's keys in the order they are written; values are lbd text. */
enum ck_key {
	CK_TYPE, CK_DELAY_LOOP, CK_CONNECT_TIMEOUT, CK_RETRY, CK_DELAY_BEFORE_RETRY,
	CK_WARMUP, CK_ALPHA, CK_INHIBIT, CK_CONNECT_IP, CK_CONNECT_PORT, CK_PATH,
	CK_STATUS_CODE, CK_DIGEST, CK_VIRTUALHOST, CK_COMMAND, CK_TIMEOUT, CK_DYNAMIC,
	CK_COUNT,
};

static const char *const ck_names[CK_COUNT] = {
	"type", "delay_loop", "connect_timeout", "retry", "delay_before_retry",
	"warmup", "alpha", "inhibit_on_failure", "connect_ip", "connect_port", "path",
	"status_code", "digest", "virtualhost", "command", "timeout", "dynamic",
};

struct check {
	char *v[CK_COUNT];	/* NULL: not set */
};

enum ck_type { CT_NONE, CT_TCP, CT_HTTP, CT_HTTPS, CT_MISC };

static const char *const ct_names[] = { "none", "tcp", "http", "https", "misc" };

struct dest {
	struct dest *next;
	struct where w;
	char *title;
	uint32_t addr;		/* network order */
	int64_t weight;
	int64_t uthreshold;
	int64_t lthreshold;
	struct check ck;
};

struct svc {
	struct svc *next;
	struct where w;
	char *title;
	uint8_t proto;
	uint32_t vip;		/* network order */
	uint16_t port;
	char sched[8];
	const char *flags[4];
	unsigned int n_flags;
	uint32_t persistence;
	bool has_netmask;
	uint32_t netmask;	/* network order */
	int64_t quorum;
	int64_t hysteresis;
	struct where quorum_w;
	struct where hysteresis_w;
	bool has_sorry;
	uint32_t sorry;		/* network order */
	struct where sorry_w;
	struct dest *dests;
	struct dest **dest_tail;
	unsigned int n_dests;
	bool hoisted;		/* ck is the service's check group */
	struct check ck;
};

/* The options a virtual server, a real server and a checker share. */
struct opts {
	int64_t delay_loop;		/* microseconds, or KA_UNSET */
	int64_t connect_timeout;
	int64_t retry;
	int64_t delay_before_retry;
	int64_t warmup;
	int alpha;			/* 0, 1 or KA_UNSET */
	int inhibit;
	const char *vhost;
};

/* What one checker block says. */
struct checker {
	enum ck_type type;
	struct opts o;
	const char *connect_ip;
	int64_t connect_port;
	bool url_seen;
	struct where url_w;
	const char *path;
	char digest[33];
	const char *url_vhost;
	uint16_t codes[KA_MAX_CODES][2];
	unsigned int n_codes;
	char *command;
	int64_t timeout;
	bool dynamic;
};

/* The one-time notes for blocks that stay keepalived's. */
static const char *const skipped_kinds[] = {
	"global_defs", "static_ipaddress", "static_routes", "static_rules",
	"static_track_group", "linkbeat_interfaces", "interface_up_down_delays",
	"track_file", "bfd_instance", "net_namespace", "net_namespace_ipvs",
	"namespace_with_ipsets", "instance", "use_pid_dir", "linkbeat_use_polling",
	"child_wait_time",
};

static const char *const vrrp_kinds[] = {
	"vrrp_instance", "vrrp_sync_group", "vrrp_script", "vrrp_track_process",
	"vrrp_track_file", "garp_group",
};

struct conv {
	FILE *errs;
	const char *path;
	bool oom;
	/* reader */
	struct src *top;
	struct name *names;
	size_t input;
	uint64_t seq;
	unsigned long words;
	char *word;
	size_t word_len;
	size_t word_cap;
	bool glob_line;		/* an include's line: braces are the glob's */
	/* messages */
	struct msg *msgs;
	size_t n_msgs;
	size_t cap_msgs;
	size_t n_dropped;
	int n_problems;
	char ring[4][80];
	unsigned int ring_i;
	bool skipped_seen[KA_DIM(skipped_kinds)];
	const char *vrrp_seen[KA_DIM(vrrp_kinds)];	/* in the order they come */
	unsigned int n_vrrp;
	struct where vrrp_w;
	/* result */
	struct svc *svcs;
	struct svc **svc_tail;
	unsigned int n_svcs;
	unsigned long n_dests;
	uint32_t nets[LB_MAX_PORTS];	/* the ports' /24s, network order */
	uint32_t ports[LB_MAX_PORTS];	/* their addresses */
	unsigned int n_nets;
	bool has_timeouts;
	struct where timeouts_w;
	uint32_t timeouts[3];	/* tcp, tcpfin, udp; 0 = unchanged */
};

/* Messages */

/* s as it may appear in a message: printable ASCII, at most 64 characters. */
static const char *
q(struct conv *c, const char *s)
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

static void __attribute__((format(printf, 3, 4)))
problem(struct conv *c, const struct where *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(c, w, false, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 3, 4)))
note(struct conv *c, const struct where *w, const char *fmt, ...)
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

static void
print_msgs(struct conv *c)
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

static void *
xcalloc(struct conv *c, size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL)
		c->oom = true;
	return p;
}

static char *
xstrdup(struct conv *c, const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		c->oom = true;
	return p;
}

static char * __attribute__((format(printf, 2, 3)))
xasprintf(struct conv *c, const char *fmt, ...)
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

/* The reader */

static const char *
intern(struct conv *c, const char *path)
{
	size_t n = strlen(path) + 1;
	struct name *nm = malloc(sizeof(*nm) + n);

	if (nm == NULL) {
		c->oom = true;
		return NULL;
	}
	memcpy(nm->s, path, n);
	nm->next = c->names;
	c->names = nm;
	return nm->s;
}

/* Read path whole into s: 0 or -errno (-EFBIG over the size limits). */
static int
read_all(struct conv *c, const char *path, struct src *s)
{
	size_t cap = 0, len = 0, limit = KA_MAX_INPUT - c->input;
	char *buf = NULL, *nb;
	struct stat st;
	int fd, err = 0;
	ssize_t r;

	if (limit > KA_MAX_FILE)
		limit = KA_MAX_FILE;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto fail;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				err = -ENOMEM;
				goto fail;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > limit) {
			err = -EFBIG;
			goto fail;
		}
	}
	close(fd);
	c->input += len;
	s->buf = buf;
	s->len = len;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->line = 1;
	return 0;
fail:
	free(buf);
	close(fd);
	return err;
}

static const char *
read_error(int err)
{
	return err == -EFBIG ? "too large (lbd reads 16 MiB per file, 64 MiB in all)" :
			strerror(-err);
}

static bool
word_reserve(struct conv *c)
{
	size_t cap;
	char *p;

	if (c->word_len + 1 < c->word_cap)
		return true;
	cap = c->word_cap ? c->word_cap * 2 : 64;
	p = realloc(c->word, cap);
	if (p == NULL) {
		c->oom = true;
		return false;
	}
	c->word = p;
	c->word_cap = cap;
	return true;
}

static void
word_add(struct conv *c, unsigned char ch)
{
	if (ch != '\0' && word_reserve(c))
		c->word[c->word_len++] = (char)ch;
}

static int
hexval(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* The character a backslash escape in a quoted string stands for (the shell's). */
static unsigned char
unescape(struct src *s)
{
	unsigned char e = (unsigned char)s->buf[s->pos++];
	unsigned int v, i;

	switch (e) {
	case 'a': return '\a';
	case 'b': return '\b';
	case 'E': return 0x1b;
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'v': return '\v';
	case 'x':
		for (v = 0, i = 0; i < 2 && s->pos < s->len &&
				hexval((unsigned char)s->buf[s->pos]) >= 0; i++)
			v = v * 16 + (unsigned int)hexval((unsigned char)s->buf[s->pos++]);
		return i > 0 ? (unsigned char)v : 'x';
	case 'c':
		if (s->pos < s->len && s->buf[s->pos] != '\n')
			return (unsigned char)s->buf[s->pos++] & 0x1f;
		return 'c';
	default:
		if (e >= '0' && e <= '7') {
			for (v = e - '0', i = 1; i < 3 && s->pos < s->len &&
					s->buf[s->pos] >= '0' && s->buf[s->pos] <= '7'; i++)
				v = v * 8 + (unsigned int)(s->buf[s->pos++] - '0');
			return (unsigned char)v;
		}
		return e;
	}
}

static bool
is_blank(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f' ||
		ch == '\0';
}

/*
 * A word: runs of plain characters and quoted strings, quotes removed. As in
 * keepalived, # and ! start a comment anywhere but between double quotes
 * (\# and \! outside quotes are the characters themselves).
 */
static void
read_word(struct conv *c, struct src *s, const struct where *w)
{
	unsigned char ch, quote;

	c->word_len = 0;
	word_reserve(c);
	while (s->pos < s->len) {
		ch = (unsigned char)s->buf[s->pos];
		if (ch == '\n' || is_blank(ch) || ch == '#' || ch == '!' ||
				((ch == '{' || ch == '}') && !c->glob_line))
			break;
		s->pos++;
		if (ch == '\\' && s->pos < s->len &&
				(s->buf[s->pos] == '#' || s->buf[s->pos] == '!')) {
			word_add(c, (unsigned char)s->buf[s->pos++]);
			continue;
		}
		if (ch != '"' && ch != '\'') {
			word_add(c, ch);
			continue;
		}
		quote = ch;
		for (;;) {
			if (s->pos >= s->len || s->buf[s->pos] == '\n' || (quote == '\'' &&
					(s->buf[s->pos] == '#' || s->buf[s->pos] == '!'))) {
				problem(c, w, "unterminated quoted string: it ends at the end"
						" of the line");
				break;
			}
			ch = (unsigned char)s->buf[s->pos++];
			if (ch == quote)
				break;
			if (ch == '\\' && s->pos < s->len && s->buf[s->pos] != '\n')
				ch = unescape(s);
			word_add(c, ch);
		}
	}
	if (c->word != NULL)
		c->word[c->word_len] = '\0';
}

static enum tok
next_tok(struct conv *c, struct where *w)
{
	struct src *s;
	unsigned char ch;

	for (;;) {
		s = c->top;
		if (s == NULL || c->words > KA_MAX_WORDS)
			return T_EOF;
		w->file = s->path;
		w->line = s->line;
		if (s->pos >= s->len) {
			if (!s->ended) {	/* a file's end ends its last statement */
				s->ended = true;
				w->seq = c->seq++;
				return T_EOL;
			}
			c->top = s->below;
			free(s->buf);
			free(s);
			continue;
		}
		ch = (unsigned char)s->buf[s->pos];
		if (is_blank(ch)) {
			s->pos++;
			continue;
		}
		if (ch == '#' || ch == '!') {
			while (s->pos < s->len && s->buf[s->pos] != '\n')
				s->pos++;
			continue;
		}
		w->seq = c->seq++;
		s->pos++;
		if (ch == '\n') {
			s->line++;
			return T_EOL;
		}
		if (ch == '{' && !c->glob_line)
			return T_OPEN;
		if (ch == '}' && !c->glob_line)
			return T_CLOSE;
		s->pos--;
		read_word(c, s, w);
		if (++c->words > KA_MAX_WORDS) {
			problem(c, w, "more than %u words: the rest of the input is not read",
					KA_MAX_WORDS);
			return T_EOF;
		}
		if (c->word == NULL)
			return T_EOF;	/* out of memory */
		return T_WORD;
	}
}

static bool
is_include(const char *kw)
{
	return kw != NULL && (strcmp(kw, "include") == 0 || strcmp(kw, "includer") == 0 ||
			strcmp(kw, "includem") == 0 || strcmp(kw, "includew") == 0 ||
			strcmp(kw, "includeb") == 0 || strcmp(kw, "includea") == 0);
}

/*
 * Splice in the files an include names, relative to the including file's
 * folder, in glob order. They are read now, each checked against the files
 * that include it (a loop) and the depth, and put on top of the stack in
 * order, so that they are read before the rest of the including file.
 */
static void
do_include(struct conv *c, const struct node *n)
{
	const struct src *inc = c->top, *a;
	struct src *list = NULL, **tail = &list, *s;
	const char *arg, *slash;
	char *pattern;
	glob_t g;
	size_t i;
	int rc, err;

	if (n->argc == 0) {
		problem(c, &n->w, "%s needs a file name: nothing included", n->kw);
		return;
	}
	arg = n->argv[0];
	if (n->argc > 1)
		problem(c, &n->w, "%s takes one file name: '%s' and what follows ignored",
				n->kw, q(c, n->argv[1]));
	slash = strrchr(inc->path, '/');
	if (arg[0] != '/' && slash != NULL)
		pattern = xasprintf(c, "%.*s/%s", (int)(slash - inc->path), inc->path, arg);
	else
		pattern = xstrdup(c, arg);
	if (pattern == NULL)
		return;
	rc = glob(pattern, GLOB_BRACE, NULL, &g);
	if (rc != 0) {
		if (rc == GLOB_NOMATCH)
			problem(c, &n->w, "%s '%s': no such file: nothing included", n->kw,
					q(c, arg));
		else
			problem(c, &n->w, "%s '%s': cannot list the files: nothing included",
					n->kw, q(c, arg));
		free(pattern);
		return;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i];

		if (inc->depth >= KA_MAX_INCLUDE_DEPTH) {
			problem(c, &n->w, "%s '%s': includes nested more than %d deep: not read",
					n->kw, q(c, arg), KA_MAX_INCLUDE_DEPTH);
			break;
		}
		s = xcalloc(c, 1, sizeof(*s));
		if (s == NULL)
			break;
		s->path = intern(c, path);
		err = s->path != NULL ? read_all(c, path, s) : -ENOMEM;
		if (err < 0) {
			problem(c, &n->w, "cannot read %s: %s: not included", q(c, path),
					read_error(err));
			free(s);
			continue;
		}
		for (a = inc; a != NULL; a = a->parent)
			if (a->dev == s->dev && a->ino == s->ino)
				break;
		if (a != NULL) {
			problem(c, &n->w, "include loop: %s is already being read: not read"
					" again", q(c, path));
			c->input -= s->len;
			free(s->buf);
			free(s);
			continue;
		}
		s->parent = inc;
		s->depth = inc->depth + 1;
		*tail = s;
		tail = &s->below;
	}
	globfree(&g);
	free(pattern);
	*tail = c->top;
	c->top = list;
}

static struct node *
new_node(struct conv *c, struct node *parent, const struct where *w, const char *kw)
{
	struct node *n = xcalloc(c, 1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->w = *w;
	if (kw != NULL && (n->kw = xstrdup(c, kw)) == NULL) {
		free(n);
		return NULL;
	}
	if (parent->last != NULL)
		parent->last->next = n;
	else
		parent->child = n;
	parent->last = n;
	return n;
}

static void
add_arg(struct conv *c, struct node *n, const char *s)
{
	char **argv;

	if (n->argc == n->cap) {
		int cap = n->cap ? n->cap * 2 : 4;

		argv = realloc(n->argv, (size_t)cap * sizeof(*argv));
		if (argv == NULL) {
			c->oom = true;
			return;
		}
		n->argv = argv;
		n->cap = cap;
	}
	n->argv[n->argc] = xstrdup(c, s);
	if (n->argv[n->argc] != NULL)
		n->argc++;
}

static void
end_statement(struct conv *c, struct node *n)
{
	if (n != NULL && !n->block && is_include(n->kw)) {
		n->include = true;
		do_include(c, n);
	}
}

/* The whole input into root's children. */
static void
parse(struct conv *c, struct node *root)
{
	struct node *stack[KA_MAX_NESTING + 1], *cur = NULL, *n;
	unsigned int depth = 0, skip = 0;
	struct where w = { c->path, 0, 0 };
	enum tok t;

	stack[0] = root;
	for (;;) {
		t = next_tok(c, &w);
		if (c->oom)
			t = T_EOF;
		if (skip > 0 && t != T_EOF) {	/* inside blocks nested too deep */
			if (t == T_OPEN)
				skip++;
			else if (t == T_CLOSE)
				skip--;
			continue;
		}
		switch (t) {
		case T_WORD:
			if (cur == NULL) {
				cur = new_node(c, stack[depth], &w, c->word);
				/* keepalived reads an include before braces split words */
				c->glob_line = cur != NULL && is_include(cur->kw);
			} else
				add_arg(c, cur, c->word);
			break;
		case T_EOL:
			c->glob_line = false;
			end_statement(c, cur);
			cur = NULL;
			break;
		case T_OPEN:
			n = cur;
			if (n == NULL) {	/* "{" on the line after its keyword */
				n = stack[depth]->last;
				if (n == NULL || n->block || n->include || n->kw == NULL)
					n = NULL;
			}
			if (n == NULL) {
				problem(c, &w, "'{' with no keyword before it: its block is"
						" ignored");
				n = new_node(c, stack[depth], &w, NULL);
				if (n == NULL)
					break;
			}
			n->block = true;
			cur = NULL;
			if (depth == KA_MAX_NESTING) {
				problem(c, &w, "blocks nested more than %d deep: this one is"
						" ignored", KA_MAX_NESTING);
				skip = 1;
				break;
			}
			stack[++depth] = n;
			break;
		case T_CLOSE:
			end_statement(c, cur);
			cur = NULL;
			if (depth == 0)
				problem(c, &w, "'}' with no block to close: ignored");
			else
				depth--;
			break;
		case T_EOF:
			end_statement(c, cur);
			for (; depth > 0; depth--) {
				n = stack[depth];
				if (n->kw != NULL)
					problem(c, &n->w, "%s: its block has no closing '}'",
							q(c, n->kw));
				else
					problem(c, &n->w, "this block has no closing '}'");
			}
			return;
		}
	}
}

static void
free_tree(struct node *n)
{
	struct node *next;
	int i;

	for (; n != NULL; n = next) {
		next = n->next;
		free_tree(n->child);
		for (i = 0; i < n->argc; i++)
			free(n->argv[i]);
		free(n->argv);
		free(n->kw);
		free(n);
	}
}

/* Values */

/* n's one value, or NULL (reported) when it has none. */
static const char *
one_value(struct conv *c, const struct node *n)
{
	if (n->argc == 0) {
		problem(c, &n->w, "%s needs a value: ignored", q(c, n->kw));
		return NULL;
	}
	if (n->argc > 1)
		problem(c, &n->w, "%s takes one value: '%s' and what follows ignored",
				q(c, n->kw), q(c, n->argv[1]));
	return n->argv[0];
}

static bool
parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > max)
			return false;
	}
	*v = x;
	return true;
}

/* keepalived's <TIMER>: seconds with up to six decimals, in microseconds. */
static bool
parse_timer(const char *s, int64_t *us)
{
	int64_t sec = 0, frac = 0;
	bool digits = false;
	int n = 0;

	for (; *s >= '0' && *s <= '9'; s++, digits = true) {
		sec = sec * 10 + (*s - '0');
		if (sec > LB_MAX_TIMEOUT)
			return false;
	}
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, digits = true)
			if (n < 6) {
				frac = frac * 10 + (*s - '0');
				n++;
			}
	if (!digits || *s != '\0')
		return false;
	for (; n < 6; n++)
		frac *= 10;
	*us = sec * KA_USEC + frac;
	return *us <= (int64_t)LB_MAX_TIMEOUT * KA_USEC;
}

static bool
get_timer(struct conv *c, const struct node *n, bool zero_ok, int64_t *dst)
{
	const char *s = one_value(c, n);
	int64_t us;

	if (s == NULL)
		return false;
	if (!parse_timer(s, &us) || (!zero_ok && us == 0)) {
		problem(c, &n->w, "bad %s '%s' (expected seconds%s, up to %u, such as 5"
				" or 0.5): ignored", q(c, n->kw), q(c, s),
				zero_ok ? "" : " above 0", LB_MAX_TIMEOUT);
		return false;
	}
	*dst = us;
	return true;
}

static bool
get_uint(struct conv *c, const struct node *n, uint64_t min, uint64_t max, int64_t *dst)
{
	const char *s = one_value(c, n);
	uint64_t v;

	if (s == NULL)
		return false;
	if (!parse_u64(s, max, &v) || v < min) {
		problem(c, &n->w, "bad %s '%s' (expected an integer, %llu to %llu): ignored",
				q(c, n->kw), q(c, s), (unsigned long long)min,
				(unsigned long long)max);
		return false;
	}
	*dst = (int64_t)v;
	return true;
}

/* n's word i as a port; false (reported, "skip" said) when it is not one. */
static bool
arg_port(struct conv *c, const struct node *n, int i, const char *skip, int64_t *port)
{
	uint64_t v;

	if (!parse_u64(n->argv[i], 65535, &v)) {
		problem(c, &n->w, "%s: bad port '%s' (expected 0 to 65535): %s", n->kw,
				q(c, n->argv[i]), skip);
		return false;
	}
	*port = (int64_t)v;
	return true;
}

/* keepalived's <BOOL>: on off true false yes no; no word at all means true. */
static bool
get_bool(struct conv *c, const struct node *n, int *dst)
{
	const char *s;

	if (n->argc == 0) {
		*dst = 1;
		return true;
	}
	s = n->argv[0];
	if (n->argc > 1)
		problem(c, &n->w, "%s takes one value: '%s' and what follows ignored",
				q(c, n->kw), q(c, n->argv[1]));
	if (strcasecmp(s, "on") == 0 || strcasecmp(s, "true") == 0 ||
			strcasecmp(s, "yes") == 0)
		*dst = 1;
	else if (strcasecmp(s, "off") == 0 || strcasecmp(s, "false") == 0 ||
			strcasecmp(s, "no") == 0)
		*dst = 0;
	else {
		problem(c, &n->w, "bad %s '%s' (expected on, off, true, false, yes or no):"
				" ignored", q(c, n->kw), q(c, s));
		return false;
	}
	return true;
}

/* A flag that may carry a <BOOL>: true when set and on. */
static bool
flag_on(struct conv *c, const struct node *n)
{
	int v = 0;

	return get_bool(c, n, &v) && v == 1;
}

static bool
unicast_host(uint32_t addr)
{
	uint32_t h = ntohl(addr);

	return h != 0 && h != 0xffffffffu && (h >> 28) != 0xe && (h >> 28) != 0xf &&
		(h >> 24) != 127 && (h >> 24) != 0;
}

/* what's address s into *a; false (reported, "skip" said) when lbd cannot use it. */
static bool
get_addr(struct conv *c, const struct node *n, const char *what, const char *s,
		const char *skip, uint32_t *a)
{
	struct in6_addr a6;

	if (lb_parse_ipv4(s, a) == 0) {
		if (unicast_host(*a))
			return true;
		problem(c, &n->w, "%s %s is not a unicast address: %s", what, q(c, s), skip);
	} else if (inet_pton(AF_INET6, s, &a6) == 1) {
		problem(c, &n->w, "%s %s: IPv6 is not supported (lbd is IPv4 only): %s",
				what, q(c, s), skip);
	} else {
		problem(c, &n->w, "%s '%s' is not an IPv4 address: %s", what, q(c, s), skip);
	}
	return false;
}

static void
opts_init(struct opts *o)
{
	o->delay_loop = KA_UNSET;
	o->connect_timeout = KA_UNSET;
	o->retry = KA_UNSET;
	o->delay_before_retry = KA_UNSET;
	o->warmup = KA_UNSET;
	o->alpha = KA_UNSET;
	o->inhibit = KA_UNSET;
	o->vhost = NULL;
}

/* The options all three levels take (inhibit and virtualhost: not checkers). */
static bool
common_opt(struct conv *c, const struct node *n, struct opts *o, bool checker)
{
	const char *kw = n->kw, *s;

	if (strcmp(kw, "delay_loop") == 0)
		get_timer(c, n, false, &o->delay_loop);
	else if (strcmp(kw, "connect_timeout") == 0)
		get_timer(c, n, false, &o->connect_timeout);
	else if (strcmp(kw, "retry") == 0 || strcmp(kw, "nb_get_retry") == 0)
		get_uint(c, n, 0, INT32_MAX, &o->retry);
	else if (strcmp(kw, "delay_before_retry") == 0)
		get_timer(c, n, true, &o->delay_before_retry);
	else if (strcmp(kw, "warmup") == 0)
		get_timer(c, n, true, &o->warmup);
	else if (strcmp(kw, "alpha") == 0)
		get_bool(c, n, &o->alpha);
	else if (!checker && strcmp(kw, "inhibit_on_failure") == 0)
		get_bool(c, n, &o->inhibit);
	else if (!checker && strcmp(kw, "virtualhost") == 0) {
		s = one_value(c, n);
		if (s != NULL)
			o->vhost = s;
	} else
		return false;
	return true;
}

/* Keywords that are keepalived's own business, the same at every level. */
static bool
cosmetic_opt(struct conv *c, const struct node *n)
{
	if (strcmp(n->kw, "smtp_alert") == 0)
		note(c, &n->w, "smtp_alert skipped: lbd sends no email");
	else if (strcmp(n->kw, "snmp_name") == 0)
		note(c, &n->w, "snmp_name skipped: lbd has no SNMP agent");
	else if (strcmp(n->kw, "log_all_failures") == 0)
		note(c, &n->w, "log_all_failures skipped: a keepalived logging option");
	else
		return false;
	return true;
}

static void
unknown(struct conv *c, const struct node *n, const char *where)
{
	if (n->kw[0] == '@')
		problem(c, &n->w, "conditional line '%s' not converted: lbd does not know"
				" keepalived's config-id", q(c, n->kw));
	else if (n->kw[0] == '$')
		problem(c, &n->w, "parameter '%s' not converted: lbd does not substitute"
				" keepalived's parameters", q(c, n->kw));
	else
		problem(c, &n->w, "unknown keyword '%s' in %s: not converted", q(c, n->kw),
				where);
}

/* A value keyword that came with a block: the block is not read. */
static void
no_block(struct conv *c, const struct node *n)
{
	if (n->block)
		problem(c, &n->w, "%s takes no { } block: its block is ignored", q(c, n->kw));
}

/* Checkers */

static enum ck_type
checker_type(const char *kw, bool *known)
{
	static const char *const unsupported[] = {
		"SMTP_CHECK", "DNS_CHECK", "BFD_CHECK", "UDP_CHECK", "PING_CHECK",
		"FILE_CHECK",
	};
	size_t i;

	*known = true;
	if (strcmp(kw, "TCP_CHECK") == 0)
		return CT_TCP;
	if (strcmp(kw, "HTTP_GET") == 0)
		return CT_HTTP;
	if (strcmp(kw, "SSL_GET") == 0)
		return CT_HTTPS;
	if (strcmp(kw, "MISC_CHECK") == 0)
		return CT_MISC;
	for (i = 0; i < KA_DIM(unsupported); i++)
		if (strcmp(kw, unsupported[i]) == 0)
			return CT_NONE;
	*known = false;
	return CT_NONE;
}

/* A checker lbd runs: a known type, and a MISC_CHECK with its misc_path. */
static bool
usable_checker(const struct node *n)
{
	const struct node *k;
	bool known;
	enum ck_type t = checker_type(n->kw, &known);

	if (t != CT_MISC)
		return t != CT_NONE;
	for (k = n->child; k != NULL; k = k->next)
		if (k->kw != NULL && strcmp(k->kw, "misc_path") == 0 && k->argc > 0)
			return true;
	return false;
}

static bool
shell_safe(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				"0123456789_@%+=:,./-", *s) == NULL)
			return false;
	return true;
}

/* misc_path's words as one /bin/sh command: a single word as it is, else quoted. */
static char *
misc_command(struct conv *c, const struct node *n)
{
	size_t len = 1;
	char *cmd, *p;
	const char *s;
	int i;

	if (n->argc == 1)
		return xstrdup(c, n->argv[0]);
	for (i = 0; i < n->argc; i++)
		len += strlen(n->argv[i]) * 4 + 3;
	cmd = xcalloc(c, len, 1);
	if (cmd == NULL)
		return NULL;
	for (p = cmd, i = 0; i < n->argc; i++) {
		if (i > 0)
			*p++ = ' ';
		if (shell_safe(n->argv[i])) {
			p = stpcpy(p, n->argv[i]);
			continue;
		}
		*p++ = '\'';
		for (s = n->argv[i]; *s != '\0'; s++)
			if (*s == '\'')
				p = stpcpy(p, "'\\''");
			else
				*p++ = *s;
		*p++ = '\'';
	}
	*p = '\0';
	return cmd;
}

/* genhash's MD5: 32 hex digits, kept in lower case. */
static void
url_digest(struct conv *c, struct checker *ck, const struct node *k)
{
	const char *s = one_value(c, k);
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < 32 && hexval((unsigned char)s[i]) >= 0; i++)
		ck->digest[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]);
	ck->digest[i] = '\0';
	if (i < 32 || s[32] != '\0') {
		problem(c, &k->w, "bad digest '%s' (expected 32 hex digits, an MD5 as"
				" genhash prints it): ignored", q(c, s));
		ck->digest[0] = '\0';
	}
}

/* One status_code word: a code or a range, 100..599; false when it is neither. */
static bool
parse_codes(const char *s, uint64_t *lo, uint64_t *hi)
{
	const char *dash = strchr(s, '-');
	char buf[8];

	if (dash == NULL)
		return parse_u64(s, 599, lo) && (*hi = *lo) >= 100;
	if ((size_t)(dash - s) >= sizeof(buf))
		return false;
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	return parse_u64(buf, 599, lo) && parse_u64(dash + 1, 599, hi) && *lo >= 100 &&
		*hi >= *lo;
}

static void
url_codes(struct conv *c, struct checker *ck, const struct node *k)
{
	uint64_t lo, hi;
	int i;

	if (k->argc == 0)
		problem(c, &k->w, "status_code needs a value: ignored");
	for (i = 0; i < k->argc; i++) {
		if (!parse_codes(k->argv[i], &lo, &hi)) {
			problem(c, &k->w, "bad status_code '%s' (expected a code or a range of"
					" codes, 100 to 599, such as 200 or 200-299): ignored",
					q(c, k->argv[i]));
			continue;
		}
		if (ck->n_codes == KA_MAX_CODES) {
			problem(c, &k->w, "more than %d status codes: '%s' and what follows"
					" ignored", KA_MAX_CODES, q(c, k->argv[i]));
			return;
		}
		ck->codes[ck->n_codes][0] = (uint16_t)lo;
		ck->codes[ck->n_codes][1] = (uint16_t)hi;
		ck->n_codes++;
	}
}

static void
url_block(struct conv *c, struct checker *ck, const struct node *u)
{
	const struct node *k;
	const char *s;

	if (ck->url_seen) {
		problem(c, &u->w, "url not converted: lbd checks one url per real server,"
				" the first (%s:%d)", ck->url_w.file, ck->url_w.line);
		return;
	}
	ck->url_seen = true;
	ck->url_w = u->w;
	if (u->argc > 0)
		problem(c, &u->w, "url takes no value: '%s' ignored", q(c, u->argv[0]));
	for (k = u->child; k != NULL; k = k->next) {
		if (k->include || k->kw == NULL)
			continue;
		no_block(c, k);
		if (strcmp(k->kw, "path") == 0) {
			s = one_value(c, k);
			if (s != NULL)
				ck->path = s;
		} else if (strcmp(k->kw, "digest") == 0) {
			url_digest(c, ck, k);
		} else if (strcmp(k->kw, "status_code") == 0) {
			url_codes(c, ck, k);
		} else if (strcmp(k->kw, "virtualhost") == 0) {
			s = one_value(c, k);
			if (s != NULL)
				ck->url_vhost = s;
		} else if (strncmp(k->kw, "regex", 5) == 0 && (k->kw[5] == '\0' ||
				k->kw[5] == '_')) {
			problem(c, &k->w, "%s not converted: lbd's http check has no regex, it"
					" checks the status code and the digest", q(c, k->kw));
		} else if (strcmp(k->kw, "tls_compliant") == 0) {
			if (flag_on(c, k))
				problem(c, &k->w, "tls_compliant not converted: lbd's https check"
						" has no such setting");
		} else
			unknown(c, k, "url");
	}
	if (ck->path == NULL)
		problem(c, &u->w, "url without path: lbd checks \"/\"");
}

/* A checker block into ck (its type already set). */
static void
checker_block(struct conv *c, struct checker *ck, const struct node *n)
{
	bool http = ck->type == CT_HTTP || ck->type == CT_HTTPS;
	bool misc = ck->type == CT_MISC;
	const struct node *k;
	const char *s, *kw;
	uint32_t a;

	for (k = n->child; k != NULL; k = k->next) {
		if (k->include || k->kw == NULL)
			continue;
		kw = k->kw;
		if (!(http && strcmp(kw, "url") == 0))
			no_block(c, k);
		if (misc && (strcmp(kw, "connect_ip") == 0 || strcmp(kw, "connect_port") == 0 ||
				strcmp(kw, "bindto") == 0 || strcmp(kw, "bind_if") == 0 ||
				strcmp(kw, "bind_port") == 0 || strcmp(kw, "fwmark") == 0)) {
			problem(c, &k->w, "%s not converted: it does not apply to MISC_CHECK",
					kw);
		} else if (strcmp(kw, "connect_ip") == 0) {
			s = one_value(c, k);
			if (s != NULL && get_addr(c, k, "connect_ip", s, "ignored", &a))
				ck->connect_ip = s;
		} else if (strcmp(kw, "connect_port") == 0) {
			get_uint(c, k, 0, 65535, &ck->connect_port);
		} else if (strcmp(kw, "bindto") == 0 || strcmp(kw, "bind_if") == 0 ||
				strcmp(kw, "bind_port") == 0) {
			problem(c, &k->w, "%s not converted: lbd's checks have no source address,"
					" interface or port setting", kw);
		} else if (strcmp(kw, "fwmark") == 0) {
			problem(c, &k->w, "fwmark not converted: lbd's checks do not mark their"
					" packets");
		} else if (misc && strcmp(kw, "connect_timeout") == 0) {
			note(c, &k->w, "connect_timeout skipped: it has no effect on MISC_CHECK"
					" (misc_timeout bounds the command)");
		} else if (common_opt(c, k, &ck->o, true) || cosmetic_opt(c, k)) {
			/* done */
		} else if (http && strcmp(kw, "url") == 0) {
			url_block(c, ck, k);
		} else if (http && strcmp(kw, "virtualhost") == 0) {
			s = one_value(c, k);
			if (s != NULL)
				ck->o.vhost = s;
		} else if (http && strcmp(kw, "http_protocol") == 0) {
			s = one_value(c, k);
			if (s != NULL && strcmp(s, "1.0") != 0)
				problem(c, &k->w, "http_protocol %s not converted: lbd's http check"
						" has no protocol setting", q(c, s));
		} else if (http && strcmp(kw, "fast_recovery") == 0) {
			if (flag_on(c, k))
				note(c, &k->w, "fast_recovery skipped: with one url it changes"
						" nothing");
		} else if (http && (strcmp(kw, "enable_sni") == 0 ||
				strcmp(kw, "tls_compliant") == 0)) {
			if (flag_on(c, k))
				problem(c, &k->w, "%s not converted: lbd's https check has no such"
						" setting", kw);
		} else if (http && strcmp(kw, "sni_name") == 0) {
			problem(c, &k->w, "sni_name not converted: lbd's https check has no SNI"
					" setting");
		} else if (misc && strcmp(kw, "misc_path") == 0) {
			if (k->argc == 0) {
				problem(c, &k->w, "misc_path needs a command: ignored");
				continue;
			}
			free(ck->command);
			ck->command = misc_command(c, k);
		} else if (misc && strcmp(kw, "misc_timeout") == 0) {
			get_timer(c, k, false, &ck->timeout);
		} else if (misc && strcmp(kw, "misc_dynamic") == 0) {
			int v = 0;

			if (get_bool(c, k, &v))
				ck->dynamic = v == 1;
		} else if (misc && strcmp(kw, "user") == 0) {
			problem(c, &k->w, "user not converted: lbd's misc check has no user"
					" setting");
		} else
			unknown(c, k, n->kw);
	}
	if (http && !ck->url_seen)
		problem(c, &n->w, "%s without url: lbd checks path \"/\" for status 200-299",
				n->kw);
}

static char *
fmt_time(struct conv *c, int64_t us)
{
	char frac[8];
	int i;

	if (us % KA_USEC == 0)
		return xasprintf(c, "%lld", (long long)(us / KA_USEC));
	snprintf(frac, sizeof(frac), "%06lld", (long long)(us % KA_USEC));
	for (i = 5; i > 0 && frac[i] == '0'; i--)
		frac[i] = '\0';
	return xasprintf(c, "%lld.%s", (long long)(us / KA_USEC), frac);
}

/* s as a libconfig string, quotes included. */
static char *
fmt_str(struct conv *c, const char *s)
{
	char *r = xcalloc(c, strlen(s) * 4 + 3, 1), *p = r;

	if (r == NULL)
		return NULL;
	*p++ = '"';
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			*p++ = '\\';
			*p++ = (char)ch;
		} else if (ch < 0x20 || ch >= 0x7f) {
			p += sprintf(p, "\\x%02x", ch);
		} else
			*p++ = (char)ch;
	}
	*p++ = '"';
	*p = '\0';
	return r;
}

static char *
fmt_codes(struct conv *c, const struct checker *ck)
{
	char buf[KA_MAX_CODES * 12 + 8], *p = buf;
	bool ranges = false;
	unsigned int i;

	if (ck->n_codes == 0)
		return xstrdup(c, "[ \"200-299\" ]");
	for (i = 0; i < ck->n_codes; i++)
		ranges |= ck->codes[i][0] != ck->codes[i][1];
	p += sprintf(p, "[ ");
	for (i = 0; i < ck->n_codes; i++) {
		const char *sep = i > 0 ? ", " : "";

		if (!ranges)
			p += sprintf(p, "%s%u", sep, ck->codes[i][0]);
		else if (ck->codes[i][0] == ck->codes[i][1])
			p += sprintf(p, "%s\"%u\"", sep, ck->codes[i][0]);
		else
			p += sprintf(p, "%s\"%u-%u\"", sep, ck->codes[i][0], ck->codes[i][1]);
	}
	sprintf(p, " ]");
	return xstrdup(c, buf);
}

static int64_t
pick(int64_t a, int64_t b, int64_t c, int64_t def)
{
	return a != KA_UNSET ? a : b != KA_UNSET ? b : c != KA_UNSET ? c : def;
}

/*
 * The check group keepalived would run: the checker's options, else its real
 * server's, else its virtual server's, else keepalived's defaults (warmup:
 * the delay_loop; a MISC_CHECK's timeout: the virtual server's delay_loop).
 * port: where the checks connect when that is not the service port.
 */
static void
build_check(struct conv *c, struct check *out, const struct checker *ck,
		const struct opts *ro, const struct opts *vo, uint16_t port)
{
	bool http = ck->type == CT_HTTP || ck->type == CT_HTTPS;
	int64_t dl, v;
	const char *vh;

	out->v[CK_TYPE] = fmt_str(c, ct_names[ck->type]);
	if (ck->type == CT_NONE)
		return;
	dl = pick(ck->o.delay_loop, ro->delay_loop, vo->delay_loop, 60 * KA_USEC);
	out->v[CK_DELAY_LOOP] = fmt_time(c, dl);
	if (ck->type != CT_MISC)
		out->v[CK_CONNECT_TIMEOUT] = fmt_time(c, pick(ck->o.connect_timeout,
				ro->connect_timeout, vo->connect_timeout, 5 * KA_USEC));
	v = pick(ck->o.retry, ro->retry, vo->retry, ck->type == CT_MISC ? 0 : 1);
	out->v[CK_RETRY] = xasprintf(c, "%lld", (long long)v);
	out->v[CK_DELAY_BEFORE_RETRY] = fmt_time(c, pick(ck->o.delay_before_retry,
			ro->delay_before_retry, vo->delay_before_retry,
			(http ? 3 : 1) * KA_USEC));
	out->v[CK_WARMUP] = fmt_time(c, pick(ck->o.warmup, ro->warmup, vo->warmup, dl));
	v = pick(ck->o.alpha, ro->alpha, vo->alpha, 0);
	out->v[CK_ALPHA] = xstrdup(c, v == 1 ? "true" : "false");
	v = pick(KA_UNSET, ro->inhibit, vo->inhibit, 0);
	out->v[CK_INHIBIT] = xstrdup(c, v == 1 ? "true" : "false");
	if (ck->connect_ip != NULL)
		out->v[CK_CONNECT_IP] = fmt_str(c, ck->connect_ip);
	if (ck->type != CT_MISC && (ck->connect_port != KA_UNSET || port != 0))
		out->v[CK_CONNECT_PORT] = xasprintf(c, "%lld", (long long)
				(ck->connect_port != KA_UNSET ? ck->connect_port : port));
	if (http) {
		out->v[CK_PATH] = fmt_str(c, ck->path != NULL ? ck->path : "/");
		out->v[CK_STATUS_CODE] = fmt_codes(c, ck);
		if (ck->digest[0] != '\0')
			out->v[CK_DIGEST] = fmt_str(c, ck->digest);
		vh = ck->url_vhost ? ck->url_vhost : ck->o.vhost ? ck->o.vhost :
			ro->vhost ? ro->vhost : vo->vhost;
		if (vh != NULL)
			out->v[CK_VIRTUALHOST] = fmt_str(c, vh);
	}
	if (ck->type == CT_MISC) {
		out->v[CK_COMMAND] = fmt_str(c, ck->command != NULL ? ck->command : "");
		out->v[CK_TIMEOUT] = fmt_time(c, ck->timeout != KA_UNSET ? ck->timeout :
				vo->delay_loop != KA_UNSET ? vo->delay_loop : 60 * KA_USEC);
		out->v[CK_DYNAMIC] = xstrdup(c, ck->dynamic ? "true" : "false");
	}
}

static void
free_check(struct check *ck)
{
	int k;

	for (k = 0; k < CK_COUNT; k++)
		free(ck->v[k]);
}

/* Real servers */

struct vs_ctx {
	struct svc *sv;
	struct opts o;
	int64_t weight;		/* the virtual server's default for its real servers */
};

static void
real_server(struct conv *c, struct vs_ctx *vx, const struct node *n)
{
	const struct node *k, *first = NULL;
	struct svc *sv = vx->sv;
	struct dest *d, *o;
	struct checker ck;
	struct opts ro;
	uint16_t check_port = 0;
	int64_t port = 0;
	bool known;
	uint32_t a;

	if (n->argc == 0) {
		problem(c, &n->w, "real_server needs an address and a port: not converted");
		return;
	}
	if (!get_addr(c, n, "real_server", n->argv[0], "not converted", &a))
		return;
	if (n->argc >= 2 && !arg_port(c, n, 1, "not converted", &port))
		return;
	if (n->argc > 2)
		problem(c, &n->w, "real_server takes an address and a port: '%s' and what"
				" follows ignored", q(c, n->argv[2]));
	for (k = n->child; k != NULL; k = k->next) {
		const char *s = k->argc > 0 ? k->argv[0] : NULL;

		if (k->kw != NULL && !k->include && (strcmp(k->kw, "lvs_method") == 0 ||
				strcmp(k->kw, "lb_kind") == 0) && s != NULL &&
				strcasecmp(s, "DR") != 0) {
			problem(c, &k->w, "%s %s not converted: lbd forwards by direct routing"
					" (DR) only: real_server not converted", k->kw, q(c, s));
			return;
		}
	}
	for (o = sv->dests; o != NULL; o = o->next)
		if (o->addr == a) {
			problem(c, &n->w, "real_server %s is already in this virtual_server"
					" (%s:%d): not converted again", q(c, n->argv[0]),
					o->w.file, o->w.line);
			return;
		}
	if (port != 0 && sv->port == 0) {
		check_port = (uint16_t)port;	/* every port: the port is the check's */
	} else if (port != 0 && port != sv->port) {
		problem(c, &n->w, "real_server port %lld differs from the virtual_server port"
				" %u: direct routing forwards to port %u (converted so); its check"
				" still connects to %lld", (long long)port, sv->port, sv->port,
				(long long)port);
		check_port = (uint16_t)port;
	}
	if (sv->n_dests >= lb_limit_max(LB_LIMIT_DESTS_PER_SVC) ||
			c->n_dests >= lb_limit_max(LB_LIMIT_DESTS)) {
		problem(c, &n->w, "real_server not converted: lbd holds at most %u real"
				" servers in a service, %u in all",
				lb_limit_max(LB_LIMIT_DESTS_PER_SVC), lb_limit_max(LB_LIMIT_DESTS));
		return;
	}
	d = xcalloc(c, 1, sizeof(*d));
	if (d == NULL)
		return;
	d->w = n->w;
	d->addr = a;
	d->weight = vx->weight != KA_UNSET ? vx->weight : 1;
	d->uthreshold = KA_UNSET;
	d->lthreshold = KA_UNSET;
	d->title = xasprintf(c, "real_server %s%s%s", q(c, n->argv[0]),
			n->argc > 1 ? " " : "", n->argc > 1 ? q(c, n->argv[1]) : "");
	opts_init(&ro);
	memset(&ck, 0, sizeof(ck));
	opts_init(&ck.o);
	ck.connect_port = KA_UNSET;
	ck.timeout = KA_UNSET;

	for (k = n->child; k != NULL && first == NULL; k = k->next)
		if (k->kw != NULL && !k->include && usable_checker(k))
			first = k;
	for (k = n->child; k != NULL; k = k->next) {
		const char *kw = k->kw, *unchecked = "; this real server gets no check";
		enum ck_type t;

		if (k->include || kw == NULL)
			continue;
		if (first != NULL)
			unchecked = "";
		t = checker_type(kw, &known);
		if (known) {
			if (k == first) {
				ck.type = t;
				if (k->argc > 0)
					problem(c, &k->w, "%s takes no value: '%s' ignored", kw,
							q(c, k->argv[0]));
				checker_block(c, &ck, k);
			} else if (t == CT_MISC && !usable_checker(k)) {
				problem(c, &k->w, "MISC_CHECK without misc_path not converted:"
						" keepalived ignores it too%s", unchecked);
			} else if (t == CT_NONE) {
				problem(c, &k->w, "%s not converted: lbd's checks are"
						" TCP_CHECK, HTTP_GET, SSL_GET and"
						" MISC_CHECK%s", kw, unchecked);
			} else {
				problem(c, &k->w, "%s not converted: lbd runs one check per real"
						" server, the first (%s:%d)", kw, first->w.file,
						first->w.line);
			}
			continue;
		}
		no_block(c, k);
		if (strcmp(kw, "weight") == 0)
			get_uint(c, k, 0, 65535, &d->weight);
		else if (strcmp(kw, "uthreshold") == 0)
			get_uint(c, k, 0, INT32_MAX, &d->uthreshold);
		else if (strcmp(kw, "lthreshold") == 0)
			get_uint(c, k, 0, INT32_MAX, &d->lthreshold);
		else if (strcmp(kw, "lvs_method") == 0 || strcmp(kw, "lb_kind") == 0)
			one_value(c, k);	/* not DR: refused above */
		else if (strcmp(kw, "notify_up") == 0 || strcmp(kw, "notify_down") == 0)
			problem(c, &k->w, "%s not converted: lbd runs no script when a real"
					" server changes state", kw);
		else if (!common_opt(c, k, &ro, false) && !cosmetic_opt(c, k))
			unknown(c, k, "real_server");
	}
	if (d->uthreshold != KA_UNSET && d->lthreshold != KA_UNSET && d->uthreshold != 0 &&
			d->lthreshold > d->uthreshold) {
		problem(c, &n->w, "lthreshold %lld is above uthreshold %lld: lthreshold not"
				" converted", (long long)d->lthreshold, (long long)d->uthreshold);
		d->lthreshold = KA_UNSET;
	}
	build_check(c, &d->ck, &ck, &ro, &vx->o, check_port);
	free(ck.command);
	*sv->dest_tail = d;
	sv->dest_tail = &d->next;
	sv->n_dests++;
	c->n_dests++;
}

/* Virtual servers */

static void
sched_flag(struct conv *c, struct svc *sv, const struct node *k)
{
	const char *name = k->kw;
	unsigned int i;

	if (strcmp(name, "flag-1") == 0)
		name = strcmp(sv->sched, "sh") == 0 ? "sh-fallback" :
			strcmp(sv->sched, "mh") == 0 ? "mh-fallback" : name;
	else if (strcmp(name, "flag-2") == 0)
		name = strcmp(sv->sched, "sh") == 0 ? "sh-port" :
			strcmp(sv->sched, "mh") == 0 ? "mh-port" : name;
	if (lb_sched_flag_from_name((enum lb_sched_kind)lb_sched_from_name(sv->sched),
			name) < 0) {
		note(c, &k->w, "%s skipped: it has no effect with lb_algo %s", k->kw,
				sv->sched);
		return;
	}
	for (i = 0; i < sv->n_flags; i++)
		if (strcmp(sv->flags[i], name) == 0)
			return;
	if (sv->n_flags < KA_DIM(sv->flags))
		sv->flags[sv->n_flags++] = name;
}

/* lb_kind and protocol first: a virtual server lbd cannot run is not read further. */
static bool
vs_kind(struct conv *c, struct svc *sv, const struct node *n)
{
	const struct node *k, *kind = NULL, *proto = NULL;
	const char *s;

	for (k = n->child; k != NULL; k = k->next) {
		if (k->kw == NULL || k->include)
			continue;
		if (strcmp(k->kw, "lb_kind") == 0 || strcmp(k->kw, "lvs_method") == 0)
			kind = k;
		else if (strcmp(k->kw, "protocol") == 0)
			proto = k;
	}
	if (kind != NULL) {
		if (kind->argc == 0) {
			problem(c, &kind->w, "%s needs a value: virtual_server not converted",
					kind->kw);
			return false;
		}
		if (strcasecmp(kind->argv[0], "DR") != 0) {
			problem(c, &kind->w, "%s %s not converted: lbd forwards by direct routing"
					" (DR) only: virtual_server not converted", kind->kw,
					q(c, kind->argv[0]));
			return false;
		}
		if (kind->argc > 1)
			problem(c, &kind->w, "%s takes one value: '%s' and what follows ignored",
					kind->kw, q(c, kind->argv[1]));
	} else {
		problem(c, &n->w, "virtual_server without lb_kind: keepalived forwards by"
				" NAT then; converted as DR, lbd's only method (set up the real"
				" servers for DR)");
	}
	sv->proto = IPPROTO_TCP;
	if (proto == NULL) {
		problem(c, &n->w, "virtual_server without protocol: converted as TCP"
				" (keepalived 2 uses UDP then): say protocol TCP or UDP");
		return true;
	}
	s = one_value(c, proto);
	if (s == NULL)
		return true;
	if (strcasecmp(s, "UDP") == 0)
		sv->proto = IPPROTO_UDP;
	else if (strcasecmp(s, "SCTP") == 0) {
		problem(c, &proto->w, "protocol SCTP not converted: lbd balances TCP and UDP:"
				" virtual_server not converted");
		return false;
	} else if (strcasecmp(s, "TCP") != 0) {
		problem(c, &proto->w, "unknown protocol '%s' (expected TCP or UDP):"
				" virtual_server not converted", q(c, s));
		return false;
	}
	return true;
}

static void
vs_sched(struct conv *c, struct svc *sv, const struct node *k)
{
	static const char *const unsupported[] = {
		"lblc", "lblcr", "dh", "fo", "ovf", "twos",
	};
	const char *s = one_value(c, k);
	char name[8];
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; s[i] != '\0' && i < sizeof(name) - 1; i++)
		name[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	name[i] = '\0';
	if (s[i] == '\0' && lb_sched_from_name(name) >= 0) {
		snprintf(sv->sched, sizeof(sv->sched), "%s", name);
		return;
	}
	for (i = 0; i < KA_DIM(unsupported); i++)
		if (strcmp(name, unsupported[i]) == 0 && strlen(s) == strlen(name))
			break;
	problem(c, &k->w, "%s %s %s: lbd's schedulers are rr wrr lc wlc sed nq sh"
			" mh; converted with wlc", k->kw, q(c, s),
			i < KA_DIM(unsupported) ? "not supported" : "unknown");
}

static bool
contiguous(uint32_t mask)
{
	uint32_t h = ntohl(mask);

	return h == 0 || (~h & (~h + 1)) == 0;
}

static void
vs_sorry(struct conv *c, struct svc *sv, const struct node *k)
{
	int64_t port = 0;
	uint32_t a;

	if (k->argc == 0) {
		problem(c, &k->w, "sorry_server needs an address and a port: ignored");
		return;
	}
	if (!get_addr(c, k, "sorry_server", k->argv[0], "ignored", &a))
		return;
	if (k->argc >= 2 && !arg_port(c, k, 1, "ignored", &port))
		return;
	if (k->argc > 2)
		problem(c, &k->w, "sorry_server takes an address and a port: '%s' and what"
				" follows ignored", q(c, k->argv[2]));
	if (port != 0 && port != sv->port)
		problem(c, &k->w, "sorry_server port %lld differs from the virtual_server port"
				" %u: direct routing forwards to port %u (converted so)",
				(long long)port, sv->port, sv->port);
	sv->has_sorry = true;
	sv->sorry = a;
	sv->sorry_w = k->w;
}

/* One option of a virtual server (real servers are read afterwards). */
static void
vs_option(struct conv *c, struct vs_ctx *vx, const struct node *k,
		const struct node **flags, unsigned int *n_flags, bool *sorry_dr)
{
	struct svc *sv = vx->sv;
	const char *kw = k->kw, *s;
	int64_t v;

	no_block(c, k);
	if (strcmp(kw, "lb_algo") == 0 || strcmp(kw, "lvs_sched") == 0)
		vs_sched(c, sv, k);
	else if (strcmp(kw, "lb_kind") == 0 || strcmp(kw, "lvs_method") == 0 ||
			strcmp(kw, "protocol") == 0)
		;	/* read first, by vs_kind() */
	else if (strcmp(kw, "persistence_timeout") == 0) {
		if (k->argc == 0)
			sv->persistence = LB_PERSIST_DEFAULT;
		else if (get_uint(c, k, 0, LB_MAX_TIMEOUT, &v))
			sv->persistence = (uint32_t)v;
	} else if (strcmp(kw, "persistence_granularity") == 0) {
		s = one_value(c, k);
		if (s != NULL && (lb_parse_ipv4(s, &sv->netmask) < 0 || !contiguous(sv->netmask)))
			problem(c, &k->w, "bad persistence_granularity '%s' (expected an IPv4"
					" netmask such as 255.255.255.0): ignored", q(c, s));
		else if (s != NULL)
			sv->has_netmask = true;
	} else if (strcmp(kw, "quorum") == 0) {
		if (get_uint(c, k, 1, INT32_MAX, &sv->quorum))
			sv->quorum_w = k->w;
	} else if (strcmp(kw, "hysteresis") == 0) {
		if (get_uint(c, k, 0, INT32_MAX, &sv->hysteresis))
			sv->hysteresis_w = k->w;
	}
	else if (strcmp(kw, "sorry_server") == 0)
		vs_sorry(c, sv, k);
	else if (strcmp(kw, "sorry_server_lvs_method") == 0 ||
			strcmp(kw, "sorry_server_lb_kind") == 0) {
		s = one_value(c, k);
		if (s != NULL && strcasecmp(s, "DR") != 0) {
			problem(c, &k->w, "%s %s not converted: lbd forwards by direct routing"
					" (DR) only: sorry_server not converted", kw, q(c, s));
			*sorry_dr = false;
		}
	} else if (strcmp(kw, "weight") == 0)
		get_uint(c, k, 0, 65535, &vx->weight);
	else if (strcmp(kw, "ip_family") == 0) {
		s = one_value(c, k);
		if (s != NULL && strcmp(s, "inet") != 0)
			problem(c, &k->w, "ip_family %s not converted: lbd is IPv4 only", q(c, s));
	} else if (strcmp(kw, "sh-port") == 0 || strcmp(kw, "sh-fallback") == 0 ||
			strcmp(kw, "mh-port") == 0 || strcmp(kw, "mh-fallback") == 0 ||
			strcmp(kw, "flag-1") == 0 || strcmp(kw, "flag-2") == 0 ||
			strcmp(kw, "flag-3") == 0) {
		if (*n_flags < KA_MAX_FLAGS)
			flags[(*n_flags)++] = k;
	} else if (strcmp(kw, "ops") == 0 || strcmp(kw, "one_packet_scheduler") == 0) {
		if (sv->proto == IPPROTO_UDP)
			problem(c, &k->w, "%s not converted: lbd has no one-packet"
					" scheduling, a client's datagrams go to one real server"
					" until its entry expires", kw);
		else
			note(c, &k->w, "%s skipped: one-packet scheduling is for UDP,"
					" keepalived ignores it here too", kw);
	} else if (strcmp(kw, "ha_suspend") == 0)
		problem(c, &k->w, "ha_suspend not converted: lbd checks the real servers"
				" whether the VIP is up or not");
	else if (strcmp(kw, "omega") == 0)
		problem(c, &k->w, "omega not converted: lbd runs no script when it stops");
	else if (strcmp(kw, "quorum_up") == 0 || strcmp(kw, "quorum_down") == 0)
		problem(c, &k->w, "%s not converted: lbd runs no script when the quorum"
				" changes", kw);
	else if (strcmp(kw, "sorry_server_inhibit") == 0)
		problem(c, &k->w, "sorry_server_inhibit not converted: lbd has no"
				" inhibit_on_failure for the sorry server");
	else if (strcmp(kw, "persistence_engine") == 0)
		problem(c, &k->w, "persistence_engine not converted: lbd has no persistence"
				" engines");
	else if (!common_opt(c, k, &vx->o, false) && !cosmetic_opt(c, k))
		unknown(c, k, "virtual_server");
}

static void
free_svc(struct svc *sv)
{
	struct dest *d, *next;

	for (d = sv->dests; d != NULL; d = next) {
		next = d->next;
		free_check(&d->ck);
		free(d->title);
		free(d);
	}
	free_check(&sv->ck);
	free(sv->title);
	free(sv);
}

static void
virtual_server(struct conv *c, const struct node *n)
{
	const struct node *k, *flags[KA_MAX_FLAGS], *algo = NULL;
	struct vs_ctx vx = { .weight = KA_UNSET };
	unsigned int n_flags = 0, i;
	bool sorry_dr = true;
	int64_t port = 0, sum = 0, quorum;
	struct svc *sv, *o;
	struct dest *d;
	char a[INET_ADDRSTRLEN];

	if (n->argc == 0) {
		problem(c, &n->w, "virtual_server needs an address and a port: not converted");
		return;
	}
	if (strcmp(n->argv[0], "fwmark") == 0) {
		problem(c, &n->w, "virtual_server fwmark not converted: lbd has no firewall"
				" mark services");
		return;
	}
	if (strcmp(n->argv[0], "group") == 0) {
		problem(c, &n->w, "virtual_server group not converted: lbd has no"
				" virtual_server_group (write one virtual_server per address)");
		return;
	}
	sv = xcalloc(c, 1, sizeof(*sv));
	if (sv == NULL)
		return;
	sv->w = n->w;
	sv->dest_tail = &sv->dests;
	sv->quorum = KA_UNSET;
	sv->hysteresis = KA_UNSET;
	snprintf(sv->sched, sizeof(sv->sched), "wlc");
	vx.sv = sv;
	opts_init(&vx.o);
	if (!get_addr(c, n, "virtual_server", n->argv[0], "not converted", &sv->vip))
		goto drop;
	if (n->argc >= 2 && !arg_port(c, n, 1, "not converted", &port))
		goto drop;
	sv->port = (uint16_t)port;
	if (n->argc > 2)
		problem(c, &n->w, "virtual_server takes an address and a port: '%s' and what"
				" follows ignored", q(c, n->argv[2]));
	if (!n->block) {
		problem(c, &n->w, "virtual_server without a { } block: not converted");
		goto drop;
	}
	for (k = n->child; k != NULL; k = k->next)
		if (k->kw != NULL && !k->include && strcmp(k->kw, "real_server") == 0)
			break;
	if (k == NULL) {
		problem(c, &n->w, "virtual_server without real_server not converted:"
				" keepalived ignores it too");
		goto drop;
	}
	if (!vs_kind(c, sv, n))
		goto drop;
	for (o = c->svcs; o != NULL; o = o->next)
		if (o->proto == sv->proto && o->vip == sv->vip && o->port == sv->port) {
			inet_ntop(AF_INET, &sv->vip, a, sizeof(a));
			problem(c, &n->w, "virtual_server %s %s %u is already converted"
					" (%s:%d): not converted again", lb_proto_name(sv->proto),
					a, sv->port, o->w.file, o->w.line);
			goto drop;
		}
	if (c->n_svcs >= lb_limit_max(LB_LIMIT_SERVICES)) {
		problem(c, &n->w, "virtual_server not converted: lbd holds at most %u"
				" services", lb_limit_max(LB_LIMIT_SERVICES));
		goto drop;
	}
	for (k = n->child; k != NULL; k = k->next) {
		if (k->kw == NULL || k->include || strcmp(k->kw, "real_server") == 0)
			continue;
		if (strcmp(k->kw, "lb_algo") == 0 || strcmp(k->kw, "lvs_sched") == 0)
			algo = k;
		vs_option(c, &vx, k, flags, &n_flags, &sorry_dr);
	}
	if (algo == NULL)
		note(c, &n->w, "virtual_server without lb_algo: keepalived's default, wlc,"
				" written");
	for (i = 0; i < n_flags; i++)
		sched_flag(c, sv, flags[i]);
	if (!sorry_dr)
		sv->has_sorry = false;
	if (sv->port == 0 && sv->persistence == 0) {
		note(c, &n->w, "virtual_server without a port is persistent: converted with"
				" keepalived's persistence_timeout, %u", LB_PERSIST_DEFAULT);
		sv->persistence = LB_PERSIST_DEFAULT;
	}
	for (k = n->child; k != NULL; k = k->next)
		if (k->kw != NULL && !k->include && strcmp(k->kw, "real_server") == 0)
			real_server(c, &vx, k);
	for (d = sv->dests; d != NULL; d = d->next)
		sum += d->weight;
	if (sv->quorum != KA_UNSET && sum > 0 && sv->quorum > sum) {
		note(c, &sv->quorum_w, "quorum %lld is above the real servers' total"
				" weight %lld: keepalived lowers it to %lld, so does the"
				" conversion",
				(long long)sv->quorum, (long long)sum, (long long)sum);
		sv->quorum = sum;
	}
	quorum = sv->quorum != KA_UNSET ? sv->quorum : 1;
	if (sv->hysteresis != KA_UNSET && sv->hysteresis >= quorum) {
		note(c, &sv->hysteresis_w, "hysteresis %lld is not below the quorum %lld:"
				" keepalived lowers it to %lld, so does the conversion",
				(long long)sv->hysteresis, (long long)quorum,
				(long long)quorum - 1);
		sv->hysteresis = quorum - 1;
	}
	sv->title = xasprintf(c, "virtual_server %s%s%s", q(c, n->argv[0]),
			n->argc > 1 ? " " : "", n->argc > 1 ? q(c, n->argv[1]) : "");
	*c->svc_tail = sv;
	c->svc_tail = &sv->next;
	c->n_svcs++;
	return;
drop:
	c->n_dests -= sv->n_dests;
	free_svc(sv);
}

/* The top level */

/* global_defs' lvs_timeouts (true when it has one) and lvs_sync_daemon. */
static bool
global_defs(struct conv *c, const struct node *n)
{
	static const char *const names[] = { "tcp", "tcpfin", "udp" };
	const struct node *k;
	bool found = false;
	int64_t v;
	int i;
	size_t j;

	for (k = n->child; k != NULL; k = k->next) {
		if (k->kw == NULL || k->include)
			continue;
		if (strcmp(k->kw, "lvs_sync_daemon") == 0) {
			problem(c, &k->w, "lvs_sync_daemon not converted: lbd does not"
					" synchronise connections with another director");
		} else if (strcmp(k->kw, "lvs_timeouts") == 0) {
			found = true;
			if (k->argc == 0 || k->argc % 2 != 0)
				problem(c, &k->w, "lvs_timeouts takes pairs such as 'tcp 900'");
			for (i = 0; i + 1 < k->argc; i += 2) {
				struct node one = *k;

				for (j = 0; j < KA_DIM(names); j++)
					if (strcmp(k->argv[i], names[j]) == 0)
						break;
				if (j == KA_DIM(names)) {
					problem(c, &k->w, "lvs_timeouts: unknown '%s' (expected"
							" tcp, tcpfin or udp): ignored",
							q(c, k->argv[i]));
					continue;
				}
				one.kw = k->argv[i];
				one.argv = &k->argv[i + 1];
				one.argc = 1;
				if (get_uint(c, &one, 0, LB_MAX_TIMEOUT, &v) && v > 0) {
					c->timeouts[j] = (uint32_t)v;
					c->has_timeouts = true;
					c->timeouts_w = k->w;
				}
			}
		}
	}
	return found;
}

static void
top_level(struct conv *c, const struct node *root)
{
	const struct node *n;
	size_t i;

	for (n = root->child; n != NULL; n = n->next) {
		if (n->kw == NULL || n->include)
			continue;
		if (strcmp(n->kw, "virtual_server") == 0) {
			virtual_server(c, n);
			continue;
		}
		if (strcmp(n->kw, "virtual_server_group") == 0) {
			problem(c, &n->w, "virtual_server_group not converted: lbd has no server"
					" groups (write one virtual_server per address)");
			continue;
		}
		if (strcmp(n->kw, "SSL") == 0) {
			problem(c, &n->w, "SSL not converted: lbd's https check takes no key,"
					" certificate or CA");
			continue;
		}
		for (i = 0; i < KA_DIM(vrrp_kinds); i++)
			if (strcmp(n->kw, vrrp_kinds[i]) == 0)
				break;
		if (i < KA_DIM(vrrp_kinds)) {
			const char *kind = vrrp_kinds[i];

			if (c->n_vrrp == 0)
				c->vrrp_w = n->w;
			for (i = 0; i < c->n_vrrp && c->vrrp_seen[i] != kind; i++)
				;
			if (i == c->n_vrrp)
				c->vrrp_seen[c->n_vrrp++] = kind;
			continue;
		}
		for (i = 0; i < KA_DIM(skipped_kinds); i++)
			if (strcmp(n->kw, skipped_kinds[i]) == 0)
				break;
		if (i < KA_DIM(skipped_kinds)) {
			const char *but = i == 0 && global_defs(c, n) ? " but for its"
				" lvs_timeouts (converted to timeouts)" : "";

			if (!c->skipped_seen[i])
				note(c, &n->w, "%s skipped%s: it is not LVS configuration,"
						" it stays keepalived's", n->kw, but);
			c->skipped_seen[i] = true;
			continue;
		}
		unknown(c, n, "the top level");
	}
	if (c->n_vrrp > 0) {
		char kinds[160] = "";
		size_t len = 0;

		for (i = 0; i < c->n_vrrp; i++)
			len += (size_t)snprintf(kinds + len, sizeof(kinds) - len, "%s%s",
					len > 0 ? ", " : "", c->vrrp_seen[i]);
		note(c, &c->vrrp_w, "%s skipped: VRRP keeps running in keepalived (see"
				" docs/health-checks.md)", kinds);
	}
}

/* Output */

/* The value of key k for the comparisons of hoisting: connect_port 0 = unset. */
static const char *
ck_value(const struct check *ck, int k)
{
	if (k == CK_CONNECT_PORT && ck->v[k] == NULL)
		return ck->v[CK_TYPE] != NULL && strcmp(ck->v[CK_TYPE], "\"misc\"") != 0 &&
			strcmp(ck->v[CK_TYPE], "\"none\"") != 0 ? "0" : NULL;
	return ck->v[k];
}

static bool
same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * The service's check group: when all real servers run the same type of
 * check, each key every one of them has, at the value more than half of them
 * have. The real servers then carry what differs.
 */
static void
hoist(struct conv *c, struct svc *sv)
{
	const struct dest *d, *e, *best;
	unsigned int n, best_n, n_dests = 0;
	const char *v;
	int k;

	if (sv->dests == NULL)
		return;
	for (d = sv->dests; d != NULL; d = d->next, n_dests++)
		if (!same(d->ck.v[CK_TYPE], sv->dests->ck.v[CK_TYPE]))
			return;
	sv->hoisted = true;
	for (k = 0; k < CK_COUNT; k++) {
		for (d = sv->dests; d != NULL && ck_value(&d->ck, k) != NULL; d = d->next)
			;
		if (d != NULL)
			continue;
		best = NULL;
		best_n = 0;
		for (d = sv->dests; d != NULL; d = d->next) {
			for (n = 0, e = sv->dests; e != NULL; e = e->next)
				n += same(ck_value(&d->ck, k), ck_value(&e->ck, k));
			if (n > best_n) {
				best = d;
				best_n = n;
			}
		}
		if (best_n * 2 <= n_dests)
			continue;
		v = ck_value(&best->ck, k);
		if (!(k == CK_CONNECT_PORT && strcmp(v, "0") == 0))
			sv->ck.v[k] = xstrdup(c, v);
	}
}

static void
emit_check(FILE *out, const char *ind, const struct check *ck, const struct check *base)
{
	bool any = false;
	const char *v;
	int k;

	for (k = 0; k < CK_COUNT; k++) {
		v = base != NULL ? ck_value(ck, k) : ck->v[k];
		if (v == NULL || (base != NULL && same(v, ck_value(base, k))))
			continue;
		if (base != NULL && k == CK_CONNECT_PORT && base->v[k] == NULL &&
				strcmp(v, "0") == 0)
			continue;
		if (!any)
			fprintf(out, "%scheck = {\n", ind);
		any = true;
		fprintf(out, "%s  %s = %s;\n", ind, ck_names[k], v);
	}
	if (any)
		fprintf(out, "%s};\n", ind);
}

static void
emit_dest(FILE *out, const struct svc *sv, const struct dest *d)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &d->addr, a, sizeof(a));
	fprintf(out, "      # %s:%d: %s\n", d->w.file, d->w.line, d->title);
	fprintf(out, "      {\n");
	fprintf(out, "        address = \"%s\";\n", a);
	fprintf(out, "        port = %u;\n", sv->port);
	fprintf(out, "        weight = %lld;\n", (long long)d->weight);
	if (d->uthreshold != KA_UNSET)
		fprintf(out, "        upper_threshold = %lld;\n", (long long)d->uthreshold);
	if (d->lthreshold != KA_UNSET)
		fprintf(out, "        lower_threshold = %lld;\n", (long long)d->lthreshold);
	emit_check(out, "        ", &d->ck, sv->hoisted ? &sv->ck : NULL);
	fprintf(out, "      }%s\n", d->next != NULL ? "," : "");
}

static void
emit_svc(FILE *out, const struct svc *sv)
{
	char a[INET_ADDRSTRLEN];
	const struct dest *d;
	unsigned int i;

	inet_ntop(AF_INET, &sv->vip, a, sizeof(a));
	fprintf(out, "  # %s:%d: %s\n", sv->w.file, sv->w.line, sv->title);
	fprintf(out, "  {\n");
	fprintf(out, "    protocol = \"%s\";\n", sv->proto == IPPROTO_UDP ? "udp" : "tcp");
	fprintf(out, "    vip = \"%s\";\n", a);
	fprintf(out, "    port = %u;\n", sv->port);
	fprintf(out, "    scheduler = \"%s\";\n", sv->sched);
	if (sv->n_flags > 0) {
		fprintf(out, "    sched_flags = [");
		for (i = 0; i < sv->n_flags; i++)
			fprintf(out, "%s \"%s\"", i > 0 ? "," : "", sv->flags[i]);
		fprintf(out, " ];\n");
	}
	if (sv->persistence > 0)
		fprintf(out, "    persistence = %u;\n", sv->persistence);
	if (sv->has_netmask) {
		inet_ntop(AF_INET, &sv->netmask, a, sizeof(a));
		fprintf(out, "    netmask = \"%s\";\n", a);
	}
	if (sv->quorum != KA_UNSET)
		fprintf(out, "    quorum = %lld;\n", (long long)sv->quorum);
	if (sv->hysteresis != KA_UNSET)
		fprintf(out, "    hysteresis = %lld;\n", (long long)sv->hysteresis);
	if (sv->has_sorry) {
		inet_ntop(AF_INET, &sv->sorry, a, sizeof(a));
		fprintf(out, "    sorry_server = \"%s\";\n", a);
	}
	if (sv->hoisted)
		emit_check(out, "    ", &sv->ck, NULL);
	fprintf(out, "    real_servers = (\n");
	for (d = sv->dests; d != NULL; d = d->next)
		emit_dest(out, sv, d);
	fprintf(out, "    );\n");
	fprintf(out, "  }%s\n", sv->next != NULL ? "," : "");
}

static bool
in_list(const uint32_t *list, size_t n, uint32_t a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == a)
			return true;
	return false;
}

/*
 * The ports: keepalived.conf does not say them. One per /24 of the real and
 * sorry servers, in the order they come (the first VIP's /24 when there are
 * none), on its .254 or the highest address no real server, sorry server or
 * VIP has. A server on a /24 past lbd's ports is not converted.
 */
static void
plan_ports(struct conv *c)
{
	unsigned int max = lb_limit_max(LB_LIMIT_PORTS), i, h;
	size_t n_used = 0, cap = 1;
	struct dest *d, **pd;
	uint32_t *used, net;
	char a[INET_ADDRSTRLEN];
	struct svc *sv;

	if (max > LB_MAX_PORTS)
		max = LB_MAX_PORTS;
	for (sv = c->svcs; sv != NULL; sv = sv->next)
		cap += 2 + sv->n_dests;
	used = xcalloc(c, cap, sizeof(*used));
	if (used == NULL)
		return;
	for (sv = c->svcs; sv != NULL; sv = sv->next) {
		used[n_used++] = sv->vip;
		for (pd = &sv->dests; (d = *pd) != NULL; ) {
			used[n_used++] = d->addr;
			net = d->addr & htonl(0xffffff00u);
			if (!in_list(c->nets, c->n_nets, net) && c->n_nets < max)
				c->nets[c->n_nets++] = net;
			if (in_list(c->nets, c->n_nets, net)) {
				pd = &d->next;
				continue;
			}
			inet_ntop(AF_INET, &d->addr, a, sizeof(a));
			problem(c, &d->w, "real_server %s not converted: its /24 would be a"
					" port past lbd's %u", a, max);
			*pd = d->next;
			free_check(&d->ck);
			free(d->title);
			free(d);
			sv->n_dests--;
		}
		sv->dest_tail = pd;
		if (!sv->has_sorry)
			continue;
		used[n_used++] = sv->sorry;
		net = sv->sorry & htonl(0xffffff00u);
		if (!in_list(c->nets, c->n_nets, net) && c->n_nets < max)
			c->nets[c->n_nets++] = net;
		if (!in_list(c->nets, c->n_nets, net)) {
			inet_ntop(AF_INET, &sv->sorry, a, sizeof(a));
			problem(c, &sv->sorry_w, "sorry_server %s not converted: its /24 would"
					" be a port past lbd's %u", a, max);
			sv->has_sorry = false;
		}
	}
	if (c->n_nets == 0)
		c->nets[c->n_nets++] = c->svcs->vip & htonl(0xffffff00u);
	for (i = 0; i < c->n_nets; i++) {
		for (h = 254; h > 0 && in_list(used, n_used, c->nets[i] | htonl(h)); h--)
			;
		if (h == 0) {
			inet_ntop(AF_INET, &c->nets[i], a, sizeof(a));
			problem(c, &c->svcs->w, "every address of %s/24 is taken: set the"
					" address of port CHANGE-ME-%u by hand", a, i);
			h = 254;
		}
		c->ports[i] = c->nets[i] | htonl(h);
	}
	free(used);
}

static void
emit_ports(struct conv *c, FILE *out)
{
	struct where w = { c->svcs->w.file, c->svcs->w.line, UINT64_MAX };
	char a[INET_ADDRSTRLEN];
	unsigned int i;

	fprintf(out, "# keepalived.conf does not say which port reaches the real servers:"
			" here is\n# one per /24 of theirs. Set each 'device' (a PCI address or"
			" a vdev name)\n# and 'address' (the director's own address on that"
			" network, with its\n# real prefix length).\n");
	fprintf(out, "ports = (\n");
	for (i = 0; i < c->n_nets; i++) {
		inet_ntop(AF_INET, &c->nets[i], a, sizeof(a));
		fprintf(out, "  # for %s/24\n", a);
		inet_ntop(AF_INET, &c->ports[i], a, sizeof(a));
		fprintf(out, "  {\n    device = \"CHANGE-ME-%u\";\n    address = \"%s/24\";\n"
				"  }%s\n", i, a, i + 1 < c->n_nets ? "," : "");
	}
	fprintf(out, ");\n\n");
	if (c->n_nets == 1)
		note(c, &w, "port CHANGE-ME-0 written: keepalived.conf does not say which"
				" port reaches the real servers: set its device and address");
	else
		note(c, &w, "ports CHANGE-ME-0 to CHANGE-ME-%u written: keepalived.conf does"
				" not say which port reaches the real servers: set their devices"
				" and addresses", c->n_nets - 1);
}

static void
emit(struct conv *c, FILE *out)
{
	const struct svc *sv;
	struct svc *s;

	plan_ports(c);
	for (s = c->svcs; s != NULL; s = s->next)
		hoist(c, s);
	fprintf(out, "# lbd configuration converted from %s by lbd --from-keepalived.\n"
			"# Review it, then check it with: lbd --check -f FILE\n\n", c->path);
	emit_ports(c, out);
	fprintf(out, "services = (\n");
	for (sv = c->svcs; sv != NULL; sv = sv->next)
		emit_svc(out, sv);
	fprintf(out, ");\n");
	if (c->has_timeouts) {
		fprintf(out, "\n# %s:%d: lvs_timeouts\ntimeouts = {\n", c->timeouts_w.file,
				c->timeouts_w.line);
		if (c->timeouts[0] != 0)
			fprintf(out, "  established = %u;\n", c->timeouts[0]);
		if (c->timeouts[1] != 0)
			fprintf(out, "  fin_wait = %u;\n", c->timeouts[1]);
		if (c->timeouts[2] != 0)
			fprintf(out, "  udp = %u;\n", c->timeouts[2]);
		fprintf(out, "};\n");
	}
}

static void
conv_free(struct conv *c, struct node *root)
{
	struct svc *sv, *next;
	struct name *nm, *nmn;
	struct src *s;

	free_tree(root->child);
	for (sv = c->svcs; sv != NULL; sv = next) {
		next = sv->next;
		free_svc(sv);
	}
	while (c->top != NULL) {
		s = c->top;
		c->top = s->below;
		free(s->buf);
		free(s);
	}
	for (nm = c->names; nm != NULL; nm = nmn) {
		nmn = nm->next;
		free(nm);
	}
	free(c->word);
}

int
lb_keepalived_convert(const char *path, FILE *out, FILE *errs)
{
	struct conv c = { .errs = errs, .path = path };
	struct node root = { 0 };
	struct src *s;
	int rc;

	c.svc_tail = &c.svcs;
	s = xcalloc(&c, 1, sizeof(*s));
	rc = s != NULL && (s->path = intern(&c, path)) != NULL ? read_all(&c, path, s) :
		-ENOMEM;
	if (rc < 0) {
		fprintf(errs, "%s:0: cannot read file: %s\n", path, read_error(rc));
		free(s);
		conv_free(&c, &root);
		return rc;
	}
	c.top = s;
	parse(&c, &root);
	if (!c.oom)
		top_level(&c, &root);
	if (c.oom) {
		rc = -ENOMEM;
		fprintf(errs, "%s:0: out of memory\n", path);
	} else if (c.n_svcs == 0) {
		rc = -ENODATA;
		problem(&c, &(struct where){ path, 0, UINT64_MAX }, "nothing converted: no"
				" virtual_server lbd can run");
	} else {
		emit(&c, out);
		rc = c.oom ? -ENOMEM : c.n_problems;
		if (fflush(out) != 0 || ferror(out)) {
			fprintf(errs, "%s:0: cannot write the output: %s\n", path,
					strerror(errno));
			rc = -EIO;
		}
	}
	print_msgs(&c);
	conv_free(&c, &root);
	return rc;
}
