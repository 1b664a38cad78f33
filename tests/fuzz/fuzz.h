/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the libFuzzer targets share: the input as a file (the readers under
 * test take a path) and a quiet EAL for the targets that need DPDK memory.
 */
#ifndef NATGW_FUZZ_H
#define NATGW_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry points. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Put @p size bytes at @p data in an anonymous in-memory file (memfd, one per
 * process, rewritten each call) and @return a path that opens it
 * ("/proc/self/fd/N"). Aborts if the kernel refuses: a target that cannot
 * give its reader the input has nothing to test.
 */
const char *fuzz_file(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input (freed by the next call). */
const char *fuzz_string(const uint8_t *data, size_t size);

#endif
