#!/usr/bin/env python3
"""Hostile-traffic probe of a running `wxgate serve`: what each attack costs in memory, connections and log.

Runs each probe against a fresh server with examples/echo.toml (on 127.0.0.1 only) and prints the server's
resident memory before and after, and what the probe saw. With --baseline, every probe runs against that binary
too, in the same run, and the table shows both side by side.

    bench/hostile.py                          # builds and probes target/release/wxgate
    bench/hostile.py --baseline /path/to/old/wxgate
    bench/hostile.py --only stalled,idle      # stalled, idle, keepalive, users, openid, flood

Probes:
  stalled    100 connections, no signature, Content-Length 1 MiB, 1 MiB - 1 KiB sent, then silence
  idle       the server at `ulimit -n 1024`, 1 100 idle connections held, then 20 signed pushes
  keepalive  5 000 connections each kept alive after one request
  users      100 000 pushes from distinct users
  openid     200 pushes with a 200 KB FromUserName on one signed query
  flood      50 000 GETs with a forged signature (log bytes per request)
"""

import argparse
import hashlib
import http.client
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN = "wxgate-demo-token"
GH = "gh_0000000000000001"


def signature(timestamp, nonce):
    return hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce])).encode()).hexdigest()


def signed_query(nonce):
    ts = str(int(time.time()))
    return f"signature={signature(ts, nonce)}&timestamp={ts}&nonce={nonce}"


def text_push(openid, content, msg_id):
    return (
        f"<xml><ToUserName><![CDATA[{GH}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    ).encode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `wxgate serve` on examples/echo.toml in its own directory, optionally under `ulimit -n`."""

    def __init__(self, binary, open_files=None):
        self.dir = tempfile.mkdtemp(prefix="wxgate-hostile-")
        self.port = free_port()
        self.log_path = os.path.join(self.dir, "wxgate.log")
        env = dict(os.environ, WXGATE_LISTEN=f"127.0.0.1:{self.port}", RUST_LOG="info")
        config = os.path.join(ROOT, "examples", "echo.toml")
        command = [binary, "serve", "--config", config]
        if open_files:
            command = ["sh", "-c", f'ulimit -n {open_files} && exec "$0" "$@"'] + command
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(command, cwd=self.dir, env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"{binary} did not start")

    def rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def log_bytes(self):
        self.log.flush()
        return os.path.getsize(self.log_path)

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def post(self, query, body, timeout=10):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request("POST", f"/wx?{query}", body=body, headers={"Content-Type": "text/xml"})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def still_open(socks):
    """How many of `socks` the server has not closed."""
    n = 0
    for s in socks:
        s.setblocking(False)
        try:
            data = s.recv(65536)
            while data:
                data = s.recv(65536)
        except BlockingIOError:
            n += 1
        except OSError:
            pass
    return n


def hold(srv, socks, first, then):
    """Waits `first` s and reads RSS, waits `then` s more and counts the open sockets and RSS; closes all and
    stops the server."""
    time.sleep(first)
    after = srv.rss_mib()
    time.sleep(then)
    open_after = still_open(socks)
    settled = srv.rss_mib()
    for s in socks:
        s.close()
    srv.stop()
    return after, open_after, settled


def probe_stalled(binary):
    srv = Server(binary)
    before = srv.rss_mib()
    socks = []
    for _ in range(100):
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(b"POST /wx HTTP/1.1\r\nHost: wxgate\r\nContent-Length: 1048576\r\n\r\n")
        try:
            s.sendall(b"x" * (1048576 - 1024))
        except OSError:
            pass
        socks.append(s)
    after, open_after, settled = hold(srv, socks, 2, 13)
    return before, after, f"{open_after}/100 connections still open after 15 s (RSS then {settled:.1f} MiB)"


def probe_idle(binary):
    srv = Server(binary, open_files=1024)
    before = srv.rss_mib()
    socks = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(1100)]
    time.sleep(0.5)
    answered = 0
    for i in range(20):
        try:
            status, body = srv.post(signed_query(str(900000 + i)), text_push("oIdleProbe", f"ping {i}", 700000 + i), 3)
            answered += status == 200 and b"echo: ping" in body
        except OSError:
            pass
    after = srv.rss_mib()
    emfile = srv.log_text().count("Too many open files")
    for s in socks:
        s.close()
    srv.stop()
    return before, after, f"{answered}/20 pushes answered; {emfile} 'Too many open files' log lines"


def probe_keepalive(binary):
    srv = Server(binary, open_files=8192)
    before = srv.rss_mib()
    socks = []
    for _ in range(5000):
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: wxgate\r\n\r\n")
        s.recv(1024)
        socks.append(s)
    after, open_after, settled = hold(srv, socks, 1, 11)
    return before, after, f"{open_after}/5000 still open after 12 s (RSS then {settled:.1f} MiB)"


def probe_users(binary):
    srv = Server(binary)
    before = srv.rss_mib()
    total, threads, failures = 100_000, 4, [0]

    def worker(k):
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        for i in range(k, total, threads):
            openid = f"oProbeUser{i:018d}"
            body = text_push(openid, "hi", 10_000_000 + i)
            try:
                c.request("POST", f"/wx?{signed_query(str(i))}", body=body, headers={"Content-Type": "text/xml"})
                r = c.getresponse()
                r.read()
                failures[0] += r.status != 200
            except OSError:
                failures[0] += 1
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        c.close()

    started = time.time()
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    took = time.time() - started
    after = srv.rss_mib()
    time.sleep(65)
    settled = srv.rss_mib()
    srv.stop()
    return before, after, f"{failures[0]} failed; {total / took:.0f} pushes/s; {settled:.1f} MiB 65 s later"


def probe_openid(binary):
    srv = Server(binary)
    before = srv.rss_mib()
    query = signed_query("4242")
    statuses = {}
    for i in range(200):
        openid = f"o{i:05d}" + "x" * 200_000
        try:
            status, _ = srv.post(query, text_push(openid, "hi", 20_000_000 + i))
        except OSError:
            status = "closed"
        statuses[status] = statuses.get(status, 0) + 1
    after = srv.rss_mib()
    srv.stop()
    return before, after, "statuses " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=str))


def probe_flood(binary):
    srv = Server(binary)
    before, log_before = srv.rss_mib(), srv.log_bytes()
    n, threads = 50_000, 4

    def worker(k):
        for i in range(k, n, threads):
            c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
            try:
                c.request("GET", f"/wx?signature=forged&timestamp={int(time.time())}&nonce={i}&echostr=1")
                c.getresponse().read()
            except OSError:
                pass
            c.close()

    started = time.time()
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    took = time.time() - started
    time.sleep(1.5)
    after = srv.rss_mib()
    logged = srv.log_bytes() - log_before
    srv.stop()
    return before, after, f"{n} refusals in {took:.1f} s: {logged} log bytes ({logged / n:.1f} per refusal)"


PROBES = {
    "stalled": probe_stalled,
    "idle": probe_idle,
    "keepalive": probe_keepalive,
    "users": probe_users,
    "openid": probe_openid,
    "flood": probe_flood,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", help="wxgate binary (default: build and use target/release/wxgate)")
    ap.add_argument("--baseline", help="another wxgate binary probed the same way, in the same run")
    ap.add_argument("--only", help="comma-separated probes: " + ",".join(PROBES))
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < 12000:
        print(f"note: this shell allows {hard} open files; the keepalive probe needs about 5 100", file=sys.stderr)
    binary = args.bin
    if not binary:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "wxgate"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, "target", "release", "wxgate")
    names = args.only.split(",") if args.only else list(PROBES)
    runs = [("wxgate", os.path.abspath(binary))]
    if args.baseline:
        runs.append(("baseline", os.path.abspath(args.baseline)))
    print(f"{'probe':<10} {'binary':<9} {'RSS before':>11} {'RSS after':>10} {'growth':>9}  observed")
    for name in names:
        for label, path in runs:
            before, after, seen = PROBES[name](path)
            print(f"{name:<10} {label:<9} {before:>8.1f} MiB {after:>6.1f} MiB {after - before:>+5.1f} MiB  {seen}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
