/* The floor of a blocking server on this machine: a server that only echoes (a thread per connection, poll(2) for
 * POLLIN, recv(2), send(2), nothing else), so its CPU per call is the system calls, the sleep and the wake-up that any
 * server pays for a request and its reply (docs/manager-server/floor.md, "The floor: a bare echo server", "The
 * floor in every run"). The poll comes first because a thread asleep in recv(2) is also woken each time the client
 * reads (part of) the previous reply (unix_write_space), which a poll for POLLIN filters: the C# server's wait does
 * the same while its reply is unread. Measured 2026-12-07 15:57 (scripts/measure-echo-floor.py, 1 and 2 clients,
 * 9 x 1,500 calls, load 6-7): 5.4-5.5 us of server CPU per call at 1 client with the poll, 6.7-8.3 without.
 * Its one home: the `manager-server` benchmark compiles it at run time and samples it in the same rounds as the two
 * managers (ManagerServerSuite, Harness/EchoFloor.cs), and scripts/measure-echo-floor.py reads it from here.
 *
 *   gcc -O2 -pthread scripts/echo-floor.c -o /tmp/echo-floor && /tmp/echo-floor /tmp/echo.sock
 *
 * Prints READY once it listens on the AF_UNIX path; clients send multiprocessing.connection frames and read them
 * back byte for byte (no authkey handshake). A failed socket, bind, listen or accept is reported and ends the
 * process, so a benchmark waiting for READY, or for replies, sees it exit instead of a loop of failures. */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void *serve(void *a)
{
    int fd = (int)(long)a;
    char buf[65536];
    ssize_t n;
    struct pollfd p = {fd, POLLIN, 0};
    while (poll(&p, 1, -1) == 1 && (n = recv(fd, buf, sizeof buf, 0)) > 0)   /* POLLHUP too: recv then says 0 */
        send(fd, buf, n, 0);
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (argc != 2 || strlen(argv[1]) >= sizeof a.sun_path) {
        fprintf(stderr, "usage: %s SOCKET_PATH (under %zu bytes)\n", argv[0], sizeof a.sun_path);
        return 2;
    }
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    strcpy(a.sun_path, argv[1]);
    unlink(argv[1]);
    if (s < 0 || bind(s, (void *)&a, sizeof a) || listen(s, 16)) {
        perror(argv[1]);
        return 1;
    }
    puts("READY");
    fflush(stdout);
    for (;;) {
        int fd = accept(s, 0, 0), err;
        pthread_t t;
        if (fd < 0) {
            perror("accept");
            return 1;
        }
        if ((err = pthread_create(&t, 0, serve, (void *)(long)fd))) {
            fprintf(stderr, "pthread_create: %s\n", strerror(err));
            return 1;
        }
        pthread_detach(t);   /* a thread per connection; nobody joins it */
    }
}
