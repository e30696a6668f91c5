/* The floor of any broker: a TCP relay that copies bytes between a client
 * and a server with no RPC parsing at all, one poll loop on one thread.
 *   bench_relay SERVER_PORT   prints "READY PORT" and relays every connection
 *                             it accepts (one at a time) to 127.0.0.1:SERVER_PORT. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int copy(int from, int to) {
    char buffer[65536];
    ssize_t count = read(from, buffer, sizeof buffer);
    if (count <= 0) return -1;
    for (ssize_t done = 0; done < count;) {
        ssize_t written = write(to, buffer + done, count - done);
        if (written <= 0) return -1;
        done += written;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: bench_relay SERVER_PORT\n");
        return 2;
    }
    int one = 1;
    struct sockaddr_in address = { .sin_family = AF_INET };
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    socklen_t length = sizeof address;
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 16) != 0 ||
        getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
        perror("bench_relay");
        return 1;
    }
    printf("READY %d\n", ntohs(address.sin_port));
    fflush(stdout);
    struct sockaddr_in server = address;
    server.sin_port = htons(atoi(argv[1]));
    for (;;) {
        int client = accept(listener, NULL, NULL);
        if (client < 0) continue;
        int upstream = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(upstream, (struct sockaddr *)&server, sizeof server) == 0) {
            setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            struct pollfd fds[2] = { { .fd = client, .events = POLLIN }, { .fd = upstream, .events = POLLIN } };
            while (poll(fds, 2, -1) > 0) {
                if (fds[0].revents && copy(client, upstream) != 0) break;
                if (fds[1].revents && copy(upstream, client) != 0) break;
            }
        }
        close(upstream);
        close(client);
    }
}
