/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * main.c - ggend's entry point: command line, logging, daemonizing, loop.
 *
 * Owns argv handling and the "key=value" override strings (alive until
 * exit, borrowed by struct ggend for SIGHUP reloads). Everything else lives
 * in the daemon library so tests can link it. Exit: 0 after a clean stop,
 * 1 when startup failed (the message also goes down the readiness pipe),
 * 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <ev.h>

#include "config.h"
#include "daemon_version.h"
#include "ggend.h"
#include "log.h"
#include "ready.h"
#include "version.h"
#include "xmalloc.h"

static void
main_usage(FILE *out)
{
	fprintf(out,
	    "usage: ggend [--foreground] [--socket PATH] [--state-dir DIR]\n"
	    "             [--log-level error|warn|info|debug] [--set KEY=VALUE]...\n"
	    "             [--ready-fd FD] [--config FILE]\n"
	    "       ggend --help | --help-config[=man] | --version\n"
	    "\n"
	    "  --foreground     stay attached (default: detach once listening)\n"
	    "  --socket PATH    socket path (socket.path)\n"
	    "  --state-dir DIR  state directory (state.dir)\n"
	    "  --log-level L    log.level\n"
	    "  --set KEY=VALUE  any setting; see --help-config\n"
	    "  --ready-fd FD    write \"READY\\n\" (or the startup error) on FD\n"
	    "  --config FILE    settings file (default: $XDG_CONFIG_HOME/ggen/"
	    "ggend.toml);\n"
	    "                   read at start and on SIGHUP; argv wins over it\n");
}

/* Report a startup failure on stderr and the readiness pipe. */
static void
main_fail(int ready_fd, const struct gerr *err)
{
	char buf[GERR_MSG_MAX + GERR_FILE_MAX + 32];
	char *line;

	gerr_format(err, buf, sizeof(buf));
	log_error("%s", buf);
	if (ready_fd >= 0) {
		line = xasprintf("%s\n", buf);
		if (write(ready_fd, line, strlen(line)) < 0)
			log_warn("readiness pipe: %s", strerror(errno));
		free(line);
		close(ready_fd);
	}
}

/*
 * Detach: the parent waits for the child's readiness line and exits 0 on
 * READY, else prints the child's error and exits 1. Returns the pipe end
 * the child reports on.
 */
static int
main_daemonize(void)
{
	struct gerr err;
	int p[2], fd;

	if (pipe2(p, O_CLOEXEC) != 0)
		fatal("pipe: %s", strerror(errno));
	switch (fork()) {
	case -1:
		fatal("fork: %s", strerror(errno));
	case 0:
		close(p[0]);
		if (setsid() < 0)
			fatal("setsid: %s", strerror(errno));
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			close(fd);
		}
		return p[1];
	default:
		close(p[1]);
		gerr_clear(&err);
		if (ready_wait(p[0], -1, &err) == 0)
			exit(0);
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
}

/* A detached daemon has no terminal: its log goes to the state dir. */
static void
main_log_to_state_dir(const struct ggend *g)
{
	char *path = xasprintf("%s/ggend.log", g->state_dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	if (fd < 0)
		log_warn("open %s: %s; logging stays on stderr", path,
		    strerror(errno));
	else {
		dup2(fd, 2);
		close(fd);
	}
	free(path);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "set", required_argument, NULL, 'o' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "help-config", optional_argument, NULL, 'H' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	cJSON_Hooks hooks = { .malloc_fn = xmalloc, .free_fn = free };
	char libs[128], **ov;
	const char *config_path = NULL;
	bool foreground = false, detached = false;
	int c, i, n_ov = 0, ready_fd = -1, rc;
	struct ggend g;
	struct gerr err;
	char *end;
	long l;

	log_set_ident("ggend");
	/* Under systemd (JOURNAL_STREAM set) journald stamps each line; in a
	 * log file (autostart) or a terminal the line carries its own. */
	log_set_timestamps(getenv("JOURNAL_STREAM") == NULL);
	cJSON_InitHooks(&hooks);
	ov = xcalloc((size_t)argc + 1, sizeof(*ov));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			foreground = true;
			break;
		case 's':
			ov[n_ov++] = xasprintf("socket.path=%s", optarg);
			break;
		case 'd':
			ov[n_ov++] = xasprintf("state.dir=%s", optarg);
			break;
		case 'l':
			ov[n_ov++] = xasprintf("log.level=%s", optarg);
			break;
		case 'o':
			ov[n_ov++] = xstrdup(optarg);
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'r':
			errno = 0;
			l = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || l < 0 || l > 65535 ||
			    fcntl((int)l, F_GETFD) < 0) {
				fprintf(stderr, "ggend: --ready-fd: expected an "
				    "open file descriptor, found \"%s\"\n",
				    optarg);
				rc = 2;
				goto done;
			}
			ready_fd = (int)l;
			fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
			break;
		case 'h':
			main_usage(stdout);
			rc = 0;
			goto done;
		case 'H':
			if (optarg != NULL && strcmp(optarg, "man") == 0)
				config_help_man(stdout, ggen_version());
			else if (optarg != NULL) {
				fprintf(stderr, "ggend: --help-config: expected "
				    "nothing or \"man\", found \"%s\"\n",
				    optarg);
				rc = 2;
				goto done;
			} else
				config_help(stdout);
			rc = 0;
			goto done;
		case 'V':
			printf("ggend %s (protocol %d; %s)\n", ggen_version(),
			    PROTO_VERSION, daemon_version_libs(libs,
			    sizeof(libs)));
			rc = 0;
			goto done;
		default:
			main_usage(stderr);
			rc = 2;
			goto done;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ggend: unexpected argument \"%s\"\n",
		    argv[optind]);
		main_usage(stderr);
		rc = 2;
		goto done;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Phase commands' grandchildren (`sleep 1000 &`) are reparented to
	 * us, so the runner can reap them and see their group disappear. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		log_warn("prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));
	gerr_clear(&err);
	memset(&g, 0, sizeof(g));
	rc = ggend_init(&g, ev_default_loop(EVFLAG_AUTO), ov, n_ov, &err);
	if (rc != 0) {
		main_fail(ready_fd, &err);
		ggend_release(&g);
		rc = 2;
		goto out;
	}
	ggend_config_file(&g, config_path);
	if (!foreground && ready_fd < 0) {
		ready_fd = main_daemonize();
		detached = true;
	}
	rc = ggend_start(&g, ready_fd, &err);
	if (rc != 0) {
		main_fail(ready_fd, &err);
		ggend_release(&g);
		rc = 1;
		goto out;
	}
	if (detached)
		main_log_to_state_dir(&g);
	ev_run(g.loop, 0);
	ggend_release(&g);
	log_info("stopped");
	rc = 0;
out:
	ev_loop_destroy(EV_DEFAULT);
done:
	for (i = 0; i < n_ov; i++)
		free(ov[i]);
	free(ov);
	return rc;
}
