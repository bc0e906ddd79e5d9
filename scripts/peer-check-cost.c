// What one "has the peer hung up?" check costs on an AF_UNIX stream socket that is still open, without reading:
// poll(2) for POLLIN|POLLRDHUP with a zero timeout (SocketNative.IsPeerClosed) against recv(2) with
// MSG_PEEK|MSG_DONTWAIT, and getppid(2) as the bare system call. CPU time per call from getrusage, three repetitions.
// docs/manager-server/several-clients-queue-list.md, "Queue at 2 and 4 clients: the get's peer check".
//
//   gcc -O2 -o /tmp/peer-check-cost scripts/peer-check-cost.c && /tmp/peer-check-cost 1000000
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static double cpu_seconds(int kernel_only)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    double sys = r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
    return kernel_only ? sys : sys + r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000000;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
    {
        perror("socketpair");
        return 1;
    }

    for (int rep = 0; rep < 3; rep++)
    {
        double c0 = cpu_seconds(0), k0 = cpu_seconds(1);
        for (int i = 0; i < n; i++)
        {
            struct pollfd p = {sv[0], POLLIN | POLLRDHUP, 0};
            poll(&p, 1, 0);
        }

        double c1 = cpu_seconds(0), k1 = cpu_seconds(1);
        char b;
        for (int i = 0; i < n; i++)
        {
            recv(sv[0], &b, 1, MSG_PEEK | MSG_DONTWAIT);
        }

        double c2 = cpu_seconds(0), k2 = cpu_seconds(1);
        for (int i = 0; i < n; i++)
        {
            getppid();
        }

        double c3 = cpu_seconds(0);
        printf("poll %.0f ns (kernel %.0f), recv peek %.0f ns (kernel %.0f), getppid %.0f ns\n",
               (c1 - c0) / n * 1e9, (k1 - k0) / n * 1e9, (c2 - c1) / n * 1e9, (k2 - k1) / n * 1e9, (c3 - c2) / n * 1e9);
    }

    return 0;
}
