/* SPDX-License-Identifier: MIT */
/*
 * stages.c - sz-top's stages from the $SZ_STATS_DIR files: read them,
 * put them in pipeline order (stage A before B when A's stdout is B's
 * stdin), find the bottleneck of each pipeline.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/loop.h"
#include "json/json.h"
#include "json/str.h"
#include "top.h"

#define MAX_FILE (1024 * 1024)

/* The member `key` of object o (a second key: in the member before). */
static int
member(const char *o, size_t n, const char *k1, const char *k2,
    const char **v, size_t *vn)
{
	sz_step st[2] = {
		{ SZ_STEP_KEY, k1, strlen(k1), 0 },
		{ SZ_STEP_KEY, k2, k2 ? strlen(k2) : 0, 0 },
	};
	sz_jtype et;

	return sz_json_path(o, n, st, k2 ? 2 : 1, v, vn, &et) ==
	    SZ_GET_FOUND ? 0 : -1;
}

static double
num(const sz_buf *raw, const char *k1, const char *k2)
{
	const char *v;
	size_t vn;

	if (member(raw->p, raw->len, k1, k2, &v, &vn) < 0 ||
	    sz_json_type(v, v + vn) != SZ_JNUMBER)
		return 0;
	return sz_json_num(v, vn);
}

static void
str(const sz_buf *raw, const char *k, char *to, size_t size)
{
	const char *v, *d;
	size_t vn, dn;
	sz_buf scratch = SZ_BUF_INIT;

	to[0] = '\0';
	if (member(raw->p, raw->len, k, NULL, &v, &vn) < 0 ||
	    sz_json_type(v, v + vn) != SZ_JSTRING)
		return;
	if ((d = sz_jstr_decode(v, vn, &scratch, &dn)) != NULL) {
		/* shown on a terminal: no control bytes */
		size_t i, j = 0;

		for (i = 0; i < dn && j + 1 < size; i++)
			to[j++] = (unsigned char)d[i] < 0x20 ||
			    d[i] == 0x7f ? '?' : d[i];
		to[j] = '\0';
	}
	sz_buf_free(&scratch);
}

/* Read a file whole (it is replaced by rename, never written in place). */
static int
slurp(const char *dir, const char *name, sz_buf *b, time_t *mtime)
{
	char path[4096];
	char chunk[16384];
	struct stat st;
	int fd;
	ssize_t k;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	*mtime = st.st_mtime;
	sz_buf_reset(b);
	while ((k = read(fd, chunk, sizeof(chunk))) != 0) {
		if (k < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (b->len + (size_t)k > MAX_FILE ||
		    sz_buf_add(b, chunk, (size_t)k) < 0) {
			k = -1;
			break;
		}
	}
	close(fd);
	if (k != 0)
		return -1;
	/* one object, without its newline */
	while (b->len > 0 && (b->p[b->len - 1] == '\n' ||
	    b->p[b->len - 1] == ' '))
		b->len--;
	if (b->len == 0 || b->p[0] != '{' || sz_json_validate(b->p, b->len,
	    NULL, NULL) < 0)
		return -1;
	return 0;
}

/* The values of stage s, from its raw object; rates from the values
 * before (or the whole run's, the first time). */
static void
take(struct stage *s, uint64_t now)
{
	const sz_buf *r = &s->raw;
	double el;

	str(r, "name", s->name, sizeof(s->name));
	str(r, "tool", s->tool, sizeof(s->tool));
	str(r, "state", s->state, sizeof(s->state));
	s->pid = (long)num(r, "pid", NULL);
	s->in = (uint64_t)num(r, "in", NULL);
	s->out = (uint64_t)num(r, "out", NULL);
	s->dropped = (uint64_t)num(r, "dropped", NULL);
	s->errors = (uint64_t)num(r, "errors", NULL);
	s->elapsed = num(r, "elapsed_s", NULL);
	s->blocked = num(r, "blocked_out_s", NULL);
	s->wait_in = num(r, "wait_in_s", NULL);
	s->holding = num(r, "holding_s", NULL);
	s->q_records = (uint64_t)num(r, "queue", "records");
	s->q_bound = (uint64_t)num(r, "queue", "bound");
	s->in_dev = (unsigned long long)num(r, "stdin", "dev");
	s->in_ino = (unsigned long long)num(r, "stdin", "ino");
	s->out_dev = (unsigned long long)num(r, "stdout", "dev");
	s->out_ino = (unsigned long long)num(r, "stdout", "ino");
	s->exit_status = strcmp(s->state, "exited") == 0 ?
	    (int)num(r, "exit_status", NULL) : -1;
	/* A stage that died without its last word (SIGKILL). */
	s->gone = s->exit_status < 0 && s->pid > 0 &&
	    kill((pid_t)s->pid, 0) < 0 && errno == ESRCH;
	if (s->exit_status >= 0 || s->gone) {
		s->in_rate = s->out_rate = 0;
		s->blk_pct = s->wait_pct = 0;
	} else if (s->have_prev && now > s->prev_t &&
	    s->elapsed > 0) {
		el = (double)(now - s->prev_t) / 1e9;
		s->in_rate = (double)(s->in - s->prev_in) / el;
		s->out_rate = (double)(s->out - s->prev_out) / el;
		s->blk_pct = 100 * (s->blocked - s->prev_blocked) / el;
		s->wait_pct = 100 * (s->wait_in - s->prev_wait) / el;
	} else {
		el = s->elapsed > 0 ? s->elapsed : 1;
		s->in_rate = (double)s->in / el;
		s->out_rate = (double)s->out / el;
		s->blk_pct = 100 * s->blocked / el;
		s->wait_pct = 100 * s->wait_in / el;
	}
	if (s->blk_pct > 100)
		s->blk_pct = 100;
	if (s->wait_pct > 100)
		s->wait_pct = 100;
	if (s->blk_pct < 0)
		s->blk_pct = 0;
	if (s->wait_pct < 0)
		s->wait_pct = 0;
	memmove(s->spark, s->spark + 1, sizeof(s->spark[0]) * (SPARK_N - 1));
	memmove(s->spark_t, s->spark_t + 1,
	    sizeof(s->spark_t[0]) * (SPARK_N - 1));
	s->spark[SPARK_N - 1] = s->in_rate;
	s->spark_t[SPARK_N - 1] = now;
	s->have_prev = 1;
	s->prev_t = now;
	s->prev_in = s->in;
	s->prev_out = s->out;
	s->prev_blocked = s->blocked;
	s->prev_wait = s->wait_in;
}

static struct stage *
find(struct top *tp, const char *file)
{
	for (size_t i = 0; i < tp->n; i++)
		if (strcmp(tp->v[i].file, file) == 0)
			return &tp->v[i];
	return NULL;
}

static void
stage_free(struct stage *s)
{
	free(s->file);
	sz_buf_free(&s->raw);
}

int
top_scan(struct top *tp)
{
	DIR *dp = opendir(tp->dir);
	struct dirent *de;
	uint64_t now = sz_now();
	sz_buf b = SZ_BUF_INIT;
	size_t i, j;

	if (dp == NULL)
		return -1;
	for (i = 0; i < tp->n; i++)
		tp->v[i].seen = 0;
	while ((de = readdir(dp)) != NULL) {
		size_t nl = strlen(de->d_name);
		struct stage *s;
		time_t mt;

		/* NAME.PID.json; dot files are the writers' temporary ones */
		if (de->d_name[0] == '.' || nl < 6 ||
		    strcmp(de->d_name + nl - 5, ".json") != 0)
			continue;
		if (slurp(tp->dir, de->d_name, &b, &mt) < 0)
			continue;
		if ((s = find(tp, de->d_name)) == NULL) {
			if (tp->n == tp->a) {
				size_t na = tp->a ? 2 * tp->a : 16;
				struct stage *nv = realloc(tp->v,
				    na * sizeof(*nv));

				if (nv == NULL)
					goto nomem;
				tp->v = nv;
				tp->a = na;
			}
			s = &tp->v[tp->n];
			memset(s, 0, sizeof(*s));
			if ((s->file = strdup(de->d_name)) == NULL)
				goto nomem;
			tp->n++;
		}
		sz_buf_reset(&s->raw);
		if (sz_buf_add(&s->raw, b.p, b.len) < 0)
			goto nomem;
		s->mtime = mt;
		s->seen = 1;
		take(s, now);
	}
	closedir(dp);
	sz_buf_free(&b);
	/* Files removed, and stages exited longer ago than --forget. */
	for (i = j = 0; i < tp->n; i++) {
		struct stage *s = &tp->v[i];
		int old = (s->exit_status >= 0 || s->gone) &&
		    (double)(time(NULL) - s->mtime) * 1e9 >= (double)tp->forget;

		if (!s->seen || old)
			stage_free(s);
		else
			tp->v[j++] = *s;
	}
	tp->n = j;
	return 0;
nomem:
	closedir(dp);
	sz_buf_free(&b);
	errno = ENOMEM;
	return -1;
}

static int
live(const struct stage *s)
{
	return s->exit_status < 0 && !s->gone;
}

/* Neither blocked downstream nor waiting for input: doing the work. */
static int
working(const struct stage *s)
{
	return live(s) && (strcmp(s->state, "reading") == 0 ||
	    strcmp(s->state, "holding") == 0);
}

static int
by_order(const void *a, const void *b, void *ud)
{
	const struct top *tp = ud;
	const struct stage *x = &tp->v[*(const int *)a];
	const struct stage *y = &tp->v[*(const int *)b];
	const struct stage *gx = &tp->v[x->group], *gy = &tp->v[y->group];

	if (x->group != y->group)
		return gx->pid < gy->pid ? -1 : gx->pid > gy->pid ? 1 :
		    x->group - y->group;
	if (x->depth != y->depth)
		return x->depth - y->depth;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* A plain insertion sort: a screen holds a few dozen stages. */
static void
sort(int *v, size_t n, struct top *tp)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && by_order(&v[j - 1], &v[j],
		    tp) > 0; j--) {
			int x = v[j];

			v[j] = v[j - 1];
			v[j - 1] = x;
		}
}

/*
 * The device of pipes (Linux's pipefs: every pipe has it), or 0: two
 * stages are linked by a pipe, not by the terminal that is the first one's
 * stdin and the last one's stdout.
 */
static unsigned long long
pipe_dev(void)
{
	static unsigned long long dev = 1;
	int fd[2];
	struct stat st;

	if (dev != 1)
		return dev;
	dev = 0;
	if (pipe(fd) == 0) {
		if (fstat(fd[0], &st) == 0)
			dev = (unsigned long long)st.st_dev;
		close(fd[0]);
		close(fd[1]);
	}
	return dev;
}

/* Would j before i make a loop (i already comes before j)? */
static int
loops(const struct top *tp, int i, int j)
{
	for (size_t d = 0; j >= 0 && d <= tp->n; d++, j = tp->v[j].pred)
		if (j == i)
			return 1;
	return 0;
}

int
top_order(struct top *tp)
{
	unsigned long long pdev = pipe_dev();
	size_t i, j;
	int *o;

	for (i = 0; i < tp->n; i++) {
		tp->v[i].pred = -1;
		tp->v[i].bottleneck = 0;
	}
	for (i = 0; i < tp->n; i++) {
		struct stage *s = &tp->v[i];

		if (s->in_ino == 0 || (pdev != 0 && s->in_dev != pdev))
			continue;
		for (j = 0; j < tp->n; j++)
			if (j != i && tp->v[j].out_ino == s->in_ino &&
			    tp->v[j].out_dev == s->in_dev &&
			    !loops(tp, (int)i, (int)j)) {
				s->pred = (int)j;
				break;
			}
	}
	/* Group and depth: the first stage of the chain, and how far. */
	tp->ngroups = 0;
	for (i = 0; i < tp->n; i++) {
		int k = (int)i, d = 0;

		while (tp->v[k].pred >= 0 && d <= (int)tp->n) {
			k = tp->v[k].pred;
			d++;
		}
		tp->v[i].group = k;
		tp->v[i].depth = d;
		if (k == (int)i)
			tp->ngroups++;
	}
	if ((o = realloc(tp->order, (tp->n ? tp->n : 1) * sizeof(*o))) ==
	    NULL)
		return -1;
	tp->order = o;
	for (i = 0; i < tp->n; i++)
		o[i] = (int)i;
	sort(o, tp->n, tp);
	tp->norder = tp->n;
	/*
	 * The bottleneck: a stage doing the work (reading or holding) while
	 * its neighbours wait on it (the one before blocked writing to it,
	 * the one after idle for want of its records), the most such
	 * neighbours first, then the slowest.
	 */
	for (i = 0; i < tp->n;) {
		int best = -1, best_score = 0;
		size_t e = i;

		while (e < tp->n && tp->v[o[e]].group == tp->v[o[i]].group)
			e++;
		for (j = i; j < e; j++) {
			struct stage *s = &tp->v[o[j]];
			int score = 0;

			if (!working(s))
				continue;
			if (s->pred >= 0 && live(&tp->v[s->pred]) &&
			    strcmp(tp->v[s->pred].state, "blocked-out") == 0)
				score++;
			for (size_t k = i; k < e; k++)
				if (tp->v[o[k]].pred == o[j] &&
				    live(&tp->v[o[k]]) &&
				    strcmp(tp->v[o[k]].state, "idle") == 0) {
					score++;
					break;
				}
			if (score > best_score || (score == best_score &&
			    score > 0 && s->in_rate < tp->v[best].in_rate)) {
				best = o[j];
				best_score = score;
			}
		}
		if (best >= 0)
			tp->v[best].bottleneck = 1;
		i = e;
	}
	return 0;
}

void
top_free(struct top *tp)
{
	for (size_t i = 0; i < tp->n; i++)
		stage_free(&tp->v[i]);
	free(tp->v);
	free(tp->order);
	tp->v = NULL;
	tp->order = NULL;
	tp->n = tp->a = tp->norder = 0;
}
