/* SPDX-License-Identifier: GPL-2.0-or-later */
/* version.c - the version string, taken from meson's project() version. */
#include "version.h"

const char *
ggen_version(void)
{
	return GGEN_VERSION;
}
