/* A C ping-pong over an AF_UNIX stream socketpair: what each way of waiting for the next request costs a server
 * that does nothing else (docs/manager-server/request-wait.md, "The server's wait for the next request").
 *
 *   gcc -O2 scripts/wait-pingpong.c -o /tmp/wait-pingpong && /tmp/wait-pingpong MODE CALLS [PAUSE_US]
 *
 * MODE: 0 recv(2), 1 recv(2) under SO_RCVTIMEO 50 ms, 2 poll(2) 50 ms then recv(2), 3 poll(2) without timeout then
 * recv(2), 4 poll(2) without timeout over the socket and an eventfd (a parker's channel: nobody writes it here)
 * then recv(2). The client sends 60 bytes and reads the 4-byte header, then the 56-byte body, as Python's recv_bytes
 * does; PAUSE_US (default 0) spins between the two reads, like the interpreter's work between them. Prints wall
 * and CPU time per call and voluntary context switches per call for each side (getrusage). */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double cpu_us(const struct rusage *r)
{
    return r->ru_utime.tv_sec * 1e6 + r->ru_utime.tv_usec + r->ru_stime.tv_sec * 1e6 + r->ru_stime.tv_usec;
}

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODE CALLS [PAUSE_US]\n", argv[0]);
        return 2;
    }
    int mode = atoi(argv[1]), n = atoi(argv[2]);
    double pause = argc > 3 ? atof(argv[3]) : 0;
    int sv[2];
    char buf[256] = {0};
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        perror("socketpair");
        return 1;
    }
    pid_t pid = fork();
    if (pid == 0) {   /* the server: wait, read, answer */
        int fd = sv[1];
        close(sv[0]);
        if (mode == 1) {
            struct timeval tv = {0, 50000};
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        }
        int efd = eventfd(0, EFD_CLOEXEC);
        for (;;) {
            if (mode == 4) {
                struct pollfd p[2] = {{fd, POLLIN, 0}, {efd, POLLIN, 0}};
                if (poll(p, 2, -1) <= 0 || !(p[0].revents))
                    continue;
            }
            if (mode == 2 || mode == 3) {
                struct pollfd p = {fd, POLLIN, 0};
                if (poll(&p, 1, mode == 2 ? 50 : -1) == 0)
                    continue;
            }
            ssize_t k = recv(fd, buf, sizeof buf, 0);
            if (k < 0)
                continue;   /* SO_RCVTIMEO expired: wait on */
            if (k == 0)
                break;
            send(fd, buf, k, 0);
        }
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        fprintf(stderr, "mode %d server: cpu/call %.2f us, voluntary switches/call %.2f\n", mode, cpu_us(&ru) / n, (double)ru.ru_nvcsw / n);
        _exit(0);
    }
    int fd = sv[0];
    close(sv[1]);
    double start = now_us();
    for (int i = 0; i < n; i++) {
        send(fd, buf, 60, 0);
        if (recv(fd, buf, 4, MSG_WAITALL) != 4)
            abort();
        for (double until = now_us() + pause; now_us() < until;)
            ;
        if (recv(fd, buf, 56, MSG_WAITALL) != 56)
            abort();
    }
    double wall = now_us() - start;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("mode %d client: wall/call %.2f us, cpu/call %.2f us, voluntary switches/call %.2f\n", mode, wall / n, cpu_us(&ru) / n, (double)ru.ru_nvcsw / n);
    fflush(stdout);
    shutdown(fd, SHUT_WR);
    waitpid(pid, 0, 0);
    return 0;
}
