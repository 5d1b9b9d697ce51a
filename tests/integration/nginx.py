# SPDX-License-Identifier: GPL-2.0-or-later
"""A private nginx (Debian's nginx-light, which has the WebDAV module) as a
Bazel HTTP remote cache for the tests: 127.0.0.1 on a free port, its own
temp root, pid file, error log and temp paths, `dav_methods PUT DELETE;
create_full_put_path on;` (and `user root;` when run as root, so its
workers may write). Always stopped: the context manager, then atexit.

Extra `location` blocks (text) let a test make it misbehave: answer 500
to PUT, require an auth header, or proxy to a peer that never answers.
"""
import atexit
import os
import shutil
import signal
import socket
import subprocess
import time

from harness import mktemp, skip_unless

NGINX = os.environ.get('GGEN_NGINX', '/usr/sbin/nginx')
_live = []


def _kill_all():
    for p in _live:
        if p.poll() is None:
            p.kill()
            p.wait()


atexit.register(_kill_all)


def free_port():
    """A port nothing listens on now (bound then released)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Blackhole:
    """A listener that never accepts nor answers: a server slower than any
    timeout (connections complete in the kernel backlog)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


class Cutter:
    """An upstream that answers every request with a 200 promising
    100000 bytes, sends 100 and closes: a transfer cut short."""

    def __init__(self):
        import threading
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.served = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                c.settimeout(5)
                c.recv(65536)
                c.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n'
                          b'Connection: close\r\n\r\n' + b'{' * 100)
                self.served += 1
            except OSError:
                pass
            c.close()

    def close(self):
        self.sock.close()


class Nginx:
    def __init__(self, locations='', root_location=None):
        skip_unless(os.access(NGINX, os.X_OK), NGINX + ' not installed')
        self.tmp = mktemp()
        self.root = os.path.join(self.tmp, 'www')
        os.makedirs(self.root)
        os.chmod(self.tmp, 0o755)
        os.chmod(self.root, 0o777)
        self.port = None
        self.proc = None
        self.locations = locations
        self.root_location = root_location or (
            'location / {\n'
            '  dav_methods PUT DELETE;\n'
            '  create_full_put_path on;\n'
            '  dav_access user:rw group:r all:r;\n'
            '  client_max_body_size 0;\n'
            '}\n')

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port

    def conf(self):
        t = self.tmp
        user = 'user root;\n' if os.geteuid() == 0 else ''
        return (
            user +
            'daemon off;\n'
            'worker_processes 1;\n'
            'pid %s/nginx.pid;\n'
            'error_log %s/error.log info;\n'
            'events { worker_connections 64; }\n'
            'http {\n'
            '  access_log %s/access.log;\n'
            '  sendfile on;\n'
            '  client_body_temp_path %s/body;\n'
            '  proxy_temp_path %s/proxy;\n'
            '  fastcgi_temp_path %s/fastcgi;\n'
            '  uwsgi_temp_path %s/uwsgi;\n'
            '  scgi_temp_path %s/scgi;\n'
            '  server {\n'
            '    listen 127.0.0.1:%d;\n'
            '    root %s;\n'
            '%s%s'
            '  }\n'
            '}\n') % (t, t, t, t, t, t, t, t, self.port, self.root,
                      self.locations, self.root_location)

    def start(self):
        for _ in range(5):
            self.port = free_port()
            path = os.path.join(self.tmp, 'nginx.conf')
            with open(path, 'w') as f:
                f.write(self.conf())
            log = open(os.path.join(self.tmp, 'stderr.log'), 'ab')
            self.proc = subprocess.Popen(
                [NGINX, '-p', self.tmp, '-c', path],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            log.close()
            _live.append(self.proc)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    socket.create_connection(('127.0.0.1', self.port),
                                             0.5).close()
                    return self
                except OSError:
                    time.sleep(0.02)
            self.stop()     # port taken in between: try another
        raise AssertionError('nginx did not start: ' + self.error_log())

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def error_log(self):
        out = ''
        for name in ('stderr.log', 'error.log'):
            try:
                with open(os.path.join(self.tmp, name), errors='replace') \
                        as f:
                    out += f.read()
            except OSError:
                pass
        return out

    def access_log(self):
        try:
            with open(os.path.join(self.tmp, 'access.log')) as f:
                return f.read()
        except OSError:
            return ''

    def path(self, kind, name):
        return os.path.join(self.root, kind, name)

    def files(self, kind):
        d = os.path.join(self.root, kind)
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(os.path.join(self.tmp, 'body'), ignore_errors=True)
