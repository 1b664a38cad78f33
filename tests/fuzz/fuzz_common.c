/* SPDX-License-Identifier: BSD-3-Clause */
/* The input as a file or a string, for targets whose code under test reads one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

const char *
fuzz_file(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;
	size_t done = 0;

	if (fd < 0) {
		fd = memfd_create("natgw-fuzz", 0);
		if (fd < 0) {
			perror("fuzz: memfd_create");
			abort();
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0) {
		perror("fuzz: ftruncate");
		abort();
	}
	while (done < size) {
		ssize_t w = pwrite(fd, data + done, size - done, (off_t)done);

		if (w <= 0) {
			perror("fuzz: pwrite");
			abort();
		}
		done += (size_t)w;
	}
	return path;
}

const char *
fuzz_string(const uint8_t *data, size_t size)
{
	static char *s;

	free(s);
	s = malloc(size + 1);
	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}
