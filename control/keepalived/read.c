/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbd --from-keepalived: the reader. It turns the file and its includes into
 * a tree of statements (a keyword, its words, maybe a { } block) the way
 * keepalived's parser reads it: blank-separated words, "..." and '...'
 * strings, braces as words of their own, # and ! comments, one statement per
 * line, included files spliced in where the include stands.
 *
 * Files are read whole onto a stack: an include puts the files it names on
 * top, so that the words come out in the order keepalived reads them and
 * every position gets its place in that order (struct where's seq). Any input
 * is safe: files, words, nesting and includes are all bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/config.h"
#include "control/keepalived/ka.h"

#define KA_MAX_INCLUDE_DEPTH	8
#define KA_MAX_NESTING		32		/* blocks within blocks */
#define KA_MAX_FILE		(16u << 20)	/* bytes, one file */
#define KA_MAX_INPUT		(64u << 20)	/* bytes, all files */
#define KA_MAX_WORDS		(1u << 20)

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
				lb_hex_digit((unsigned char)s->buf[s->pos]) >= 0; i++)
			v = v * 16 + (unsigned int)lb_hex_digit((unsigned char)s->buf[s->pos++]);
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
				ka_problem(c, w, "unterminated quoted string: it ends at the end"
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
			ka_problem(c, w, "more than %u words: the rest of the input is not read",
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
		ka_problem(c, &n->w, "%s needs a file name: nothing included", n->kw);
		return;
	}
	arg = n->argv[0];
	if (n->argc > 1)
		ka_problem(c, &n->w, "%s takes one file name: '%s' and what follows ignored",
				n->kw, ka_q(c, n->argv[1]));
	slash = strrchr(inc->path, '/');
	if (arg[0] != '/' && slash != NULL)
		pattern = ka_xasprintf(c, "%.*s/%s", (int)(slash - inc->path), inc->path, arg);
	else
		pattern = ka_xstrdup(c, arg);
	if (pattern == NULL)
		return;
	rc = glob(pattern, GLOB_BRACE, NULL, &g);
	if (rc != 0) {
		if (rc == GLOB_NOMATCH)
			ka_problem(c, &n->w, "%s '%s': no such file: nothing included", n->kw,
					ka_q(c, arg));
		else
			ka_problem(c, &n->w, "%s '%s': cannot list the files: nothing included",
					n->kw, ka_q(c, arg));
		free(pattern);
		return;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i];

		if (inc->depth >= KA_MAX_INCLUDE_DEPTH) {
			ka_problem(c, &n->w, "%s '%s': includes nested more than %d deep: not read",
					n->kw, ka_q(c, arg), KA_MAX_INCLUDE_DEPTH);
			break;
		}
		s = ka_xcalloc(c, 1, sizeof(*s));
		if (s == NULL)
			break;
		s->path = intern(c, path);
		err = s->path != NULL ? read_all(c, path, s) : -ENOMEM;
		if (err < 0) {
			ka_problem(c, &n->w, "cannot read %s: %s: not included", ka_q(c, path),
					read_error(err));
			free(s);
			continue;
		}
		for (a = inc; a != NULL; a = a->parent)
			if (a->dev == s->dev && a->ino == s->ino)
				break;
		if (a != NULL) {
			ka_problem(c, &n->w, "include loop: %s is already being read: not read"
					" again", ka_q(c, path));
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
	struct node *n = ka_xcalloc(c, 1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->w = *w;
	if (kw != NULL && (n->kw = ka_xstrdup(c, kw)) == NULL) {
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
	n->argv[n->argc] = ka_xstrdup(c, s);
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
				ka_problem(c, &w, "'{' with no keyword before it: its block is"
						" ignored");
				n = new_node(c, stack[depth], &w, NULL);
				if (n == NULL)
					break;
			}
			n->block = true;
			cur = NULL;
			if (depth == KA_MAX_NESTING) {
				ka_problem(c, &w, "blocks nested more than %d deep: this one is"
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
				ka_problem(c, &w, "'}' with no block to close: ignored");
			else
				depth--;
			break;
		case T_EOF:
			end_statement(c, cur);
			for (; depth > 0; depth--) {
				n = stack[depth];
				if (n->kw != NULL)
					ka_problem(c, &n->w, "%s: its block has no closing '}'",
							ka_q(c, n->kw));
				else
					ka_problem(c, &n->w, "this block has no closing '}'");
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

int
ka_read(struct conv *c, struct node *root)
{
	struct src *s;
	int rc;

	s = ka_xcalloc(c, 1, sizeof(*s));
	rc = s != NULL && (s->path = intern(c, c->path)) != NULL ?
		read_all(c, c->path, s) : -ENOMEM;
	if (rc < 0) {
		fprintf(c->errs, "%s:0: cannot read file: %s\n", c->path, read_error(rc));
		free(s);
		return rc;
	}
	c->top = s;
	parse(c, root);
	return 0;
}

void
ka_read_free(struct conv *c, struct node *root)
{
	struct name *nm, *nmn;
	struct src *s;

	free_tree(root->child);
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
