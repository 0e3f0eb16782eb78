"""A loopback TCP listener that records every connection attempt and answers nothing.

tests_invalid_input.yml points the Kubernetes client at it: invalid input must fail before
any API call (no line in the log), while valid input must reach it (at least one line).

    tripwire.py PORT_FILE LOG_FILE     # binds 127.0.0.1 on a free port, writes it to PORT_FILE
"""
import os
import socket
import sys
import time


def main():
    port_file, log_file = sys.argv[1], sys.argv[2]
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    open(log_file, "a").close()
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.getsockname()[1]))
    # Publish the port atomically, after the socket listens.
    os.rename(port_file + ".tmp", port_file)
    while True:
        conn, peer = srv.accept()
        with open(log_file, "a") as f:
            f.write("%.3f connection from %s:%d\n" % (time.time(), peer[0], peer[1]))
        conn.close()


if __name__ == "__main__":
    main()
