/* N synchronous clients against one server: what a thread per connection costs the server per call against threads
 * that serve every ready connection from one epoll set (docs/manager-server/several-clients.md, "Several busy
 * connections: one epoll set instead of a sleep per call").
 *
 *   gcc -O2 -pthread scripts/multi-pingpong.c -o /tmp/multi-pingpong
 *   /tmp/multi-pingpong MODE CLIENTS CALLS [THREADS] [PAUSE_US] [WORK_US] [SERVE_US]   (gives up after 600 s)
 *
 * MODE: tpc-poll, a thread per connection waiting in poll(2) (50 ms) then recv(2) (the manager server's wait while
 * several clients are busy); tpc-recv, the same waiting in recv(2) alone; epoll-lt, one thread
 * in epoll_wait(2) on one level-triggered set of non-blocking sockets, serving every connection it is handed;
 * epoll-oneshot, THREADS threads (default 1) on a set with EPOLLONESHOT, each fd re-armed (epoll_ctl MOD) after its
 * reply (safe with several threads).
 * Each client is a process on its own AF_UNIX stream socketpair: it sends 60 bytes and reads the 4-byte header,
 * spins PAUSE_US (default 3), reads the 56-byte body, as Python's recv_bytes does, then spins WORK_US (default 0:
 * the interpreter's unpickling and next pickling); the server spins SERVE_US (default 0) per request before its
 * reply (the C# server's user-space work, 1.3-3 us per call). Prints per call (all clients' calls): the server's CPU
 * (user / kernel) and voluntary context switches (all its threads, getrusage), the clients' CPU and voluntary
 * switches (summed), and round trips per second. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pingpong-clients.h"

#define MAXC 64

static int mode_tpc_poll, mode_tpc_recv, mode_lt, mode_oneshot;
static int nconn, epfd;
static double serve_work;   /* SERVE_US: user-space work per request (the C# server's unpickle, dispatch, pickle) */
static int server_fd[MAXC];
static int open_conns;
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;

static void *serve_one(void *arg)   /* thread per connection */
{
    int fd = (int)(long)arg;
    char buf[256];
    for (;;) {
        if (mode_tpc_poll) {
            struct pollfd p = {fd, POLLIN, 0};
            if (poll(&p, 1, 50) == 0)
                continue;
        }
        ssize_t k = recv(fd, buf, sizeof buf, 0);
        if (k <= 0)
            break;
        if (serve_work > 0)
            spin(serve_work);
        send(fd, buf, k, 0);
    }
    return 0;
}

static void *serve_ready(void *arg)   /* one of THREADS threads on one epoll set */
{
    (void)arg;
    char buf[256];
    struct epoll_event ev[MAXC];
    for (;;) {
        pthread_mutex_lock(&open_lock);
        int left = open_conns;
        pthread_mutex_unlock(&open_lock);
        if (left == 0)
            break;
        int n = epoll_wait(epfd, ev, mode_oneshot ? 1 : MAXC, 100);
        for (int i = 0; i < n; i++) {
            int fd = ev[i].data.fd;
            ssize_t k = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (k < 0 && errno == EAGAIN) {   /* another thread took it (level-triggered, several threads) */
                if (mode_oneshot) {
                    struct epoll_event e = {EPOLLIN | EPOLLONESHOT, {.fd = fd}};
                    epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &e);
                }
                continue;
            }
            if (k <= 0) {
                epoll_ctl(epfd, EPOLL_CTL_DEL, fd, 0);
                pthread_mutex_lock(&open_lock);
                open_conns--;
                pthread_mutex_unlock(&open_lock);
                continue;
            }
            if (serve_work > 0)
                spin(serve_work);
            send(fd, buf, k, 0);
            if (mode_oneshot) {
                struct epoll_event e = {EPOLLIN | EPOLLONESHOT, {.fd = fd}};
                epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &e);
            }
        }
    }
    return 0;
}

static int calls;
static double pause_us, work_us;

/* A stock-like client: send a 60-byte request, read the reply's header, pause, read its body, work. */
static void client_loop(int fd, int c)
{
    (void)c;
    char buf[256] = {0};
    for (int i = 0; i < calls; i++) {
        send(fd, buf, 60, 0);
        if (recv(fd, buf, 4, MSG_WAITALL) != 4)
            abort();
        if (pause_us > 0)
            spin(pause_us);
        if (recv(fd, buf, 56, MSG_WAITALL) != 56)
            abort();
        if (work_us > 0)
            spin(work_us);
    }
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s tpc-poll|tpc-recv|epoll-lt|epoll-oneshot CLIENTS CALLS [THREADS] [PAUSE_US] [WORK_US] [SERVE_US]\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    mode_tpc_poll = !strcmp(mode, "tpc-poll");
    mode_tpc_recv = !strcmp(mode, "tpc-recv");
    mode_lt = !strcmp(mode, "epoll-lt");
    mode_oneshot = !strcmp(mode, "epoll-oneshot");
    if (!(mode_tpc_poll || mode_tpc_recv || mode_lt || mode_oneshot)) {
        fprintf(stderr, "unknown MODE '%s'\n", mode);
        return 2;
    }
    nconn = atoi(argv[2]);
    calls = atoi(argv[3]);
    int threads = argc > 4 ? atoi(argv[4]) : 1;
    pause_us = argc > 5 ? atof(argv[5]) : 3, work_us = argc > 6 ? atof(argv[6]) : 0;
    serve_work = argc > 7 ? atof(argv[7]) : 0;
    if (mode_lt && threads > 1) {
        /* two threads handed the same ready fd could both see its end of stream and count it gone twice */
        fprintf(stderr, "epoll-lt serves from one thread only (THREADS %d): use epoll-oneshot for several\n", threads);
        return 2;
    }
    if (nconn < 1 || nconn > MAXC || calls < 1 || threads < 1 || threads > MAXC) {
        fprintf(stderr, "CLIENTS must be 1..%d, CALLS >= 1, THREADS 1..%d\n", MAXC, MAXC);
        return 2;
    }
    int sv[MAXC][2];
    for (int i = 0; i < nconn; i++)
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]))
            return perror("socketpair"), 1;

    pid_t server = fork();
    if (server == 0) {
        for (int i = 0; i < nconn; i++) {
            close(sv[i][0]);
            server_fd[i] = sv[i][1];
        }
        open_conns = nconn;
        pthread_t t[MAXC];
        int nt;
        if (mode_tpc_poll || mode_tpc_recv) {
            nt = nconn;
            for (int i = 0; i < nconn; i++)
                pthread_create(&t[i], 0, serve_one, (void *)(long)server_fd[i]);
        } else {
            epfd = epoll_create1(0);
            for (int i = 0; i < nconn; i++) {
                fcntl(server_fd[i], F_SETFL, O_NONBLOCK);
                struct epoll_event e = {EPOLLIN | (mode_oneshot ? EPOLLONESHOT : 0), {.fd = server_fd[i]}};
                epoll_ctl(epfd, EPOLL_CTL_ADD, server_fd[i], &e);
            }
            nt = threads;
            for (int i = 0; i < nt; i++)
                pthread_create(&t[i], 0, serve_ready, 0);
        }
        for (int i = 0; i < nt; i++)
            pthread_join(t[i], 0);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        double per = (double)calls * nconn;
        printf("%s clients %d threads %d: server user %.2f + kernel %.2f = %.2f us/call, vol. switches %.3f/call, ",
               mode, nconn, nt, tv_us(ru.ru_utime) / per, tv_us(ru.ru_stime) / per,
               (tv_us(ru.ru_utime) + tv_us(ru.ru_stime)) / per, ru.ru_nvcsw / per);
        fflush(stdout);
        _exit(0);
    }
    for (int i = 0; i < nconn; i++)
        close(sv[i][1]);

    struct client_report sum;
    double wall;
    if (run_clients(nconn, sv, client_loop, &sum, &wall))
        return 1;
    double per = (double)calls * nconn;
    waitpid(server, 0, 0);
    while (wait(0) > 0)
        ;
    printf("clients user %.2f + kernel %.2f = %.2f us/call, vol. switches %.3f/call; %.0f round trips/s\n",
           sum.user / per, sum.sys / per, (sum.user + sum.sys) / per, sum.nvcsw / per, per * 1e6 / wall);
    return 0;
}
