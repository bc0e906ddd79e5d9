/* The client side of the team's C ping-pong models of the manager server (multi-pingpong.c, handover-pingpong.c):
 * N client processes, each on its own AF_UNIX socketpair with the server, started together, each reporting the CPU
 * time and voluntary context switches of its loop. Included by those files; built with them (gcc finds this header
 * next to the file that includes it). */
#ifndef PINGPONG_CLIENTS_H
#define PINGPONG_CLIENTS_H

#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double tv_us(struct timeval t) { return t.tv_sec * 1e6 + t.tv_usec; }

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* Burns US microseconds on the CPU: a client's own work (unpickling, pickling) or a pause between two reads. */
static void spin(double us)
{
    for (double until = now_us() + us; now_us() < until;)
        ;
}

/* What the clients spent in their loops, summed over all of them. */
struct client_report { double user, sys; long nvcsw; };

/* Forks one client per sv[i][0] (i < nconn; the server, already forked, has closed those ends and keeps sv[i][1],
 * which the caller has closed), each running loop(fd, i) once all are ready, and waits for their reports. Returns 0
 * with the sum of the reports and the wall time from the start to the last report, 1 if a client ended without its
 * report (named on stderr). Gives up after 600 s (SIGALRM). */
static int run_clients(int nconn, int sv[][2], void (*loop)(int fd, int c), struct client_report *sum, double *wall_us)
{
    int start[2], report[2], ready[2];
    if (pipe(start) || pipe(report) || pipe(ready))
        return perror("pipe"), 1;
    for (int c = 0; c < nconn; c++) {
        if (fork() == 0) {
            char go;
            for (int i = 0; i < nconn; i++)
                if (i != c)
                    close(sv[i][0]);
            write(ready[1], "r", 1);
            if (read(start[0], &go, 1) != 1)
                _exit(1);
            struct rusage r0, r1;
            getrusage(RUSAGE_SELF, &r0);
            loop(sv[c][0], c);
            getrusage(RUSAGE_SELF, &r1);
            struct client_report rep = {tv_us(r1.ru_utime) - tv_us(r0.ru_utime), tv_us(r1.ru_stime) - tv_us(r0.ru_stime),
                                        r1.ru_nvcsw - r0.ru_nvcsw};
            write(report[1], &rep, sizeof rep);
            shutdown(sv[c][0], SHUT_WR);
            _exit(0);
        }
    }
    for (int i = 0; i < nconn; i++)
        close(sv[i][0]);
    close(report[1]);   /* a client that died unreported ends the read below instead of hanging it */
    close(ready[1]);
    alarm(600);
    char r;
    for (int i = 0; i < nconn; i++)
        if (read(ready[0], &r, 1) != 1) {
            fprintf(stderr, "a client ended before it was ready\n");
            return 1;
        }
    double t0 = now_us();
    for (int i = 0; i < nconn; i++)
        write(start[1], "g", 1);
    *sum = (struct client_report){0, 0, 0};
    for (int i = 0; i < nconn; i++) {
        struct client_report rep;
        if (read(report[0], &rep, sizeof rep) != sizeof rep) {
            fprintf(stderr, "a client ended without its report\n");
            return 1;
        }
        sum->user += rep.user;
        sum->sys += rep.sys;
        sum->nvcsw += rep.nvcsw;
    }
    *wall_us = now_us() - t0;
    return 0;
}

#endif
