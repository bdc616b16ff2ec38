/* escape_probe: one escape attempt per invocation, run inside a vcrun container (and on
 * the host as a control). Built static so it runs in an empty busybox rootfs.
 * Usage: escape_probe CASE [ARG...]
 * Prints one line "BLOCKED: why" (exit 0), "ESCAPED: what" (exit 1) or "ERROR: why"
 * (exit 2: the attempt could not be made, neither outcome). It never damages the host:
 * writes are replaced by opens for writing, module/kexec calls use invalid arguments that
 * the kernel rejects only after its permission check. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static int verdict(int escaped, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("%s: ", escaped ? "ESCAPED" : "BLOCKED");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  fflush(stdout);
  return escaped ? 1 : 0;
}

static int error_out(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("ERROR: ");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  fflush(stdout);
  return 2;
}

/* A syscall that fails with one of these was refused for lack of privilege. */
static int denied(int err) { return err == EPERM || err == EACCES || err == ENOSYS; }

static int syscall_case(const char* what, long rc) {
  if (rc >= 0) return verdict(1, "%s succeeded", what);
  if (denied(errno)) return verdict(0, "%s: %s", what, strerror(errno));
  /* Past the permission check: the kernel looked at our (invalid) arguments. */
  return verdict(1, "%s passed the permission check (%s)", what, strerror(errno));
}

static int exists(const char* p) {
  struct stat st;
  return lstat(p, &st) == 0;
}

/* §3.3.3 of the paper: chroot into a subdirectory while holding an fd of the old root,
 * fchdir to it and walk up. Works against a plain chroot; pivot_root defeats it. */
static int case_fchdir_chroot(const char* marker) {
  mkdir("/tmp", 01777);
  mkdir("/tmp/jail", 0755);
  int fd = open("/", O_RDONLY | O_DIRECTORY);
  if (fd < 0) return error_out("open /: %s", strerror(errno));
  if (chroot("/tmp/jail") != 0) {
    if (denied(errno)) return verdict(0, "chroot: %s", strerror(errno));
    return error_out("chroot: %s", strerror(errno));
  }
  if (fchdir(fd) != 0) return error_out("fchdir: %s", strerror(errno));
  for (int i = 0; i < 64; i++) (void)!chdir("..");
  (void)!chroot(".");
  if (exists(marker)) return verdict(1, "reached host file %s", marker);
  return verdict(0, "walked up to the container's root only");
}

static int case_mount(void) {
  mkdir("/tmp", 01777);
  mkdir("/tmp/m", 0755);
  if (mount("none", "/tmp/m", "tmpfs", 0, NULL) == 0) {
    umount2("/tmp/m", MNT_DETACH);
    return verdict(1, "mounted a tmpfs");
  }
  int e1 = errno;
  if (mount("proc", "/tmp/m", "proc", 0, NULL) == 0) return verdict(1, "mounted a procfs");
  if (mount("/", "/", NULL, MS_REMOUNT | MS_BIND, NULL) == 0)
    return verdict(1, "remounted / writable");
  return verdict(0, "mount tmpfs: %s, proc: %s", strerror(e1), strerror(errno));
}

static int case_pivot_root(const char* marker) {
  long rc = syscall(SYS_pivot_root, "/", "/");
  if (rc == 0) return verdict(1, "pivot_root succeeded");
  int e = errno;
  /* The old root must be gone: nothing of the host reachable through /proc/1/root or "..". */
  char p[512];
  snprintf(p, sizeof p, "/proc/1/root%s", marker);
  if (exists(p)) return verdict(1, "host file visible at %s", p);
  snprintf(p, sizeof p, "/../../..%s", marker);
  if (exists(p)) return verdict(1, "host file visible at %s", p);
  return verdict(0, "pivot_root: %s; no host root reachable", strerror(e));
}

static int open_for_write(const char* path) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    close(fd); /* opened, never written */
    return verdict(1, "%s is open for writing", path);
  }
  return verdict(0, "open %s O_WRONLY: %s", path, strerror(errno));
}

static int case_proc_sys(void) {
  const char* paths[] = {"/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe",
                         "/proc/sys/vm/drop_caches", "/proc/sys/kernel/hostname"};
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
    int fd = open(paths[i], O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      close(fd);
      return verdict(1, "%s is open for writing", paths[i]);
    }
  }
  return verdict(0, "every /proc/sys knob refused O_WRONLY (%s)", strerror(errno));
}

static int case_init_module(void) {
  /* NULL image: past the CAP_SYS_MODULE check the kernel fails with EFAULT/ENOEXEC. */
  long rc = syscall(SYS_init_module, NULL, 0, "");
  if (rc < 0 && !denied(errno)) {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    rc = syscall(SYS_finit_module, fd, "", 0);
    close(fd);
  }
  return syscall_case("init_module", rc);
}

static int case_kexec(void) {
  /* 0x8000 is no KEXEC_* flag: EINVAL, but only after the CAP_SYS_BOOT check. */
  return syscall_case("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0x8000UL));
}

static int try_block_devices(const char* dir, char* found, size_t n) {
  DIR* d = opendir(dir);
  if (!d) return 0;
  struct dirent* e;
  int opened = 0;
  while ((e = readdir(d)) != NULL) {
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    if (lstat(p, &st) != 0 || !S_ISBLK(st.st_mode)) continue;
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      close(fd);
      snprintf(found, n, "%s", p);
      opened = 1;
      break;
    }
  }
  closedir(d);
  return opened;
}

static int case_block_device(void) {
  char found[512] = "";
  if (try_block_devices("/dev", found, sizeof found))
    return verdict(1, "opened block device %s", found);
  return verdict(0, "no block device of /dev can be opened");
}

/* Host disks are listed in sysfs even from a container: /sys/dev/block/MAJ:MIN. */
static int case_mknod_disk(void) {
  DIR* d = opendir("/sys/dev/block");
  if (!d) return error_out("/sys/dev/block: %s", strerror(errno));
  struct dirent* e;
  int tried = 0;
  const char* dirs[] = {"/tmp", "/dev", "/"};
  char why[768] = "";
  while ((e = readdir(d)) != NULL) {
    unsigned maj, min;
    if (sscanf(e->d_name, "%u:%u", &maj, &min) != 2) continue;
    tried++;
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
      char p[256];
      mkdir(dirs[i], 01777);
      snprintf(p, sizeof p, "%s/.probe-disk", strcmp(dirs[i], "/") ? dirs[i] : "");
      unlink(p);
      if (mknod(p, S_IFBLK | 0600, makedev(maj, min)) != 0) {
        snprintf(why, sizeof why, "mknod %s (%u:%u): %s", p, maj, min, strerror(errno));
        continue;
      }
      int fd = open(p, O_RDONLY | O_CLOEXEC);
      int err = errno;
      unlink(p);
      if (fd >= 0) {
        close(fd);
        closedir(d);
        return verdict(1, "mknod+open of host disk %u:%u at %s", maj, min, p);
      }
      snprintf(why, sizeof why, "open of mknod'ed %u:%u at %s: %s", maj, min, p, strerror(err));
    }
    if (tried >= 3) break;
  }
  closedir(d);
  if (!tried) return error_out("no block device listed in /sys/dev/block");
  return verdict(0, "%s", why);
}

static int case_host_pid(const char* pidarg) {
  pid_t pid = (pid_t)atoi(pidarg);
  char p[64];
  snprintf(p, sizeof p, "/proc/%d", pid);
  if (exists(p)) {
    char buf[256] = "";
    snprintf(p, sizeof p, "/proc/%d/comm", pid);
    FILE* f = fopen(p, "re");
    if (f) {
      (void)!fgets(buf, sizeof buf, f);
      fclose(f);
    }
    buf[strcspn(buf, "\n")] = 0;
    if (strcmp(buf, "escape_probe") != 0)  /* our own pid may collide inside the ns */
      return verdict(1, "host pid %d is visible (%s)", pid, buf);
  }
  if (kill(pid, 0) == 0 && getpid() != pid) return verdict(1, "kill(%d, 0) reached it", pid);
  int ekill = errno;
  if (ptrace(PTRACE_ATTACH, pid, 0, 0) == 0) return verdict(1, "ptrace attached to %d", pid);
  int count = 0;
  DIR* d = opendir("/proc");
  struct dirent* e;
  while (d && (e = readdir(d)) != NULL)
    if (e->d_name[0] >= '1' && e->d_name[0] <= '9') count++;
  if (d) closedir(d);
  return verdict(0, "kill: %s, ptrace: %s, %d pids visible", strerror(ekill), strerror(errno),
                 count);
}

static int case_proc_pids(const char* pidarg) {
  int count = 0;
  DIR* d = opendir("/proc");
  if (!d) return error_out("/proc: %s", strerror(errno));
  struct dirent* e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] >= '1' && e->d_name[0] <= '9') count++;
  closedir(d);
  char p[64];
  snprintf(p, sizeof p, "/proc/%s", pidarg);
  if (count > 5 && exists(p)) return verdict(1, "%d pids visible, host pid %s among them", count, pidarg);
  return verdict(0, "%d pid(s) visible in /proc", count);
}

static int case_setns(const char* pidarg) {
  const char* kinds[] = {"mnt", "pid", "net", "user", "ipc", "uts", "cgroup"};
  char p[128];
  int e = 0;
  for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
    const char* pids[] = {"1", pidarg};
    for (int k = 0; k < 2; k++) {
      snprintf(p, sizeof p, "/proc/%s/ns/%s", pids[k], kinds[i]);
      int fd = open(p, O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        e = errno;
        continue;
      }
      int rc = setns(fd, 0);
      e = errno;
      close(fd);
      /* Re-entering one's own namespace proves nothing, but it is still refused. */
      if (rc == 0) return verdict(1, "setns(%s) succeeded", p);
    }
  }
  return verdict(0, "setns refused (%s)", strerror(e));
}

static int case_raw_socket(void) {
  int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (s >= 0) {
    close(s);
    return verdict(1, "opened an AF_INET raw socket");
  }
  int e = errno;
  s = socket(AF_PACKET, SOCK_RAW, 0);
  if (s >= 0) {
    close(s);
    return verdict(1, "opened an AF_PACKET socket");
  }
  return verdict(0, "raw: %s, packet: %s", strerror(e), strerror(errno));
}

static int case_keyctl(void) {
  /* KEYCTL_GET_KEYRING_ID of the session keyring: the keyrings are not namespaced. */
  return syscall_case("keyctl", syscall(SYS_keyctl, 0, -3, 0, 0, 0));
}

static int case_bpf(void) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_ARRAY;
  a.key_size = 4;
  a.value_size = 4;
  a.max_entries = 1;
  long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a);
  if (fd >= 0) close((int)fd);
  return syscall_case("bpf(BPF_MAP_CREATE)", fd);
}

static int case_perf(void) {
  struct perf_event_attr a;
  memset(&a, 0, sizeof a);
  a.type = PERF_TYPE_SOFTWARE;
  a.size = sizeof a;
  a.config = PERF_COUNT_SW_CPU_CLOCK;
  a.exclude_kernel = 1;
  long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
  if (fd >= 0) close((int)fd);
  return syscall_case("perf_event_open", fd);
}

/* CVE-2019-5736: watch for a vcrun process entering the container (vcrun exec) and try
 * to open its /proc/PID/exe; then, after it is gone, reopen that for writing. Runs for
 * SECONDS seconds. A process whose exe link is refused counts as "seen, protected". */
static int case_runtime_exe(const char* seconds) {
  pid_t self = getpid();
  time_t end = time(NULL) + atoi(seconds);
  int protected_seen = 0, held = -1;
  char held_target[512] = "";
  while (time(NULL) < end) {
    DIR* d = opendir("/proc");
    if (!d) return error_out("/proc: %s", strerror(errno));
    struct dirent* e;
    while ((e = readdir(d)) != NULL) {
      pid_t pid = (pid_t)atoi(e->d_name);
      if (pid <= 1 || pid == self) continue;
      char p[64], target[512];
      snprintf(p, sizeof p, "/proc/%d/exe", pid);
      ssize_t n = readlink(p, target, sizeof target - 1);
      if (n < 0) {
        if (errno == EACCES || errno == EPERM) protected_seen++;
        continue;
      }
      target[n] = 0;
      if (!strstr(target, "vcrun")) continue;
      int fd = open(p, O_PATH | O_CLOEXEC);
      if (fd >= 0 && held < 0) {
        held = fd;
        snprintf(held_target, sizeof held_target, "%s", target);
      } else if (fd >= 0) {
        close(fd);
      }
    }
    closedir(d);
  }
  if (held >= 0) {
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", held);
    int w = open(p, O_WRONLY | O_CLOEXEC);
    if (w >= 0) {
      close(w); /* opened for writing; never written */
      return verdict(1, "reopened the runtime binary %s for writing", held_target);
    }
    return verdict(1, "held an O_PATH fd of the runtime binary %s (write: %s)", held_target,
                   strerror(errno));
  }
  if (!protected_seen) return error_out("never saw a runtime process enter the container");
  return verdict(0, "runtime process seen %d times, its exe was never reachable", protected_seen);
}

/* No descriptor beyond stdio may reach the container (CVE-2024-21626 class). */
static int case_leaked_fds(void) {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return error_out("/proc/self/fd: %s", strerror(errno));
  int dfd = dirfd(d);
  struct dirent* e;
  char leaks[1024] = "";
  while ((e = readdir(d)) != NULL) {
    int fd = atoi(e->d_name);
    if (e->d_name[0] == '.' || fd <= 2 || fd == dfd) continue;
    char p[64], t[256] = "";
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(p, t, sizeof t - 1);
    if (n > 0) t[n] = 0;
    size_t len = strlen(leaks);
    snprintf(leaks + len, sizeof leaks - len, " %d->%s", fd, t);
  }
  closedir(d);
  if (leaks[0]) return verdict(1, "inherited fds:%s", leaks);
  return verdict(0, "only stdin/stdout/stderr are open");
}

/* The cwd must be inside the root: from it, no ".." chain may reach a host file. */
static int case_cwd(const char* marker) {
  char cwd[512];
  if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, "(getcwd: %s)", strerror(errno));
  if (strncmp(cwd, "(unreachable)", 13) == 0) return verdict(1, "cwd is outside the root: %s", cwd);
  char p[1024] = "";
  for (int i = 0; i < 32; i++) strcat(p, "../");
  strcat(p, marker + 1);
  if (exists(p)) return verdict(1, "host file %s reachable from cwd %s", marker, cwd);
  return verdict(0, "cwd %s is inside the root", cwd);
}

/* Run as a setuid-root binary by a non-root user: under no_new_privs euid stays. */
static int case_setuid(void) {
  uid_t r, e, s;
  getresuid(&r, &e, &s);
  if (e == 0 && r != 0) return verdict(1, "setuid bit gave euid 0 to uid %u", r);
  return verdict(0, "uid %u euid %u: the setuid bit gave nothing", r, e);
}

static int case_sysrq(void) { return open_for_write("/proc/sysrq-trigger"); }

/* A mount whose destination is a symlink out of the rootfs must land inside the rootfs
 * (or be refused): the bind-mounted file must be visible at the in-root path. */
static int case_symlink_mount(const char* path) {
  if (exists(path)) return verdict(0, "the mount landed inside the rootfs (%s)", path);
  return verdict(1, "the mount is not inside the rootfs: %s missing", path);
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) return error_out("usage: escape_probe CASE [ARG]");
  const char* c = argv[1];
  const char* arg = argc > 2 ? argv[2] : "";
  if (!strcmp(c, "fchdir-chroot")) return case_fchdir_chroot(arg);
  if (!strcmp(c, "mount")) return case_mount();
  if (!strcmp(c, "pivot-root")) return case_pivot_root(arg);
  if (!strcmp(c, "sysrq")) return case_sysrq();
  if (!strcmp(c, "proc-sys")) return case_proc_sys();
  if (!strcmp(c, "init-module")) return case_init_module();
  if (!strcmp(c, "kexec")) return case_kexec();
  if (!strcmp(c, "block-device")) return case_block_device();
  if (!strcmp(c, "mknod-disk")) return case_mknod_disk();
  if (!strcmp(c, "host-pid")) return case_host_pid(arg);
  if (!strcmp(c, "proc-pids")) return case_proc_pids(arg);
  if (!strcmp(c, "setns")) return case_setns(arg);
  if (!strcmp(c, "raw-socket")) return case_raw_socket();
  if (!strcmp(c, "keyctl")) return case_keyctl();
  if (!strcmp(c, "bpf")) return case_bpf();
  if (!strcmp(c, "perf")) return case_perf();
  if (!strcmp(c, "runtime-exe")) return case_runtime_exe(arg);
  if (!strcmp(c, "leaked-fds")) return case_leaked_fds();
  if (!strcmp(c, "cwd")) return case_cwd(arg);
  if (!strcmp(c, "setuid")) return case_setuid();
  if (!strcmp(c, "symlink-mount")) return case_symlink_mount(arg);
  if (!strcmp(c, "sleep")) {
    sleep((unsigned)atoi(arg));
    return 0;
  }
  return error_out("unknown case %s", c);
}
