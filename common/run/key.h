/* SPDX-License-Identifier: MIT */
/*
 * key.h - the key part of keyed tools: the options --key EXPR,
 * --max-keys N, --time EXPR and --no-fast with their --help lines, and a
 * sz_key that reads a record's key (its canonical text, sz(7) EXPRESSIONS,
 * Keys) and its event time (sz(7) VALUES).
 *
 * A tool puts SZ_KEY_LONGOPTS (--key and --no-fast) in its long options,
 * SZ_KEY_MAXKEYS_LONGOPT when it keeps keyed state and SZ_KEY_TIME_LONGOPT
 * when it reads event time, "k:" in its short options, and points t->key
 * at its sz_key in its definition's init (run/tool.h): the runtime then
 * answers the key part's options itself, as it does jq's, and frees the
 * key part at the end. In start() the tool calls sz_key_compile(); per
 * record
 * sz_key_get() (or sz_key_eval() and sz_key_bad(), when it has something
 * to do between finding bad input and reporting it), and sz_key_time().
 *
 * Bad input is the same in every tool:
 *   --key raises a jq error       kind "jq", "--key: <jq's message>"
 *   --key yields no value         kind "key", "--key yields no value"
 *   --time raises a jq error      kind "jq", "--time: <jq's message>"
 *   --time yields no value        kind "time", "--time yields no value"
 *   --time yields no time         kind "time", "--time: <reason>: <value>"
 * and a program that runs halt or halt_error stops the tool (sz_halt).
 */
#ifndef SZ_KEY_H
#define SZ_KEY_H

#include <stdint.h>

#include "core/buf.h"
#include "jq/expr.h"
#include "run/tool.h"

/* --max-keys: the default and the bound of every tool. */
#define SZ_KEY_MAX_KEYS 1000000
#define SZ_KEY_MAX_KEYS_BOUND UINT64_C(3000000000)

/* Option codes: -k, and long-only codes between jq's and the tool's. */
enum { SZ_OPT_KEY = 'k', SZ_OPT_MAXKEYS = 0x1900, SZ_OPT_TIME,
	SZ_OPT_NOFAST };

#define SZ_KEY_LONGOPTS \
	{ "key", required_argument, NULL, SZ_OPT_KEY }, \
	{ "no-fast", no_argument, NULL, SZ_OPT_NOFAST }
#define SZ_KEY_MAXKEYS_LONGOPT \
	{ "max-keys", required_argument, NULL, SZ_OPT_MAXKEYS }
#define SZ_KEY_TIME_LONGOPT \
	{ "time", required_argument, NULL, SZ_OPT_TIME }

/* --help lines; a tool may follow SZ_KEY_HELP with lines of its own,
 * indented to the description column, on what its key is for. */
#define SZ_KEY_HELP \
"  -k, --key EXPR         the key: the first value of the jq expression\n" \
"                         EXPR (e.g. .id, [.a,.b]); equal JSON values are\n" \
"                         one key\n"
#define SZ_KEY_MAXKEYS_HELP \
"      --max-keys N       keep at most N keys (1 to 3000000000, default\n" \
"                         1000000); at the bound the least recent key is\n" \
"                         forgotten first\n"
#define SZ_KEY_TIME_HELP \
"      --time EXPR        event time read by the jq expression EXPR (an\n" \
"                         RFC 3339 string, epoch seconds or milliseconds)\n"
#define SZ_KEY_NOFAST_HELP \
"      --no-fast          always evaluate expressions with libjq\n"

typedef struct sz_key {
	/* The options (sz_key_opt). */
	const char *keysrc;	/* --key, or NULL: the whole record */
	const char *keyopt;	/* the option that gave keysrc, for
				   messages (NULL: "--key") */
	const char *timesrc;	/* --time, or NULL: the clock */
	const char *timeopt;	/* the option that gave timesrc, for
				   messages (NULL: "--time"; sz-monitor's
				   --latency) */
	uint64_t max_keys;	/* --max-keys, SZ_KEY_MAX_KEYS by default */
	int max_keys_set;
	int fast;		/* 0 after --no-fast */
	/* The programs (sz_key_compile). */
	sz_expr key, time;
	int have_key, have_time;
	sz_buf kb;		/* the last key's canonical text */
	sz_buf tb;		/* the last time's text, or what was wrong */
} sz_key;

/* Answers of sz_key_eval and sz_key_time. */
enum {
	SZ_KEY_OK = 0,
	SZ_KEY_JQ,		/* --key raised a jq error (or halted) */
	SZ_KEY_NONE,		/* --key yielded no value */
	SZ_KEY_TIME_JQ,		/* --time raised a jq error (or halted) */
	SZ_KEY_TIME_BAD,	/* no time: the message in k->tb */
	SZ_KEY_NOMEM		/* out of memory */
};

/* No options given yet: the defaults. */
void sz_key_init(sz_key *k);
/*
 * Take the option c (value in optarg) if it is one of the key part's.
 * Answers 1 (taken), 0 (not ours), or '?' with o->err set for a bad
 * value.
 */
int sz_key_opt(sz_key *k, sz_opts *o, int c);
/*
 * Compile --key and --time (those given) with the tool's variables
 * (t->vars). Returns 0, or the usage status after printing "--key: cannot
 * compile EXPR 'SRC':" and jq's message (sz_tool_compile).
 */
int sz_key_compile(sz_key *k, sz_tool *t);
/* Free what the key part holds (also when nothing was compiled). */
void sz_key_free(sz_key *k);

/*
 * The canonical text of r's key (without --key: of the whole record) into
 * k->kb, which is emptied first. SZ_KEY_OK, SZ_KEY_JQ, SZ_KEY_NONE or
 * SZ_KEY_NOMEM.
 */
int sz_key_eval(sz_key *k, const sz_rec *r);
/*
 * The JSON text of the first value of r's key (without --key: r itself,
 * compact) into k->kb, which is emptied first: the raw text for a simple
 * path, jq's text otherwise (sz_expr_value), not the canonical text.
 * Answers as sz_key_eval.
 */
int sz_key_value(sz_key *k, const sz_rec *r);
/*
 * r's event time (--time) in ns since the epoch into *ns; without --time,
 * the monotonic clock (sz_now). SZ_KEY_OK, SZ_KEY_TIME_JQ or
 * SZ_KEY_TIME_BAD.
 */
int sz_key_time(sz_key *k, const sz_rec *r, int64_t *ns);
/*
 * Report the bad answer `what` of sz_key_eval or sz_key_time for r: bad
 * input as the table above says (sz_bad, which applies --on-error), a
 * halt, or a failure for SZ_KEY_NOMEM. Returns what sz_bad returns: 0 to
 * go on with the next record, -1 to stop.
 */
int sz_key_bad(sz_key *k, sz_tool *t, const sz_rec *r, int what);
/*
 * sz_key_eval and, on a bad answer, sz_key_bad: 1 with the key in k->kb,
 * else what the tool's record callback returns (0 or -1), so that
 *	if ((rc = sz_key_get(&s->key, t, r)) != 1)
 *		return rc;
 */
int sz_key_get(sz_key *k, sz_tool *t, const sz_rec *r);

#endif
