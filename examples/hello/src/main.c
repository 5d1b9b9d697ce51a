/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hello: prints what templates/greeting.h.tmpl and templates/src/info.h.tmpl
 * generate. */
#include <stdio.h>

#include "greeting.h"
#include "info.h"

int
main(void)
{
	printf("%s, %s!\n", HELLO_GREETING, HELLO_NAME);
	printf("version %s by %s (%d authors)\n", HELLO_VERSION, HELLO_AUTHORS,
	    HELLO_N_AUTHORS);
	return 0;
}
