/* SPDX-License-Identifier: BSD-3-Clause */
/* Check suite for nat (being written). */
#include <check.h>
#include <stdlib.h>

#include "natgw_test.h"

START_TEST(test_placeholder)
{
	natgw_test_eal();
	ck_assert_ptr_nonnull(natgw_test_pool());
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("nat");
	TCase *tc = tcase_create("placeholder");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_placeholder);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
