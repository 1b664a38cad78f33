/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The libraries' one-line errors: every parser and checker fills the caller's
 * buffer with one line naming the problem and returns -1. One definition for
 * all of them (lib/cost, lib/scale, lib/policy, lib/lab), included as
 * "lib/natgw_err.h" through the project's root include directory.
 */
#ifndef NATGW_ERR_H
#define NATGW_ERR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/** Format the error into @p err (when there is room); @return -1. */
static inline int __attribute__((format(printf, 3, 4)))
natgw_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

#endif /* NATGW_ERR_H */
