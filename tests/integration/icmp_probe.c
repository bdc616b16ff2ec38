/* A minimal ping for the quick-mode tests (busybox's ping only uses raw sockets):
 *   icmp_probe dgram ADDR  one echo over an ICMP datagram socket ("unprivileged ping",
 *                          allowed by net.ipv4.ping_group_range); exit 0 on the reply
 *   icmp_probe raw         open a raw ICMP socket (needs CAP_NET_RAW); exit 0 if it opens
 * Errors go to stderr as "<step>: <strerror>". Linked statically: runs in any rootfs. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int fail(const char* step) {
  fprintf(stderr, "%s: %s\n", step, strerror(errno));
  return 1;
}

static int dgram(const char* addr) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (s < 0) return fail("socket");
  struct timeval tv = {2, 0};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_in to = {.sin_family = AF_INET};
  if (inet_pton(AF_INET, addr, &to.sin_addr) != 1) return fail("address");
  struct icmphdr req = {.type = ICMP_ECHO};
  req.un.echo.sequence = htons(1);  /* the kernel fills the id and the checksum */
  if (sendto(s, &req, sizeof req, 0, (struct sockaddr*)&to, sizeof to) < 0) return fail("sendto");
  struct icmphdr rep;
  if (recv(s, &rep, sizeof rep, 0) < (ssize_t)sizeof rep) return fail("recv");
  if (rep.type != ICMP_ECHOREPLY) {
    fprintf(stderr, "recv: ICMP type %d, not an echo reply\n", rep.type);
    return 1;
  }
  printf("reply from %s\n", addr);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && !strcmp(argv[1], "dgram")) return dgram(argv[2]);
  if (argc == 2 && !strcmp(argv[1], "raw")) {
    int s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (s < 0) return fail("socket");
    printf("raw socket opened\n");
    return 0;
  }
  fprintf(stderr, "usage: icmp_probe dgram ADDR | raw\n");
  return 2;
}
