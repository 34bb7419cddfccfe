/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmm-emu: run a scenario on the unmodified core roles and print a report.
 *
 *   dmm-emu [--seed N] [--format text|json|csv] [--duration D] [--loss P]
 *           [--kill NODE@TIME]... [--handovers] [--compare] [--pmipv6] [--cost] [-v]
 *           [--fho predictive|reactive [--fho-lead D]] [--relocation off|on|compare]
 *           [--svg DIR [--svg-at T]] SCENARIO.json
 *
 * --svg DIR writes pictures of the run (svg.c) into DIR: the topology with
 * anchors, serving nodes and tunnels at --svg-at (default: the end), the
 * bindings, tunnels and handover interruptions over time, and with two
 * runs (--compare, --relocation compare) both side by side.
 *
 * --relocation compare runs a scenario with "relocation" (reloc.c) twice on
 * the same traces, with relocation off and on, and prints them side by side.
 *
 * --compare runs a scenario with MAARs twice on the same topology, mobility
 * trace and session trace: as DMM (CMD + MAARs) and as centralized PMIPv6
 * (one LMA at the CMD's position, MAGs at the MAARs'), and prints both side
 * by side.
 */
#include <getopt.h>
#include <malloc.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dmm-emu [options] SCENARIO.json\n"
		"  --seed N            seed of the run (default 1); same seed, same report\n"
		"  --format F          text (default), json or csv\n"
		"  --duration D        virtual time to run, e.g. 60s (default: the scenario's)\n"
		"  --loss P            loss probability 0..1 on every link\n"
		"  --kill NODE@TIME    stop an LMA or MAG at TIME, e.g. LMA2@30s (repeatable)\n"
		"  --handovers         list every handover\n"
		"  --compare           DMM and centralized PMIPv6 on the same traces, side by side\n"
		"  --relocation M      off, on or compare (a scenario with \"relocation\"; default: on,\n"
		"                      or compare when it says \"compare\": true)\n"
		"                      (also the scenario's \"compare\": true)\n"
		"  --pmipv6            run a scenario with MAARs as centralized PMIPv6 only\n"
		"  --fho MODE          RFC 5949 fast handover between the MAGs: predictive (the\n"
		"                      handover is announced --fho-lead before the link goes,\n"
		"                      20ms by default) or reactive\n"
		"  --cost              print the run's cost on stderr: CPU time of setup and\n"
		"                      run, handovers per CPU-second, peak RSS\n"
		"  --multicast M       via-anchor, direct or compare: the scenario's \"multicast\" at each\n"
		"                      of its listener counts, replication per group packet\n"
		"  --localized-routing M\n"
		"                      off, on or compare: pairs of MNs talking, without and with the\n"
		"                      MAGs' RFC 6705 localized routing (a scenario with "
		"\"localized_routing\")\n"
		"  --release M         idle, sessions or compare: old prefixes released by the idle timer\n"
		"                      or when their last session closes (a scenario with \"release\")\n"
		"  --svg DIR           write pictures of the run (SVG) into DIR\n"
		"  --svg-at T          the topology picture at virtual time T (default: the end)\n"
		"  -o FILE             write the report to FILE\n"
		"  -v                  print the roles' log records on stderr (-vv: debug)\n");
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run(struct emu *e)
{
	struct emu_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = EV_STOP;
	emu_schedule(&e->eng, e->cfg.duration, &ev);
	e->stop_set = true;
	for (uint32_t i = 0; i < e->nkills; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.type = EV_KILL;
		ev.node = e->kills[i].node;
		ev.mn = i;
		emu_schedule(&e->eng, e->kills[i].at, &ev);
	}
	while (emu_next(&e->eng, &ev)) {
		const struct emu_event *next = emu_peek(&e->eng);

		if (next)
			emu_prefetch(e, next);
		emu_prefetch_run(e, &ev);
		if (e->svg)
			emu_svg_tick(e);
		if (e->mcast)
			emu_mcast_tick(e);
		if (e->lr)
			emu_lr_tick(e);
		if (e->relm)
			emu_release_tick(e);
		switch (ev.type) {
		case EV_ROLE_TIMER:
			emu_on_role_timer(e, &ev);
			break;
		case EV_MH:
			emu_on_mh(e, &ev);
			break;
		case EV_PKT:
			emu_dp_arrive(e, &e->nodes[ev.node], &ev.u.pkt);
			break;
		case EV_FLUSH:
			emu_dp_flush(e, &e->nodes[ev.node]);
			break;
		case EV_MN_DETACH:
			emu_on_detach(e, &ev);
			break;
		case EV_MN_ATTACH:
			emu_on_attach(e, &ev);
			break;
		case EV_DOWNLINK:
			emu_on_downlink(e, &ev);
			break;
		case EV_UPLINK:
			emu_on_uplink(e, &ev);
			break;
		case EV_KILL:
			emu_on_kill(e, &ev);
			break;
		case EV_SESS_START:
			emu_on_sess_start(e, &ev);
			break;
		case EV_SESS_END:
			emu_on_sess_end(e, &ev);
			break;
		case EV_SESS_DL:
			emu_on_sess_dl(e, &ev);
			break;
		case EV_SESS_UL:
			emu_on_sess_ul(e, &ev);
			break;
		case EV_SAMPLE:
			emu_on_sample(e);
			break;
		case EV_ROUTE:
			emu_on_route(e, &ev);
			break;
		case EV_STOP:
			return;
		}
	}
}

struct opts {
	uint64_t seed;
	int verbose;
	const char *dur;
	double loss;
	char *kills[16];
	int nk;
	uint8_t fho;	      /* enum emu_fho */
	const char *fho_lead; /* NULL: 20ms */
	int reloc;	      /* --relocation: -1 as the scenario says, 0 off, 1 on */
	bool svg;	      /* record for the pictures */
	uint32_t mn_count;    /* > 0: the first generator's mn_count */
	int release;	      /* --release: -1 as the scenario says, 0 the idle timer, 1 the sessions */
	int lr;		      /* --localized-routing: -1 as the scenario says, 0 off, 1 on */
	dmm_time_t svg_at;    /* the topology picture's time; DMM_TIME_NEVER: the end */
};

/* Load, set up and run the scenario as variant; NULL with a message on error. */
static struct emu *simulate(const struct opts *o, const char *path, int variant, int *rc)
{
	struct emu *e = calloc(1, sizeof(*e));
	char err[256];
	double c0 = cpu_now();

	*rc = 1;
	if (!e)
		return NULL;
	e->seed = o->seed;
	e->verbose = o->verbose;
	e->mn_override = o->mn_count;
	emu_rng_seed(&e->rng, e->seed);
	if (emu_engine_init(&e->eng)) {
		fprintf(stderr, "dmm-emu: out of memory\n");
		return NULL;
	}
	if (emu_load(e, path, variant, err, sizeof(err))) {
		fprintf(stderr, "dmm-emu: %s\n", err);
		return NULL;
	}
	if (o->dur && emu_parse_duration(o->dur, &e->cfg.duration)) {
		fprintf(stderr, "dmm-emu: --duration: not a duration\n");
		*rc = 2;
		return NULL;
	}
	if (o->reloc == 0)
		e->reloc.on = false;
	if (o->release >= 0)
		emu_release_mode(e, o->release == 1);
	if (o->lr >= 0)
		emu_lr_set(e, o->lr == 1);
	e->fho = o->fho;
	e->fho_lead = 20 * DMM_MSEC;
	if (o->fho_lead && emu_parse_duration(o->fho_lead, &e->fho_lead)) {
		fprintf(stderr, "dmm-emu: --fho-lead: not a duration\n");
		*rc = 2;
		return NULL;
	}
	if (o->loss >= 0)
		for (uint32_t i = 0; i < e->nlinks; i++)
			e->links[i].loss = o->loss;
	for (int i = 0; i < o->nk; i++) {
		char name[64], *at;
		struct emu_node *n;
		dmm_time_t t;

		snprintf(name, sizeof(name), "%s", o->kills[i]);
		at = strchr(name, '@');
		*at = 0;
		n = emu_node_by_name(e, name);
		if (!n || !emu_is_role(n->kind) || emu_parse_duration(at + 1, &t)) {
			fprintf(stderr, "dmm-emu: --kill %s: no such LMA, MAG, MAAR or CMD, or a bad time\n",
				name);
			*rc = 2;
			return NULL;
		}
		struct emu_kill *nkil = realloc(e->kills, sizeof(*e->kills) * (e->nkills + 1));

		if (!nkil)
			return NULL;
		e->kills = nkil;
		e->kills[e->nkills++] = (struct emu_kill){.node = n->idx, .at = t};
	}
	if (emu_paths_compute(e)) {
		fprintf(stderr, "dmm-emu: out of memory\n");
		return NULL;
	}
	if (emu_roles_create(e) || emu_mns_start(e))
		return NULL;
	if (emu_mcast_start(e) || (o->svg && emu_svg_init(e, o->svg_at))) {
		fprintf(stderr, "dmm-emu: out of memory\n");
		return NULL;
	}
	e->cpu_setup = cpu_now() - c0;
	run(e);
	if (e->svg)
		emu_svg_finish(e);
	emu_dp_sync(e);
	e->cpu_run = cpu_now() - c0 - e->cpu_setup;
	*rc = 0;
	return e;
}

/* The command line, parsed. */
struct args {
	struct opts o;
	enum emu_format fmt;
	const char *out_path, *scenario;
	const char *svg_dir; /* --svg */
	const char *mcast;   /* --multicast via-anchor|direct|compare */
	bool lr_compare;     /* --localized-routing compare, or the scenario's "compare" */
	bool rel_compare;    /* --release compare, or the scenario's "release": {"compare": true} */
	int variant;	     /* enum emu_variant */
	bool list, compare, cost;
	bool reloc_compare; /* --relocation compare, or the scenario's "relocation": {"compare": true} */
};

static const struct {
	const char *name;
	enum emu_format fmt;
} formats[] = {{"json", EMU_FMT_JSON}, {"csv", EMU_FMT_CSV}, {"text", EMU_FMT_TEXT}};

static int parse_format(const char *s, enum emu_format *fmt)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!strcmp(s, formats[i].name)) {
			*fmt = formats[i].fmt;
			return 0;
		}
	fprintf(stderr, "dmm-emu: --format: text, json or csv\n");
	return -1;
}

/* --relocation off|on|compare (a scenario with "relocation"). */
static int parse_reloc(const char *s, struct args *a)
{
	if (strcmp(s, "off") == 0)
		a->o.reloc = 0;
	else if (strcmp(s, "on") == 0)
		a->o.reloc = 1;
	else if (strcmp(s, "compare") == 0)
		a->reloc_compare = true;
	else {
		fprintf(stderr, "dmm-emu: --relocation: off, on or compare\n");
		return -1;
	}
	return 0;
}

/* Parse the command line into a; returns -1 to go on, else the exit code (0 after --help). */
static const struct option long_opts[] = {
	{"seed", required_argument, NULL, 's'},
	{"format", required_argument, NULL, 'f'},
	{"duration", required_argument, NULL, 'd'},
	{"loss", required_argument, NULL, 'l'},
	{"kill", required_argument, NULL, 'k'},
	{"handovers", no_argument, NULL, 'H'},
	{"compare", no_argument, NULL, 'C'},
	{"pmipv6", no_argument, NULL, 'P'},
	{"fho", required_argument, NULL, 'F'},
	{"fho-lead", required_argument, NULL, 'L'},
	{"cost", no_argument, NULL, 'c'},
	{"relocation", required_argument, NULL, 'R'},
	{"multicast", required_argument, NULL, 'M'},
	{"localized-routing", required_argument, NULL, 'Z'},
	{"release", required_argument, NULL, 'E'},
	{"svg", required_argument, NULL, 'G'},
	{"svg-at", required_argument, NULL, 'A'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* The options of the models (--fho, --relocation, --multicast, --svg): 1 taken, -1 bad, 0 not one of them. */
static int parse_model_opt(int ch, struct args *a)
{
	switch (ch) {
	case 'F':
		if (strcmp(optarg, "predictive") == 0)
			a->o.fho = EMU_FHO_PREDICTIVE;
		else if (strcmp(optarg, "reactive") == 0)
			a->o.fho = EMU_FHO_REACTIVE;
		else {
			fprintf(stderr, "dmm-emu: --fho: predictive or reactive\n");
			return -1;
		}
		return 1;
	case 'L':
		a->o.fho_lead = optarg;
		return 1;
	case 'R':
		if (parse_reloc(optarg, a))
			return -1;
		return 1;
	case 'M':
		if (strcmp(optarg, "via-anchor") && strcmp(optarg, "direct") && strcmp(optarg, "compare")) {
			fprintf(stderr, "dmm-emu: --multicast: via-anchor, direct or compare\n");
			return -1;
		}
		a->mcast = optarg;
		return 1;
	case 'Z':
		if (strcmp(optarg, "off") == 0)
			a->o.lr = 0;
		else if (strcmp(optarg, "on") == 0)
			a->o.lr = 1;
		else if (strcmp(optarg, "compare") == 0)
			a->lr_compare = true;
		else {
			fprintf(stderr, "dmm-emu: --localized-routing: off, on or compare\n");
			return -1;
		}
		return 1;
	case 'E':
		if (strcmp(optarg, "idle") == 0)
			a->o.release = 0;
		else if (strcmp(optarg, "sessions") == 0)
			a->o.release = 1;
		else if (strcmp(optarg, "compare") == 0)
			a->rel_compare = true;
		else {
			fprintf(stderr, "dmm-emu: --release: idle, sessions or compare\n");
			return -1;
		}
		return 1;
	case 'G':
		a->svg_dir = optarg;
		a->o.svg = true;
		return 1;
	case 'A':
		if (emu_parse_duration(optarg, &a->o.svg_at)) {
			fprintf(stderr, "dmm-emu: --svg-at: not a duration\n");
			return -1;
		}
		return 1;
	default:
		return 0;
	}
}

static int parse_args(int argc, char **argv, struct args *a)
{
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "vho:", long_opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			a->o.seed = strtoull(optarg, NULL, 0);
			break;
		case 'f':
			if (parse_format(optarg, &a->fmt))
				return 2;
			break;
		case 'd':
			a->o.dur = optarg;
			break;
		case 'l':
			a->o.loss = strtod(optarg, NULL);
			if (a->o.loss < 0 || a->o.loss > 1) {
				fprintf(stderr, "dmm-emu: --loss: a probability 0..1\n");
				return 2;
			}
			break;
		case 'k':
			if (a->o.nk == 16 || !strchr(optarg, '@') || strlen(optarg) >= 64) {
				fprintf(stderr, "dmm-emu: --kill NODE@TIME (at most 16)\n");
				return 2;
			}
			a->o.kills[a->o.nk++] = optarg;
			break;
		case 'H':
			a->list = true;
			break;
		case 'C':
			a->compare = true;
			break;
		case 'P':
			a->variant = EMU_VAR_PMIP;
			break;
		case 'c':
			a->cost = true;
			break;
		case 'o':
			a->out_path = optarg;
			break;
		case 'v':
			a->o.verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			rc = parse_model_opt(ch, a);
			if (rc == 1)
				break;
			if (rc == 0)
				usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	a->scenario = argv[optind];
	return -1;
}

/* --cost: what the run took (not part of the report; varies from run to run). */
static void print_cost(const struct emu *e, const struct emu *c, double cpu)
{
	struct rusage ru;
	double setup = e->cpu_setup + (c ? c->cpu_setup : 0), runs = e->cpu_run + (c ? c->cpu_run : 0);
	uint64_t ho = e->nho + (c ? c->nho : 0);

	memset(&ru, 0, sizeof(ru));
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr,
		"dmm-emu: cost: %u MNs, %llu handovers, cpu %.3f s (setup %.3f s, events %.3f s, report %.3f "
		"s), "
		"%.0f handovers per cpu-second (%.0f counting the events only), max rss %.1f MiB\n",
		e->nmns, (unsigned long long)ho, cpu, setup, runs, cpu - setup - runs,
		cpu > 0 ? (double)ho / cpu : 0, runs > 0 ? (double)ho / runs : 0,
		(double)ru.ru_maxrss / 1024);
}

/* --multicast: the scenario with each of its listener counts, one run each, in one table. */
static int multicast(struct args *a)
{
	struct emu *runs[8], *e;
	uint32_t counts[8], n;
	FILE *out = stdout;
	int rc;

	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
	e = simulate(&a->o, a->scenario, a->variant, &rc);
	if (!e)
		return rc;
	n = emu_mcast_listeners(e, counts, 8);
	if (!e->mcast || n == 0) {
		fprintf(stderr,
			"dmm-emu: --multicast needs a scenario with \"multicast\" and \"listeners\"\n");
		return 2;
	}
	for (uint32_t i = 0; i < n; i++) {
		a->o.mn_count = counts[i];
		runs[i] = simulate(&a->o, a->scenario, a->variant, &rc);
		if (!runs[i])
			return rc;
	}
	if (a->out_path && !(out = fopen(a->out_path, "w"))) {
		perror(a->out_path);
		return 1;
	}
	emu_report_mcast(runs, counts, n, a->mcast, out, a->fmt);
	if (out != stdout)
		fclose(out);
	return 0;
}

/* --svg of two runs of the same traces, named x and y. */
static int two_svg(const struct args *a, struct emu *e1, struct emu *e2, const char *x, const char *y)
{
	struct emu *runs[2] = {e1, e2};
	const char *labels[2] = {x, y};

	return emu_svg_write(a->svg_dir, runs, labels, 2, stderr);
}

/* --release compare: the idle timer and the sessions on the same traces. */
static int release_compare(struct args *a)
{
	struct emu *idle, *sess;
	FILE *out = stdout;
	int rc;

	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
	a->o.release = 0;
	idle = simulate(&a->o, a->scenario, a->variant, &rc);
	if (!idle)
		return rc;
	if (!idle->relm) {
		fprintf(stderr, "dmm-emu: --release compare needs a scenario with MAARs and \"release\"\n");
		return 2;
	}
	a->o.release = 1;
	sess = simulate(&a->o, a->scenario, a->variant, &rc);
	if (!sess)
		return rc;
	if (a->out_path && !(out = fopen(a->out_path, "w"))) {
		perror(a->out_path);
		return 1;
	}
	if (a->svg_dir && two_svg(a, idle, sess, "idle-timer", "sessions"))
		return 1;
	emu_report_release(idle, sess, out, a->fmt);
	if (out != stdout)
		fclose(out);
	return 0;
}

/* --localized-routing compare: off and on, on the same traces. */
static int lr_compare(struct args *a)
{
	struct emu *off, *on;
	FILE *out = stdout;
	int rc;

	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
	a->o.lr = 0;
	off = simulate(&a->o, a->scenario, a->variant, &rc);
	if (!off)
		return rc;
	if (!off->lr) {
		fprintf(stderr,
			"dmm-emu: --localized-routing compare needs a scenario with \"localized_routing\"\n");
		return 2;
	}
	a->o.lr = 1;
	on = simulate(&a->o, a->scenario, a->variant, &rc);
	if (!on)
		return rc;
	if (a->out_path && !(out = fopen(a->out_path, "w"))) {
		perror(a->out_path);
		return 1;
	}
	if (a->svg_dir && two_svg(a, off, on, "lr-off", "lr-on"))
		return 1;
	emu_report_lr(off, on, out, a->fmt);
	if (out != stdout)
		fclose(out);
	return 0;
}

/* --svg: the pictures of the run, or of both runs side by side. */
static int write_svg(const struct args *a, struct emu *e, struct emu *c)
{
	static const char *const one[] = {NULL}, *const cmp[] = {"dmm", "pmipv6"},
				 *const rel[] = {"relocation-off", "relocation-on"};
	struct emu *runs[2] = {e, c};

	if (a->reloc_compare) {
		runs[0] = c;
		runs[1] = e;
		return emu_svg_write(a->svg_dir, runs, rel, 2, stderr);
	}
	if (c)
		return emu_svg_write(a->svg_dir, runs, cmp, 2, stderr);
	return emu_svg_write(a->svg_dir, runs, one, 1, stderr);
}

int main(int argc, char **argv)
{
	struct args a = {
		.o = {.seed = 1, .loss = -1, .reloc = -1, .release = -1, .lr = -1, .svg_at = DMM_TIME_NEVER},
		.fmt = EMU_FMT_TEXT,
		.variant = EMU_VAR_NATIVE};
	struct emu *e, *c = NULL;
	int rc = parse_args(argc, argv, &a);
	double t0, c0, wall, cpu;
	uint64_t events;
	FILE *out = stdout;

	if (rc >= 0)
		return rc;
	if (a.mcast)
		return multicast(&a);
	if (a.rel_compare)
		return release_compare(&a);
	if (a.lr_compare)
		return lr_compare(&a);
	/*
	 * Tables of 64 KiB and more come zeroed from mmap: calloc() need not
	 * clear them, and pages a table never uses take no memory.
	 */
	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
	t0 = wall_now();
	c0 = cpu_now();
	e = simulate(&a.o, a.scenario, a.compare ? EMU_VAR_DMM : a.variant, &rc);
	if (!e)
		return rc;
	if (a.o.release < 0 && !a.compare && emu_release_compare(e))
		return release_compare(&a);
	if (a.o.lr < 0 && !a.compare && emu_lr_compare(e))
		return lr_compare(&a);
	if ((a.reloc_compare || (e->reloc.compare && a.o.reloc < 0)) && !a.compare) {
		if (!e->reloc.model) {
			fprintf(stderr, "dmm-emu: --relocation compare needs a scenario with MAARs and "
					"\"relocation\"\n");
			return 2;
		}
		a.reloc_compare = true;
		a.o.reloc = 0;
		c = e;
		e = simulate(&a.o, a.scenario, a.variant, &rc);
		if (!e)
			return rc;
	} else if ((a.compare || e->cfg.compare) && a.variant != EMU_VAR_PMIP) {
		if (!e->has_dmm) {
			fprintf(stderr, "dmm-emu: --compare needs a scenario with MAARs and a CMD\n");
			return 2;
		}
		a.compare = true;
		c = simulate(&a.o, a.scenario, EMU_VAR_PMIP, &rc);
		if (!c)
			return rc;
	}
	if (a.out_path) {
		out = fopen(a.out_path, "w");
		if (!out) {
			perror(a.out_path);
			return 1;
		}
	}
	if (a.svg_dir && write_svg(&a, e, c))
		return 1;
	if (a.reloc_compare)
		emu_report_reloc(e, c, out, a.fmt);
	else if (a.compare)
		emu_report_compare(e, c, out, a.fmt);
	else
		emu_report(e, out, a.fmt, a.list);
	wall = wall_now() - t0;
	cpu = cpu_now() - c0;
	events = e->eng.processed + (c ? c->eng.processed : 0);
	/* Not part of the report: these vary from run to run. */
	if (a.fmt == EMU_FMT_TEXT && !a.out_path)
		fprintf(out, "wall time %.3f s (cpu %.3f s), %.0f events/s\n", wall, cpu,
			(double)events / wall);
	else
		fprintf(stderr, "dmm-emu: %llu events, wall time %.3f s (cpu %.3f s), %.0f events/s\n",
			(unsigned long long)events, wall, cpu, (double)events / wall);
	if (a.cost)
		print_cost(e, c, cpu);
	if (out != stdout)
		fclose(out);
	/*
	 * The process ends here: the OS takes the memory back faster than
	 * freeing 10^5 bindings one by one would.
	 */
	return 0;
}
