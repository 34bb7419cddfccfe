/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmm-emu: run a scenario on the unmodified core roles and print a report.
 *
 *   dmm-emu [--seed N] [--format text|json|csv] [--duration D] [--loss P]
 *           [--kill NODE@TIME]... [--handovers] [-v] SCENARIO.json
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: dmm-emu [options] SCENARIO.json\n"
		   "  --seed N            seed of the run (default 1); same seed, same report\n"
		   "  --format F          text (default), json or csv\n"
		   "  --duration D        virtual time to run, e.g. 60s (default: the scenario's)\n"
		   "  --loss P            loss probability 0..1 on every link\n"
		   "  --kill NODE@TIME    stop an LMA or MAG at TIME, e.g. LMA2@30s (repeatable)\n"
		   "  --handovers         list every handover\n"
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
	for (uint32_t i = 0; i < e->nkills; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.type = EV_KILL;
		ev.node = e->kills[i].node;
		ev.mn = i;
		emu_schedule(&e->eng, e->kills[i].at, &ev);
	}
	while (emu_next(&e->eng, &ev)) {
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
		case EV_STOP:
			return;
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"seed", required_argument, NULL, 's'},	    {"format", required_argument, NULL, 'f'},
		{"duration", required_argument, NULL, 'd'}, {"loss", required_argument, NULL, 'l'},
		{"kill", required_argument, NULL, 'k'},	    {"handovers", no_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},	    {NULL, 0, NULL, 0},
	};
	struct emu *e = calloc(1, sizeof(*e));
	enum emu_format fmt = EMU_FMT_TEXT;
	const char *out_path = NULL, *dur = NULL;
	char *kills[16];
	int nk = 0, c, rc = 1;
	double loss = -1, t0, c0, wall, cpu;
	bool list = false;
	char err[256];
	FILE *out = stdout;

	if (!e)
		return 1;
	e->seed = 1;
	while ((c = getopt_long(argc, argv, "vho:", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			e->seed = strtoull(optarg, NULL, 0);
			break;
		case 'f':
			if (!strcmp(optarg, "json"))
				fmt = EMU_FMT_JSON;
			else if (!strcmp(optarg, "csv"))
				fmt = EMU_FMT_CSV;
			else if (!strcmp(optarg, "text"))
				fmt = EMU_FMT_TEXT;
			else {
				fprintf(stderr, "dmm-emu: --format: text, json or csv\n");
				return 2;
			}
			break;
		case 'd':
			dur = optarg;
			break;
		case 'l':
			loss = strtod(optarg, NULL);
			if (loss < 0 || loss > 1) {
				fprintf(stderr, "dmm-emu: --loss: a probability 0..1\n");
				return 2;
			}
			break;
		case 'k':
			if (nk == 16 || !strchr(optarg, '@')) {
				fprintf(stderr, "dmm-emu: --kill NODE@TIME (at most 16)\n");
				return 2;
			}
			kills[nk++] = optarg;
			break;
		case 'H':
			list = true;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'v':
			e->verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	t0 = wall_now();
	c0 = cpu_now();
	emu_rng_seed(&e->rng, e->seed);
	if (emu_engine_init(&e->eng)) {
		fprintf(stderr, "dmm-emu: out of memory\n");
		return 1;
	}
	if (emu_load(e, argv[optind], err, sizeof(err))) {
		fprintf(stderr, "dmm-emu: %s\n", err);
		return 1;
	}
	if (dur && emu_parse_duration(dur, &e->cfg.duration)) {
		fprintf(stderr, "dmm-emu: --duration: not a duration\n");
		return 2;
	}
	if (loss >= 0)
		for (uint32_t i = 0; i < e->nlinks; i++)
			e->links[i].loss = loss;
	for (int i = 0; i < nk; i++) {
		char *at = strchr(kills[i], '@');
		struct emu_node *n;
		dmm_time_t t;

		*at = 0;
		n = emu_node_by_name(e, kills[i]);
		if (!n || n->kind > EMU_MAG || emu_parse_duration(at + 1, &t)) {
			fprintf(stderr, "dmm-emu: --kill %s: no such LMA or MAG, or a bad time\n", kills[i]);
			return 2;
		}
		struct emu_kill *nkil = realloc(e->kills, sizeof(*e->kills) * (e->nkills + 1));

		if (!nkil)
			return 1;
		e->kills = nkil;
		e->kills[e->nkills++] = (struct emu_kill){.node = n->idx, .at = t};
	}
	if (emu_paths_compute(e)) {
		fprintf(stderr, "dmm-emu: out of memory\n");
		return 1;
	}
	if (emu_roles_create(e) || emu_mns_start(e))
		goto out;
	run(e);
	if (out_path) {
		out = fopen(out_path, "w");
		if (!out) {
			perror(out_path);
			goto out;
		}
	}
	emu_report(e, out, fmt, list);
	wall = wall_now() - t0;
	cpu = cpu_now() - c0;
	/* Not part of the report: these vary from run to run. */
	if (fmt == EMU_FMT_TEXT && !out_path)
		fprintf(out, "wall time %.3f s (cpu %.3f s), %.0f events/s\n", wall, cpu,
			(double)e->eng.processed / wall);
	else
		fprintf(stderr, "dmm-emu: %llu events, wall time %.3f s (cpu %.3f s), %.0f events/s\n",
			(unsigned long long)e->eng.processed, wall, cpu, (double)e->eng.processed / wall);
	if (out != stdout)
		fclose(out);
	/*
	 * The process ends here: the OS takes the memory back faster than
	 * freeing 10^5 bindings one by one would.
	 */
	return 0;
out:
	emu_roles_destroy(e);
	emu_mns_fini(e);
	emu_engine_fini(&e->eng);
	return rc;
}
