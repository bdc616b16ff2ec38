/* A bind probe for the bind allowlist tests (busybox nc cannot say which address it got):
 *   bind_probe ADDR PORT [HOLD_SECONDS]
 * binds a TCP socket of ADDR's family to ADDR:PORT and prints "bound ADDR PORT" with the
 * address and port getsockname reports ("ephemeral" for the port the kernel picked when
 * PORT is 0) (exit 0), or "bind: <errno name>" (exit 1). With
 * HOLD_SECONDS it listens and keeps the socket that long. Linked statically: runs in any
 * rootfs. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char* errno_name(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EINVAL: return "EINVAL";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    default: return strerror(e);
  }
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: bind_probe ADDR PORT [HOLD_SECONDS]\n");
    return 2;
  }
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  int family;
  struct sockaddr_in* in4 = (struct sockaddr_in*)&ss;
  struct sockaddr_in6* in6 = (struct sockaddr_in6*)&ss;
  if (inet_pton(AF_INET, argv[1], &in4->sin_addr) == 1) {
    family = in4->sin_family = AF_INET;
    in4->sin_port = htons((unsigned short)atoi(argv[2]));
    len = sizeof *in4;
  } else if (inet_pton(AF_INET6, argv[1], &in6->sin6_addr) == 1) {
    family = in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((unsigned short)atoi(argv[2]));
    len = sizeof *in6;
  } else {
    fprintf(stderr, "bind_probe: not an address: %s\n", argv[1]);
    return 2;
  }
  int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    printf("socket: %s\n", errno_name(errno));
    return 1;
  }
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(s, (struct sockaddr*)&ss, len) != 0) {
    printf("bind: %s\n", errno_name(errno));
    return 1;
  }
  struct sockaddr_storage got;
  socklen_t got_len = sizeof got;
  if (getsockname(s, (struct sockaddr*)&got, &got_len) != 0) {
    printf("getsockname: %s\n", errno_name(errno));
    return 1;
  }
  char text[INET6_ADDRSTRLEN] = "?";
  unsigned port;
  if (got.ss_family == AF_INET) {
    inet_ntop(AF_INET, &((struct sockaddr_in*)&got)->sin_addr, text, sizeof text);
    port = ntohs(((struct sockaddr_in*)&got)->sin_port);
  } else {
    inet_ntop(AF_INET6, &((struct sockaddr_in6*)&got)->sin6_addr, text, sizeof text);
    port = ntohs(((struct sockaddr_in6*)&got)->sin6_port);
  }
  if (atoi(argv[2]) == 0 && port != 0)
    printf("bound %s ephemeral\n", text);
  else
    printf("bound %s %u\n", text, port);
  fflush(stdout);
  if (argc > 3) {
    if (listen(s, 1) != 0) {
      printf("listen: %s\n", errno_name(errno));
      return 1;
    }
    sleep((unsigned)atoi(argv[3]));
  }
  return 0;
}
