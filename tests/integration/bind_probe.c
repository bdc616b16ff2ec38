/* A bind probe for the bind allowlist tests (busybox nc cannot say which address it got):
 *   bind_probe ADDR PORT [HOLD_SECONDS]
 * binds a TCP socket of ADDR's family to ADDR:PORT and prints "bound ADDR PORT" with the
 * address and port getsockname reports ("ephemeral" for the port the kernel picked when
 * PORT is 0) (exit 0), or "bind: <errno name>" (exit 1). With
 * HOLD_SECONDS it listens and keeps the socket that long.
 *   bind_probe -t TYPE ADDR PORT
 * the same bind with a socket of TYPE: tcp, udp, icmp (an ICMP datagram, "ping", socket)
 * or raw (a raw ICMP socket); "socket: <errno name>" when it cannot be opened.
 *   bind_probe -s TYPE SRC DEST PORT
 * sends one datagram (udp: "probe" to DEST:PORT; icmp, raw: an ICMP echo request to DEST)
 * asking for the source SRC with IP_PKTINFO / IPV6_PKTINFO, from an unbound socket (udp)
 * or one bound to SRC first (icmp, raw: ping6 sockets ignore IPV6_PKTINFO's address), and
 * prints "sent" (exit 0) or "<step>: <errno name>" (exit 1).
 * Linked statically: runs in any rootfs. */
#define _GNU_SOURCE /* struct in6_pktinfo */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
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

/* ADDR:PORT into `ss`; its family, or -1. */
static int parse(const char* addr, const char* port, struct sockaddr_storage* ss, socklen_t* len) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in* in4 = (struct sockaddr_in*)ss;
  struct sockaddr_in6* in6 = (struct sockaddr_in6*)ss;
  if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons((unsigned short)atoi(port));
    *len = sizeof *in4;
    return AF_INET;
  }
  if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((unsigned short)atoi(port));
    *len = sizeof *in6;
    return AF_INET6;
  }
  fprintf(stderr, "bind_probe: not an address: %s\n", addr);
  return -1;
}

/* A socket of `type` (tcp, udp, icmp, raw) and `family`; -1 after printing why. */
static int open_typed(const char* type, int family) {
  int icmp = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
  int s;
  if (!strcmp(type, "tcp")) s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  else if (!strcmp(type, "udp")) s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  else if (!strcmp(type, "icmp")) s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, icmp);
  else if (!strcmp(type, "raw")) s = socket(family, SOCK_RAW | SOCK_CLOEXEC, icmp);
  else {
    fprintf(stderr, "bind_probe: unknown socket type %s\n", type);
    return -1;
  }
  if (s < 0) printf("socket: %s\n", errno_name(errno));
  return s;
}

static unsigned short checksum(const void* data, size_t len) {
  const unsigned char* p = data;
  unsigned long sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (unsigned)(p[i] << 8 | p[i + 1]);
  if (len & 1) sum += (unsigned)(p[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons((unsigned short)~sum);
}

static int bind_typed(const char* type, const char* addr, const char* port) {
  struct sockaddr_storage ss;
  socklen_t len;
  int family = parse(addr, port, &ss, &len);
  if (family < 0) return 2;
  int s = open_typed(type, family);
  if (s < 0) return 1;
  if (bind(s, (struct sockaddr*)&ss, len) != 0) {
    printf("bind: %s\n", errno_name(errno));
    return 1;
  }
  struct sockaddr_storage got;
  socklen_t got_len = sizeof got;
  char text[INET6_ADDRSTRLEN] = "?";
  if (getsockname(s, (struct sockaddr*)&got, &got_len) != 0) return 1;
  if (got.ss_family == AF_INET) inet_ntop(AF_INET, &((struct sockaddr_in*)&got)->sin_addr, text, sizeof text);
  else inet_ntop(AF_INET6, &((struct sockaddr_in6*)&got)->sin6_addr, text, sizeof text);
  printf("bound %s\n", text);
  return 0;
}

static int send_from(const char* type, const char* src, const char* dest, const char* port) {
  struct sockaddr_storage to, from;
  socklen_t to_len, from_len;
  int family = parse(dest, port, &to, &to_len);
  if (family < 0 || parse(src, "0", &from, &from_len) != family) return 2;
  int s = open_typed(type, family);
  if (s < 0) return 1;
  if (strcmp(type, "udp") && bind(s, (struct sockaddr*)&from, from_len) != 0) {
    printf("bind: %s\n", errno_name(errno));
    return 1;
  }
  unsigned char payload[64] = "probe";
  size_t payload_len = 5;
  if (strcmp(type, "udp")) { /* an echo request; ping sockets fill in the id */
    memset(payload, 0, sizeof payload);
    payload[0] = family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
    payload[5] = 0x7c; /* id 0x007c, sequence 0x0001: the receiver's mark */
    payload[7] = 1;
    payload_len = 16;
    if (family == AF_INET) memcpy(payload + 2, &(unsigned short){checksum(payload, payload_len)}, 2);
    if (family == AF_INET) ((struct sockaddr_in*)&to)->sin_port = 0;
    else ((struct sockaddr_in6*)&to)->sin6_port = 0;
  }
  struct iovec iov = {payload, payload_len};
  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr msg = {.msg_name = &to, .msg_namelen = to_len, .msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = control.buf};
  struct cmsghdr* c = (struct cmsghdr*)control.buf;
  if (family == AF_INET) {
    struct in_pktinfo info = {.ipi_spec_dst = ((struct sockaddr_in*)&from)->sin_addr};
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof info);
    memcpy(CMSG_DATA(c), &info, sizeof info);
    msg.msg_controllen = CMSG_SPACE(sizeof info);
  } else {
    struct in6_pktinfo info = {.ipi6_addr = ((struct sockaddr_in6*)&from)->sin6_addr};
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof info);
    memcpy(CMSG_DATA(c), &info, sizeof info);
    msg.msg_controllen = CMSG_SPACE(sizeof info);
  }
  if (sendmsg(s, &msg, 0) < 0) {
    printf("sendmsg: %s\n", errno_name(errno));
    return 1;
  }
  printf("sent\n");
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 5 && !strcmp(argv[1], "-t")) return bind_typed(argv[2], argv[3], argv[4]);
  if (argc == 6 && !strcmp(argv[1], "-s")) return send_from(argv[2], argv[3], argv[4], argv[5]);
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
