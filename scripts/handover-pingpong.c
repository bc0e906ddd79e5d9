/* N stock-like clients contending one FIFO lock on a server with a thread per connection: what the read of an
 * acquire that will wait costs the server (it wakes that client, asleep in read() for its answer, for nothing), and
 * what leaving it unread would save (docs/manager-server/lock-handover.md, "The acquire's wake-up, measured in C").
 *
 *   gcc -O2 -pthread scripts/handover-pingpong.c -o /tmp/handover-pingpong
 *   /tmp/handover-pingpong MODE CLIENTS ITERATIONS [PAUSE_US] [WORK_US] [SERVE_US] [HOLD_US]   (gives up after 600 s)
 *
 * Each client is a process on its own AF_UNIX stream socketpair looping ITERATIONS times over `acquire; release`
 * (two calls): it sends a 60-byte frame (4-byte header, 56-byte body), reads the reply's 4-byte header, spins PAUSE_US
 * (default 3), reads the 20-byte body, as Python's recv_bytes does, then spins WORK_US (default 15: a stock client's
 * unpickling and next pickling), plus HOLD_US (default 0) after its True: a longer hold keeps 2 clients in full
 * contention (every acquire waits: 0.5 hand-overs per call). The server spins SERVE_US (default 2) per request (the
 * C# server's user space).
 * The lock hands over as the engine's does (Waiter.Grant): a release with a waiter gives the lock to the oldest one
 * and the releasing thread sends that waiter's True itself, then its own client's None; the waiting thread sleeps
 * until its client's next request (the release), which it recv(MSG_PEEK)s, answers, then takes off the socket.
 *
 * MODE A (the engine today): the request wait is poll(2) then recv(2); an acquire that must wait has been read,
 *   which freed its client's buffer and woke that client (unix_write_space); the thread then polls for the release.
 * MODE B (the design): per connection an epoll set with EPOLLIN|EPOLLRDHUP|EPOLLET and SO_PEEK_OFF; the request
 *   wait is epoll_wait; a request that follows a release while the lock is held is predicted to be an acquire that
 *   will wait, and peeked (otherwise read as in A); a peeked acquire that gets the lock after all is taken off, then
 *   answered (as A); one that must wait stays on the socket while its thread waits
 *   in epoll_wait (the unread acquire is no new edge; the client reading its True, EPOLLOUT, is not in the set); the
 *   release is peeked behind it (peek offset) and one recv after the None takes both off. Hang-up: EPOLLRDHUP / 0.
 *
 * Prints one line of key=value per run; per call (all clients' calls): the server's CPU (process CPU clock) and its
 * user / kernel split (/proc/self/stat utime, stime, at 100 Hz: coarse, use >= 20,000 calls), counted on the server
 * process and its threads with perf_event_open (inherited: what `perf stat -p` counts): sched:sched_waking (a wake-up
 * counts on the thread that makes it), context-switches, raw_syscalls:sys_enter; the server's voluntary switches;
 * hand-overs (grants to a waiter); the clients' CPU and voluntary switches (summed, getrusage); round trips/s.
 * TIME_READS=1 adds the thread CPU time of the request reads and take-off recvs (see t_read_wait; not for the counts).
 * A/B rounds, as in the doc: for r in $(seq 12); do for m in A B; do /tmp/handover-pingpong $m 4 10000 3 15 2 10; done;
 * done (swap the order every other round), then the median over rounds of B - A. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pingpong-clients.h"

#define MAXC 64
#define REQ 60      /* request frame: 4-byte header + 56-byte body; body[0] 'A' acquire, 'R' release */
#define REPLY 24    /* reply frame: 4-byte header + 20-byte body, about a pickled ('#RETURN', True) */

static int mode_b, nconn;
static double serve_work;
static int server_fd[MAXC];
static pthread_mutex_t lock_m = PTHREAD_MUTEX_INITIALIZER;
static int held, queue[MAXC], qhead, qlen;
static long handovers;
/* TIME_READS=1: the thread CPU time (CLOCK_THREAD_CPUTIME_ID, a system call each, so not for the counts) of the
 * request's read when that acquire then waited (A: the recv that wakes its client; B: the peek), of the other
 * requests' reads, and of the take-off recv after a waited acquire's release (A: the release; B: both frames) */
static int time_reads;
static double t_read_wait, t_read_other, t_take;
static long n_read_wait, n_read_other, n_take;

static double thread_cpu_us(void)
{
    struct timespec t;
    if (!time_reads)
        return 0;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}
static const char reply_true[REPLY] = {0, 0, 0, 20, 'T'}, reply_none[REPLY] = {0, 0, 0, 20, 'N'};

static double cpu_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void send_all(int fd, const char *p, int n)
{
    if (send(fd, p, n, MSG_NOSIGNAL) != n) {
        perror("send");
        abort();
    }
}

/* 1: the lock is the caller's now; 0: queued, the releasing thread will send its client's True */
static int acquire_or_wait(int c)
{
    pthread_mutex_lock(&lock_m);
    if (!held) {
        held = 1;
        pthread_mutex_unlock(&lock_m);
        return 1;
    }
    queue[(qhead + qlen++) % MAXC] = c;
    pthread_mutex_unlock(&lock_m);
    return 0;
}

static void release_lock(void)
{
    pthread_mutex_lock(&lock_m);
    if (qlen == 0) {
        held = 0;
        pthread_mutex_unlock(&lock_m);
        return;
    }
    int next = queue[qhead];
    qhead = (qhead + 1) % MAXC;
    qlen--;
    handovers++;
    pthread_mutex_unlock(&lock_m);
    send_all(server_fd[next], reply_true, REPLY);   /* outside the lock, as Waiter.Grant */
}

/* A granted waiter's wait for its client's next request (the release): 1 when input is there, 0 on hang-up */
static int await_release(int fd, int ep)
{
    for (;;) {
        if (!mode_b) {
            struct pollfd p = {fd, POLLIN, 0};
            int n = poll(&p, 1, 1000);
            if (n > 0)
                return !(p.revents & (POLLHUP | POLLERR)) || (p.revents & POLLIN);
        } else {
            struct epoll_event ev;
            int n = epoll_wait(ep, &ev, 1, 1000);
            if (n > 0)
                return !(ev.events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR));
        }
    }
}

static void *serve(void *arg)
{
    int c = (int)(long)arg, fd = server_fd[c], ep = -1, predict_acquire = 1;
    char buf[2 * REQ];
    if (mode_b) {
        int zero = 0;
        ep = epoll_create1(0);
        struct epoll_event e = {EPOLLIN | EPOLLRDHUP | EPOLLET, {.fd = fd}};
        if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) || setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof zero)) {
            perror("epoll/SO_PEEK_OFF");
            abort();
        }
    }
    for (;;) {
        ssize_t k;
        int peeked = 0;
        double r0 = 0, r1 = 0;
        if (!mode_b) {
            struct pollfd p = {fd, POLLIN, 0};
            if (poll(&p, 1, 1000) == 0)
                continue;
            r0 = thread_cpu_us();
            k = recv(fd, buf, REQ, 0);
            r1 = thread_cpu_us();
        } else {
            struct epoll_event ev;
            if (epoll_wait(ep, &ev, 1, 1000) == 0)
                continue;
            peeked = predict_acquire && __atomic_load_n(&held, __ATOMIC_RELAXED);   /* it would wait: leave it */
            r0 = thread_cpu_us();
            k = recv(fd, buf, REQ, MSG_DONTWAIT | (peeked ? MSG_PEEK : 0));
            r1 = thread_cpu_us();
            if (k < 0 && errno == EAGAIN)
                continue;   /* a stale edge */
        }
        if (k == 0)
            break;
        if (k != REQ) {
            fprintf(stderr, "connection %d: read %zd bytes, expected a %d-byte frame\n", c, k, REQ);
            abort();
        }
        if (serve_work > 0)
            spin(serve_work);
        if (buf[4] == 'R') {   /* a release that did not follow a wait on this thread */
            if (peeked)
                recv(fd, buf, REQ, 0);
            release_lock();
            send_all(fd, reply_none, REPLY);
            predict_acquire = 1;
            continue;
        }
        predict_acquire = 0;
        int got = acquire_or_wait(c);
        pthread_mutex_lock(&lock_m);
        if (got) {
            t_read_other += r1 - r0;
            n_read_other++;
        } else {
            t_read_wait += r1 - r0;
            n_read_wait++;
        }
        pthread_mutex_unlock(&lock_m);
        if (got) {
            if (peeked)
                recv(fd, buf, REQ, 0);   /* before the answer, as A reads it (after it: no fewer wake-ups, tried) */
            send_all(fd, reply_true, REPLY);
            continue;
        }
        /* waiting: the grant's True is sent by the releasing thread; sleep until the release arrives */
        if (!await_release(fd, ep))
            break;
        k = recv(fd, buf + REQ, REQ, MSG_PEEK | MSG_DONTWAIT);   /* behind the unread acquire in B (peek offset) */
        if (k == 0)
            break;
        if (k != REQ || buf[REQ + 4] != 'R') {
            fprintf(stderr, "connection %d: expected its release after a grant, read %zd bytes\n", c, k);
            abort();
        }
        if (serve_work > 0)
            spin(serve_work);
        release_lock();
        send_all(fd, reply_none, REPLY);
        int take = peeked ? 2 * REQ : REQ;
        r0 = thread_cpu_us();
        if (recv(fd, buf, take, MSG_WAITALL) != take)
            abort();
        r1 = thread_cpu_us();
        pthread_mutex_lock(&lock_m);
        t_take += r1 - r0;
        n_take++;
        pthread_mutex_unlock(&lock_m);
        predict_acquire = 1;
    }
    return 0;
}

static int counter_open(unsigned type, unsigned long long config)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.type = type;
    a.size = sizeof a;
    a.config = config;
    a.inherit = 1;   /* the serving threads' counts are added to these when they end */
    return syscall(__NR_perf_event_open, &a, 0, -1, -1, 0);
}

static int tracepoint_open(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "/sys/kernel/tracing/events/%s/id", name);
    FILE *f = fopen(path, "r");
    unsigned long long id;
    if (!f || fscanf(f, "%llu", &id) != 1) {
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    return counter_open(PERF_TYPE_TRACEPOINT, id);
}

static double counter_read(int fd)
{
    long long v;
    return fd >= 0 && read(fd, &v, sizeof v) == sizeof v ? (double)v : -1;
}

static void stat_times(double *user_us, double *sys_us)
{
    char s[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    size_t n = f ? fread(s, 1, sizeof s - 1, f) : 0;
    if (f)
        fclose(f);
    s[n] = 0;
    char *p = strrchr(s, ')');
    unsigned long ut = 0, st = 0;
    /* after the comm: state is field 3, utime 14, stime 15 */
    if (p)
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
    double tick = 1e6 / sysconf(_SC_CLK_TCK);
    *user_us = ut * tick;
    *sys_us = st * tick;
}

static int iters;
static double pause_us, work_us, hold_us;

/* A stock-like client: acquire, release, ...; each call sends its frame, reads the reply's header, pauses, reads and
 * checks its body, works, and holds the lock HOLD_US longer after its True. */
static void client_loop(int fd, int c)
{
    (void)c;
    char acquire[REQ] = {0, 0, 0, REQ - 4, 'A'}, release[REQ] = {0, 0, 0, REQ - 4, 'R'}, buf[REPLY];
    for (int i = 0; i < 2 * iters; i++) {
        send_all(fd, i % 2 ? release : acquire, REQ);
        if (recv(fd, buf, 4, MSG_WAITALL) != 4)
            abort();
        if (pause_us > 0)
            spin(pause_us);
        if (recv(fd, buf + 4, REPLY - 4, MSG_WAITALL) != REPLY - 4 || buf[4] != (i % 2 ? 'N' : 'T'))
            abort();
        if (work_us > 0)
            spin(work_us);
        if (hold_us > 0 && i % 2 == 0)
            spin(hold_us);
    }
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s A|B CLIENTS ITERATIONS [PAUSE_US] [WORK_US] [SERVE_US] [HOLD_US]\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "A") && strcmp(argv[1], "B")) {
        fprintf(stderr, "unknown MODE '%s' (A: read the acquire, B: leave a waiting acquire unread)\n", argv[1]);
        return 2;
    }
    mode_b = argv[1][0] == 'B';
    time_reads = getenv("TIME_READS") && atoi(getenv("TIME_READS"));
    nconn = atoi(argv[2]);
    iters = atoi(argv[3]);
    pause_us = argc > 4 ? atof(argv[4]) : 3, work_us = argc > 5 ? atof(argv[5]) : 15;
    serve_work = argc > 6 ? atof(argv[6]) : 2;
    hold_us = argc > 7 ? atof(argv[7]) : 0;
    if (nconn < 1 || nconn > MAXC || iters < 1) {
        fprintf(stderr, "CLIENTS must be 1..%d (got %s), ITERATIONS >= 1 (got %s)\n", MAXC, argv[2], argv[3]);
        return 2;
    }
    double calls = 2.0 * iters * nconn;
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
        int wake = tracepoint_open("sched/sched_waking"), sysc = tracepoint_open("raw_syscalls/sys_enter");
        int cs = counter_open(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES);
        double u0, s0, u1, s1, c0 = cpu_us();
        stat_times(&u0, &s0);
        pthread_t t[MAXC];
        for (int i = 0; i < nconn; i++)
            pthread_create(&t[i], 0, serve, (void *)(long)i);
        for (int i = 0; i < nconn; i++)
            pthread_join(t[i], 0);
        double c1 = cpu_us();
        stat_times(&u1, &s1);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("mode=%s clients=%d calls=%.0f srv_cpu=%.2f srv_user=%.2f srv_kernel=%.2f wakeups=%.3f cs=%.3f "
               "syscalls=%.3f srv_vcsw=%.3f handovers=%.3f ",
               mode_b ? "B" : "A", nconn, calls, (c1 - c0) / calls, (u1 - u0) / calls, (s1 - s0) / calls,
               counter_read(wake) / calls, counter_read(cs) / calls, counter_read(sysc) / calls, ru.ru_nvcsw / calls,
               handovers / calls);
        if (time_reads)
            printf("read_wait_us=%.2f read_other_us=%.2f take_us=%.2f ", t_read_wait / (n_read_wait ? n_read_wait : 1),
                   t_read_other / (n_read_other ? n_read_other : 1), t_take / (n_take ? n_take : 1));
        fflush(stdout);
        _exit(0);
    }
    for (int i = 0; i < nconn; i++)
        close(sv[i][1]);

    struct client_report sum;
    double wall;
    if (run_clients(nconn, sv, client_loop, &sum, &wall))
        return 1;
    int status;
    waitpid(server, &status, 0);
    while (wait(0) > 0)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        fprintf(stderr, "the server failed (status %d)\n", status);
        return 1;
    }
    printf("cli_cpu=%.2f cli_vcsw=%.3f rtps=%.0f\n", (sum.user + sum.sys) / calls, (double)sum.nvcsw / calls, calls * 1e6 / wall);
    return 0;
}
