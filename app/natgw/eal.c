/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The EAL as natgw's DPDK commands (the dataplane, the lab) start and leave it:
 * without hugepages when a machine has none, quiet on a terminal, no runtime
 * directory left behind.
 */
#include <dirent.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

static bool
hugepages_free(void)
{
	glob_t g;
	size_t i;
	bool any = false;

	if (glob("/sys/kernel/mm/hugepages/hugepages-*/free_hugepages", 0, NULL, &g) != 0)
		return false;
	for (i = 0; i < g.gl_pathc && !any; i++) {
		FILE *f = fopen(g.gl_pathv[i], "r");
		unsigned long n = 0;

		if (f) {
			any = fscanf(f, "%lu", &n) == 1 && n > 0;
			fclose(f);
		}
	}
	globfree(&g);
	return any;
}

static bool
has_arg(int argc, char **argv, const char *a, size_t prefix)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (prefix ? strncmp(argv[i], a, prefix) == 0 : strcmp(argv[i], a) == 0)
			return true;
	return false;
}

/* With no hugepages, EAL would fail to find memory: add --no-huge (and memory
 * for the tables, unless given) and say so once. @return the new argv. */
char **
natgw_eal_args(int argc, char **argv, int *nargc)
{
	char **v = calloc((size_t)argc + 6, sizeof(*v));
	int i, n = 0;
	bool add = !has_arg(argc, argv, "--no-huge", 0) && !hugepages_free();
	bool mem = has_arg(argc, argv, "-m", 2) || has_arg(argc, argv, "--socket-mem", 12);

	if (v == NULL)
		return NULL;
	v[n++] = argv[0];
	if (add) {
		fprintf(stderr, "natgw: this machine has no free hugepages: running with "
			"--no-huge%s\n", mem ? "" : " -m 1024");
		v[n++] = "--no-huge";
		if (!mem) {
			v[n++] = "-m";
			v[n++] = "1024";
		}
	}
	/* EAL's start-up chatter is INFO: a terminal gets natgw's lines and
	 * EAL's warnings and errors, unless --log-level says otherwise. */
	if (!has_arg(argc, argv, "--log-level", 11)) {
		v[n++] = "--log-level=lib.eal:warning";
		v[n++] = "--log-level=lib.telemetry:error";
	}
	for (i = 1; i < argc; i++)
		v[n++] = argv[i];
	*nargc = n;
	return v;
}

/* EAL leaves its runtime directory (config, sockets, memory maps) behind; the
 * primary process that made it removes it, so that runs leave nothing. */
void
natgw_eal_remove_runtime_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < sizeof(path))
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

