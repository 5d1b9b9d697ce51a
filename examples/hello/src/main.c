/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hello: prints the greeting that templates/greeting.h.tmpl generates. */
#include <stdio.h>

#include "greeting.h"

int
main(void)
{
	printf("%s, %s!\n", HELLO_GREETING, HELLO_NAME);
	return 0;
}
